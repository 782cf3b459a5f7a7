package main

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/placetopay-gateway/gateway/internal/placetopay/sandbox"
)

// TestMoneyPathConcurrentConfirmations: one approved session confirmed at once by 50
// identical notifications, 50 shopper returns and 50 refreshes, spread over three gateway
// instances on the one database, gives exactly one transition to paid and one order.paid
// event.
func TestMoneyPathConcurrentConfirmations(t *testing.T) {
	t.Parallel()
	const each = 50
	// The sandbox's notification is dropped: the test posts PlacetoPay's exact body itself,
	// 50 times. The probe interval is long so the probe only runs what notifications ask.
	h := newHarness(t, harnessConfig{
		sandbox:       sandbox.Config{Faults: sandbox.Faults{Drop: 1}},
		probeInterval: time.Minute,
		instances:     3,
	})
	o := h.createOrder(h.gateways[0], "99.90", shopReturnURL)
	s := h.mustCheckout(h.gateways[1], o.ID)
	h.pay(s.RequestID, cardApprove)
	notes := h.sandboxNotifications(s.RequestID)
	if len(notes) != 1 || notes[0].Status != "APPROVED" {
		t.Fatalf("sandbox notifications for the session: %+v, want one APPROVED", notes)
	}
	body := []byte(notes[0].Body)

	type call struct {
		kind string
		req  *http.Request
		want int
	}
	var calls []call
	for i := range each {
		for k, kind := range []string{"notification", "return", "refresh"} {
			g := h.gateways[(i+k)%len(h.gateways)]
			var (
				req  *http.Request
				err  error
				want int
			)
			switch kind {
			case "notification":
				req, err = http.NewRequest(http.MethodPost, g.url+"/webhooks/placetopay", bytes.NewReader(body))
				want = http.StatusOK
				if err == nil {
					req.Header.Set("Content-Type", "application/json")
				}
			case "return":
				req, err = http.NewRequest(http.MethodGet, g.url+"/return/"+o.ID, nil)
				want = http.StatusSeeOther
			case "refresh":
				req, err = http.NewRequest(http.MethodGet, g.url+"/v1/orders/"+o.ID+"?refresh=true", nil)
				want = http.StatusOK
				if err == nil {
					req.Header.Set("Authorization", "Bearer "+merchantAPIKey)
				}
			}
			if err != nil {
				t.Fatal(err)
			}
			calls = append(calls, call{kind, req, want})
		}
	}

	// Every request waits at the barrier, so that they really overlap.
	start := make(chan struct{})
	errs := make(chan string, len(calls))
	var ready, done sync.WaitGroup
	for _, c := range calls {
		ready.Add(1)
		done.Add(1)
		go func() {
			defer done.Done()
			ready.Done()
			<-start
			resp, err := harnessClient.Do(c.req)
			if err != nil {
				errs <- fmt.Sprintf("%s: %v", c.kind, err)
				return
			}
			raw, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			switch {
			case resp.StatusCode != c.want:
				errs <- fmt.Sprintf("%s = %d %s, want %d", c.kind, resp.StatusCode, raw, c.want)
			case c.kind == "return" && resp.Header.Get("Location") != shopReturnURL:
				errs <- fmt.Sprintf("return redirected to %q, want %q", resp.Header.Get("Location"), shopReturnURL)
			}
		}()
	}
	ready.Wait()
	began := time.Now()
	close(start)
	done.Wait()
	close(errs)
	t.Logf("%d requests over %d instances answered in %s", len(calls), len(h.gateways), time.Since(began).Round(time.Millisecond))
	for e := range errs {
		t.Error(e)
	}

	// Every notification was accepted before its 200, so once the session is no longer due
	// every check they asked for has run.
	quiet := time.Now()
	h.waitDB("the checks the notifications asked for ran", 10*time.Second,
		`SELECT next_check_at IS NULL FROM checkout_sessions WHERE request_id = $1`, s.RequestID)
	t.Logf("the session was settled %s after the last answer", time.Since(quiet).Round(time.Millisecond))

	if got := h.order(h.gateways[2], o.ID, false); got.Status != "paid" || got.PaidAmount.Total != "99.90" {
		t.Errorf("order is %s with %s paid, want paid 99.90", got.Status, got.PaidAmount.Total)
	}
	if n := h.transitionsTo(o.ID, "paid"); n != 1 {
		t.Errorf("%d transitions to paid on the timeline, want exactly 1", n)
	}
	if n := h.eventsOf(o.ID, "order.paid"); n != 1 {
		t.Errorf("%d order.paid events, want exactly 1", n)
	}
	if n := h.count(`SELECT count(*) FROM events WHERE order_id = $1`, o.ID); n != 1 {
		t.Errorf("%d events for the order, want only order.paid", n)
	}
	if n := h.count(`SELECT count(*) FROM payments WHERE order_id = $1`, o.ID); n != 1 {
		t.Errorf("%d payment rows, want 1", n)
	}
	var rows, dups int
	if err := h.db.QueryRow(t.Context(), `SELECT count(*), coalesce(sum(duplicates), 0) FROM notifications WHERE request_id = $1`,
		s.RequestID).Scan(&rows, &dups); err != nil {
		t.Fatal(err)
	}
	if rows != 1 || dups != each-1 {
		t.Errorf("notifications stored: %d row(s) with %d duplicate(s), want 1 row with %d", rows, dups, each-1)
	}
}
