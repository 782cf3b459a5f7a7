package main

import (
	"net/http"
	"testing"
	"time"

	"github.com/placetopay-gateway/gateway/internal/placetopay/sandbox"
)

// TestMoneyPathCancelOfAnApprovedSession: the merchant cancels an order whose session
// PlacetoPay has already approved, before the gateway has heard of it (every notification
// is dropped and the probe is an hour away). PlacetoPay refuses to cancel a session that is
// not pending; the gateway then queries it, finds the approval, makes the order paid and
// refuses the cancel. Nothing is lost and nothing is cancelled that was paid.
func TestMoneyPathCancelOfAnApprovedSession(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessConfig{probeInterval: time.Hour, sandbox: sandbox.Config{Faults: sandbox.Faults{Drop: 1}}})
	g := h.gateways[0]
	o := h.createOrder(g, "64.00", "")
	s := h.mustCheckout(g, o.ID)
	h.pay(s.RequestID, cardApprove)
	if got := h.order(g, o.ID, false); got.Status != "pending" {
		t.Fatalf("before the cancel the gateway already knows: %s; the test needs it not to", got.Status)
	}

	code, raw := h.call(g, http.MethodPost, "/v1/orders/"+o.ID+"/cancel", nil)
	if code != http.StatusConflict {
		t.Fatalf("cancel of an order whose session PlacetoPay approved = %d %s, want 409", code, raw)
	}
	var p problemJSON
	h.decode(raw, &p)
	if p.Code != "conflict" {
		t.Errorf("problem %+v, want code conflict", p)
	}
	if st := h.sandboxSession(s.RequestID).Status; st.Status != "APPROVED" {
		t.Errorf("the PlacetoPay session is %s after the refused cancel, want APPROVED", st.Status)
	}
	got := h.order(g, o.ID, false)
	if got.Status != "paid" || got.PaidAmount.Total != "64.00" {
		t.Errorf("order after the refused cancel: %s paid %s, want paid 64.00", got.Status, got.PaidAmount.Total)
	}
	if n := h.eventsOf(o.ID, "order.paid"); n != 1 {
		t.Errorf("%d order.paid events, want 1", n)
	}
	if n := h.eventsOf(o.ID, "order.cancelled"); n != 0 {
		t.Errorf("%d order.cancelled events, want 0", n)
	}

	// Cancelling the paid order again is refused without asking PlacetoPay anything.
	if code, raw := h.call(g, http.MethodPost, "/v1/orders/"+o.ID+"/cancel", nil); code != http.StatusConflict {
		t.Errorf("cancel of a paid order = %d %s, want 409", code, raw)
	}
}
