package main

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/placetopay-gateway/gateway/internal/placetopay/sandbox"
)

type problemJSON struct {
	Status int    `json:"status"`
	Code   string `json:"code"`
	Detail string `json:"detail"`
}

// orderRows is what the database holds for an order, to show a refused checkout wrote
// nothing.
type orderRows struct {
	status                       string
	sessions, timeline, events   int
	openSessions, paymentsStored int
}

func (h *harness) orderRows(orderID string) orderRows {
	h.t.Helper()
	var r orderRows
	if err := h.db.QueryRow(h.t.Context(), `SELECT status FROM orders WHERE id = $1`, orderID).Scan(&r.status); err != nil {
		h.t.Fatal(err)
	}
	r.sessions = h.count(`SELECT count(*) FROM checkout_sessions WHERE order_id = $1`, orderID)
	r.openSessions = h.count(`SELECT count(*) FROM checkout_sessions WHERE order_id = $1 AND attempt IN ('creating', 'open')`, orderID)
	r.timeline = h.count(`SELECT count(*) FROM order_timeline WHERE order_id = $1`, orderID)
	r.events = h.count(`SELECT count(*) FROM events WHERE order_id = $1`, orderID)
	r.paymentsStored = h.count(`SELECT count(*) FROM payments WHERE order_id = $1`, orderID)
	return r
}

// TestMoneyPathCheckout: opening PlacetoPay sessions. One session at a time per order,
// PlacetoPay's refusals and outages reported without leaving anything payable behind, and
// the order's status guarding who may pay.
func TestMoneyPathCheckout(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessConfig{
		sandbox:       sandbox.Config{AttemptsLimit: 1},
		probeInterval: time.Hour, // the sandbox's notifications drive every change here
		instances:     2,
		downInstance:  true,
	})
	g := h.gateways[0]
	problem := func(raw []byte) problemJSON {
		var p problemJSON
		h.decode(raw, &p)
		return p
	}

	t.Run("asking twice returns the same open session", func(t *testing.T) {
		o := h.createOrder(g, "15.00", "")
		first := h.mustCheckout(g, o.ID)
		second := h.mustCheckout(h.gateways[1], o.ID) // another instance, same database
		if second.RequestID != first.RequestID || second.ProcessURL != first.ProcessURL {
			t.Errorf("second checkout = %+v, want the first session %+v", second, first)
		}
		if r := h.orderRows(o.ID); r.sessions != 1 || r.openSessions != 1 || r.status != "pending" {
			t.Errorf("after two checkouts: %+v, want one open session and a pending order", r)
		}
	})

	t.Run("a checkout blocked by another in progress is not kept under its Idempotency-Key", func(t *testing.T) {
		o := h.createOrder(g, "15.50", "")
		// Another request's attempt, still being opened (or left by a replica that died).
		if _, err := h.db.Exec(context.Background(), `INSERT INTO checkout_sessions (id, order_id, kind, currency, total_minor, expires_at)
			VALUES (gen_random_uuid(), $1, 'payment', 'USD', 1550, now() + interval '30 minutes')`, o.ID); err != nil {
			t.Fatal(err)
		}
		post := func() (*http.Response, []byte) {
			req, _ := http.NewRequest(http.MethodPost, g.url+"/v1/orders/"+o.ID+"/checkout", strings.NewReader(`{}`))
			req.Header.Set("Authorization", "Bearer "+merchantAPIKey)
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Idempotency-Key", "busy-"+o.ID)
			resp, err := harnessClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			raw, _ := io.ReadAll(resp.Body)
			return resp, raw
		}
		resp, raw := post()
		if resp.StatusCode != http.StatusConflict || resp.Header.Get("Retry-After") != "5" {
			t.Fatalf("checkout during another's attempt = %d (Retry-After %q) %s, want 409 with Retry-After: 5",
				resp.StatusCode, resp.Header.Get("Retry-After"), raw)
		}
		// The other attempt is given up (here: it is older than the 2 minutes an attempt may
		// take). The retry with the same key must run, not replay the 409.
		if _, err := h.db.Exec(context.Background(),
			`UPDATE checkout_sessions SET created_at = now() - interval '3 minutes' WHERE order_id = $1 AND attempt = 'creating'`, o.ID); err != nil {
			t.Fatal(err)
		}
		resp, raw = post()
		if resp.StatusCode != http.StatusCreated || resp.Header.Get("Idempotent-Replayed") != "" {
			t.Fatalf("retry with the same key = %d (replayed %q) %s, want 201 from a new run",
				resp.StatusCode, resp.Header.Get("Idempotent-Replayed"), raw)
		}
		// And now that answer is kept.
		again, raw2 := post()
		if again.StatusCode != http.StatusCreated || again.Header.Get("Idempotent-Replayed") != "true" || string(raw2) != string(raw) {
			t.Errorf("third call = %d (replayed %q), want the 201 replayed byte for byte", again.StatusCode, again.Header.Get("Idempotent-Replayed"))
		}
		if r := h.orderRows(o.ID); r.openSessions != 1 {
			t.Errorf("after the retry: %+v, want one open session", r)
		}
	})

	t.Run("concurrent checkouts open one session", func(t *testing.T) {
		o := h.createOrder(g, "16.00", "")
		const n = 8
		codes := make([]int, n)
		sessions := make([]checkoutJSON, n)
		start := make(chan struct{})
		var wg sync.WaitGroup
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				req, _ := http.NewRequest(http.MethodPost, h.gateways[i%2].url+"/v1/orders/"+o.ID+"/checkout", nil)
				req.Header.Set("Authorization", "Bearer "+merchantAPIKey)
				resp, err := harnessClient.Do(req)
				if err != nil {
					return
				}
				defer resp.Body.Close()
				codes[i] = resp.StatusCode
				_ = json.NewDecoder(resp.Body).Decode(&sessions[i])
			}()
		}
		close(start)
		wg.Wait()
		var requestIDs []int64
		for i, code := range codes {
			switch code {
			case http.StatusCreated:
				requestIDs = append(requestIDs, sessions[i].RequestID)
			case http.StatusConflict: // "being opened; retry in a few seconds"
			default:
				t.Errorf("concurrent checkout %d = %d, want 201 or 409", i, code)
			}
		}
		if len(requestIDs) == 0 {
			t.Fatal("no concurrent checkout succeeded")
		}
		for _, id := range requestIDs {
			if id != requestIDs[0] {
				t.Errorf("concurrent checkouts returned sessions %v, want one", requestIDs)
				break
			}
		}
		if r := h.orderRows(o.ID); r.sessions != 1 || r.openSessions != 1 {
			t.Errorf("after concurrent checkouts: %+v, want exactly one session", r)
		}
	})

	t.Run("PlacetoPay down gives 502 and leaves the order unchanged", func(t *testing.T) {
		o := h.createOrder(g, "17.00", "")
		before := h.orderRows(o.ID)
		code, raw := h.checkout(h.down, o.ID, nil)
		if code != http.StatusBadGateway {
			t.Fatalf("checkout with PlacetoPay unreachable = %d %s, want 502", code, raw)
		}
		if p := problem(raw); p.Status != http.StatusBadGateway || !strings.Contains(p.Detail, "PlacetoPay") {
			t.Errorf("problem %+v, want a 502 naming PlacetoPay", p)
		}
		after := h.orderRows(o.ID)
		if after.status != "pending" || after.openSessions != 0 || after.timeline != before.timeline || after.events != 0 {
			t.Errorf("after the outage: %+v (before %+v), want the order pending with nothing payable and no new timeline entry", after, before)
		}
		// Its prober would fail on every due session and put it off: stop it now.
		harnessClient.CloseIdleConnections()
		if err := h.down.stop(); err != nil {
			t.Errorf("stopping the instance without PlacetoPay: %v", err)
		}
		// PlacetoPay back (another instance): the checkout works at once.
		s := h.mustCheckout(g, o.ID)
		if r := h.orderRows(o.ID); r.openSessions != 1 {
			t.Errorf("after PlacetoPay came back: %+v, want one open session (%d)", r, s.RequestID)
		}
	})

	t.Run("the documented minimum expiresIn opens a session", func(t *testing.T) {
		// docs/api.md: expiresIn is 300 to 604800 seconds.
		o := h.createOrder(g, "18.00", "")
		code, raw := h.checkout(g, o.ID, map[string]any{"expiresIn": 300})
		if code != http.StatusCreated {
			t.Fatalf("checkout with expiresIn 300 = %d %s, want 201", code, raw)
		}
		var s checkoutJSON
		h.decode(raw, &s)
		// PlacetoPay wants at least 5 minutes from its receipt; the gateway adds a 30-second
		// margin to the shortest sessions (docs/api.md), so this one lasts 5m30s.
		if d := time.Until(s.ExpiresAt); d < 5*time.Minute || d > 5*time.Minute+31*time.Second {
			t.Errorf("expiresAt %s is %s away, want 5 minutes plus the 30-second margin", s.ExpiresAt, d)
		}
	})

	t.Run("paid order refuses checkout", func(t *testing.T) {
		o := h.createOrder(g, "19.00", "")
		s := h.mustCheckout(g, o.ID)
		h.pay(s.RequestID, cardApprove)
		h.waitStatus(g, o.ID, "paid", 5*time.Second)
		before := h.orderRows(o.ID)
		code, raw := h.checkout(h.gateways[1], o.ID, nil)
		if code != http.StatusConflict {
			t.Fatalf("checkout of a paid order = %d %s, want 409", code, raw)
		}
		if after := h.orderRows(o.ID); after != before {
			t.Errorf("a refused checkout changed the order: %+v, was %+v", after, before)
		}
	})

	t.Run("after failed a new checkout opens a new session", func(t *testing.T) {
		o := h.createOrder(g, "20.00", "")
		first := h.mustCheckout(g, o.ID)
		h.pay(first.RequestID, cardDeny) // the attempts limit is 1: the session is rejected
		h.waitStatus(g, o.ID, "failed", 5*time.Second)

		second := h.mustCheckout(g, o.ID)
		if second.RequestID == first.RequestID || second.ProcessURL == first.ProcessURL {
			t.Fatalf("checkout after failed returned %+v, want a new session (the first was %+v)", second, first)
		}
		got := h.order(g, o.ID, false)
		if got.Status != "pending" {
			t.Errorf("order is %s after a new checkout, want pending", got.Status)
		}
		if n := h.count(`SELECT count(*) FROM order_timeline WHERE order_id = $1 AND kind = 'transition'
			AND from_status = 'failed' AND to_status = 'pending'`, o.ID); n != 1 {
			t.Errorf("%d failed→pending transitions on the timeline, want 1", n)
		}
		// Every status change is an event: the storefront hears the order is payable again.
		if n := h.count(`SELECT count(*) FROM events WHERE order_id = $1 AND type = 'order.pending'
			AND data->>'previousStatus' = 'failed' AND data->>'status' = 'pending'`, o.ID); n != 1 {
			t.Errorf("%d order.pending events from failed, want 1", n)
		}
		if r := h.orderRows(o.ID); r.sessions != 2 || r.openSessions != 1 {
			t.Errorf("%+v, want the rejected session and one open one", r)
		}
		// The new session is the one that pays.
		h.pay(second.RequestID, cardApprove)
		h.waitStatus(g, o.ID, "paid", 5*time.Second)
		if n := h.eventsOf(o.ID, "order.paid"); n != 1 {
			t.Errorf("%d order.paid events, want 1", n)
		}
	})

	t.Run("cancel closes the open PlacetoPay session", func(t *testing.T) {
		// CONTRACT: POST /v1/orders/{id}/cancel "cancels an unpaid order and its open
		// PlacetoPay session". A session left payable lets a shopper pay a cancelled order.
		o := h.createOrder(g, "22.00", "")
		s := h.mustCheckout(g, o.ID)
		code, raw := h.call(g, http.MethodPost, "/v1/orders/"+o.ID+"/cancel", nil)
		if code != http.StatusOK {
			t.Fatalf("cancel = %d %s, want 200", code, raw)
		}
		if st := h.sandboxSession(s.RequestID).Status; st.Status != "REJECTED" {
			t.Errorf("after the cancel the PlacetoPay session is %s (%s), want REJECTED (cancelled by the merchant, MC)", st.Status, st.Reason)
		}
		if code, raw := h.checkout(g, o.ID, nil); code != http.StatusConflict {
			t.Errorf("checkout of a cancelled order = %d %s, want 409", code, raw)
		}
		// If the shopper could still pay it, the approval must at least never make the
		// order paid: review.
		_, err := h.sandbox.Pay(t.Context(), s.RequestID, cardApprove)
		var refused *sandbox.ControlError
		if err != nil && !errors.As(err, &refused) {
			t.Fatal(err)
		}
		if err == nil {
			t.Errorf("the shopper paid the session of a cancelled order")
			if got := h.order(g, o.ID, true); got.Status != "review" {
				t.Errorf("a payment approved after the cancel left the order %s, want review", got.Status)
			}
			if n := h.transitionsTo(o.ID, "paid"); n != 0 {
				t.Errorf("%d transitions to paid after a cancel", n)
			}
		}
	})

	// Last: it moves the sandbox clock.
	t.Run("PlacetoPay refusing gives 422 with its reason and writes nothing", func(t *testing.T) {
		// PlacetoPay wants an expiration at least 5 minutes after the session's creation by
		// its own clock. With the sandbox's clock 2 minutes ahead of the gateway's, a 6
		// minute session passes the gateway's and the client's checks and PlacetoPay
		// refuses it.
		h.advance(2 * time.Minute)
		o := h.createOrder(g, "21.00", "")
		before := h.orderRows(o.ID)
		code, raw := h.checkout(g, o.ID, map[string]any{"expiresIn": 360})
		if code != http.StatusUnprocessableEntity {
			t.Fatalf("checkout PlacetoPay refuses = %d %s, want 422", code, raw)
		}
		p := problem(raw)
		if !strings.Contains(p.Detail, "request_not_valid") || !strings.Contains(p.Detail, "5 minutes") {
			t.Errorf("problem detail %q, want PlacetoPay's reason (request_not_valid) and message", p.Detail)
		}
		if after := h.orderRows(o.ID); after != before || after.sessions != 0 {
			t.Errorf("a refused checkout wrote %+v, was %+v; want nothing", after, before)
		}
	})
}
