package main

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/placetopay-gateway/gateway/internal/placetopay"
	"github.com/placetopay-gateway/gateway/internal/placetopay/sandbox"
)

// TestMoneyPathSessionPlacetoPayDoesNotKnow: the gateway's PlacetoPay changes under it (the
// credentials or PLACETOPAY_BASE_URL now name another site or environment, or a development
// sandbox lost its memory), so PlacetoPay says the sessions the gateway opened do not exist.
// Each such session is flagged on its order's timeline and in gateway_sessions_unknown, its
// processUrl is never handed out again (a new checkout opens a new session, which pays), its
// order can be cancelled, and when the first PlacetoPay comes back with a payment made on the
// cancelled order's session, that order goes to review.
func TestMoneyPathSessionPlacetoPayDoesNotKnow(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessConfig{proxy: true, probeInterval: time.Hour})
	g := h.gateways[0]

	kept := h.createOrder(g, "30.00", "")
	keptFirst := h.mustCheckout(g, kept.ID)
	cancelled := h.createOrder(g, "40.00", "")
	cancelledFirst := h.mustCheckout(g, cancelled.ID)

	// Another PlacetoPay with the same credentials that never saw those sessions, its ids far
	// from the first one's.
	other, err := sandbox.New(sandbox.Config{Login: placetopayLogin, SecretKey: placetopaySecretKey,
		NotifyURL: g.url + "/webhooks/placetopay", IDStart: sandbox.DefaultIDStart(time.Now()) + 50_000_000})
	if err != nil {
		t.Fatal(err)
	}
	otherSrv := httptest.NewServer(other.Handler())
	t.Cleanup(otherSrv.Close)
	t.Cleanup(other.Close)
	otherControl := sandbox.Control{BaseURL: otherSrv.URL, HTTP: harnessClient}
	h.proxy.retarget(otherSrv.URL)

	unknownNotes := func(orderID string) int {
		return h.count(`SELECT count(*) FROM order_timeline WHERE order_id = $1 AND kind = 'note' AND reason = 'session_unknown'`, orderID)
	}

	t.Run("the order of a session PlacetoPay does not know can be cancelled", func(t *testing.T) {
		code, raw := h.call(g, http.MethodPost, "/v1/orders/"+cancelled.ID+"/cancel", nil)
		if code != http.StatusOK {
			t.Fatalf("cancel = %d %s, want 200", code, raw)
		}
		if o := h.order(g, cancelled.ID, false); o.Status != "cancelled" {
			t.Errorf("order is %s after the cancel, want cancelled", o.Status)
		}
		if n := unknownNotes(cancelled.ID); n != 1 {
			t.Errorf("%d session_unknown notes on the cancelled order's timeline, want 1", n)
		}
	})

	t.Run("the probe flags the session, and its processUrl is never handed out again", func(t *testing.T) {
		// A signed notification makes the session due now: the probe's query hears 404.
		date := time.Now().Format(time.RFC3339)
		code, raw := h.notify(g, notificationBody(t, placetopay.SHA256, keptFirst.RequestID, kept.Reference, "PENDING", date, "PENDING", placetopaySecretKey))
		if code != http.StatusOK {
			t.Fatalf("notification = %d %s", code, raw)
		}
		h.waitDB("the session flagged as unknown to PlacetoPay", 20*time.Second,
			`SELECT unknown_since IS NOT NULL AND attempt = 'closed' FROM checkout_sessions WHERE request_id = $1`, keptFirst.RequestID)
		if n := unknownNotes(kept.ID); n != 1 {
			t.Errorf("%d session_unknown notes on the order's timeline, want 1", n)
		}
		if v, ok := value(scrape(t, g.admin), "gateway_sessions_unknown", nil); !ok || v != 2 {
			t.Errorf("gateway_sessions_unknown = %v (present %v), want 2: both sessions are still checked", v, ok)
		}

		again := h.mustCheckout(g, kept.ID)
		if again.RequestID == keptFirst.RequestID || again.ProcessURL == keptFirst.ProcessURL {
			t.Fatalf("checkout after the flag handed out session %d (%s) again", again.RequestID, again.ProcessURL)
		}
		resp, err := harnessClient.Get(again.ProcessURL)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("GET the new processUrl = %d, want 200", resp.StatusCode)
		}
		if _, err := otherControl.Pay(t.Context(), again.RequestID, cardApprove); err != nil {
			t.Fatal(err)
		}
		h.waitStatus(g, kept.ID, "paid", 20*time.Second)
	})

	t.Run("a payment on the cancelled order's session, found later, goes to review", func(t *testing.T) {
		h.proxy.retarget(h.sandboxURL)
		h.pay(cancelledFirst.RequestID, cardApprove) // its notification reaches the gateway
		o, _ := h.waitStatus(g, cancelled.ID, "review", 20*time.Second)
		if len(o.Payments) != 1 || o.Payments[0].Status != "APPROVED" {
			t.Errorf("payments of the order in review = %+v, want the one approval", o.Payments)
		}
		h.waitDB("the flag cleared once PlacetoPay answers", 5*time.Second,
			`SELECT unknown_since IS NULL FROM checkout_sessions WHERE request_id = $1`, cancelledFirst.RequestID)
		if n := unknownNotes(cancelled.ID); n != 1 {
			t.Errorf("%d session_unknown notes, want still 1", n)
		}
	})

	if strings.Contains(g.logs.String(), placetopaySecretKey) {
		t.Error("the log holds PlacetoPay's secret key")
	}
}
