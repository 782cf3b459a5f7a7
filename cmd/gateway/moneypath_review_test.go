package main

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestMoneyPathRefundOfOpenPartialSession: a partially paid order whose partial session is
// still open cannot be refunded (PlacetoPay will not cancel a session with an approved
// payment, so the shopper could still pay the rest after the refund and the money would go
// unseen); once the session is over it can.
func TestMoneyPathRefundOfOpenPartialSession(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessConfig{probeInterval: time.Hour, proxy: true})
	g := h.gateways[0]
	o := h.createOrder(g, "100.00", "")
	code, raw := h.checkout(g, o.ID, map[string]any{"allowPartial": true})
	if code != http.StatusCreated {
		t.Fatalf("checkout = %d %s", code, raw)
	}
	var s checkoutJSON
	h.decode(raw, &s)
	h.payPart(s.RequestID, "50.00")
	if got := h.order(g, o.ID, true); got.Status != "partially_paid" || got.PaidAmount.Total != "50.00" {
		t.Fatalf("after 50.00 of 100.00: %s paid %s, want partially_paid 50.00", got.Status, got.PaidAmount.Total)
	}
	code, r, p := h.refund(g, o.ID, nil)
	if code != http.StatusConflict || p.Code != "conflict" || !strings.Contains(p.Detail, "partial session") {
		t.Fatalf("refund while the partial session is open = %d %+v %+v, want 409 naming the open partial session", code, r, p)
	}
	if n := h.count(`SELECT count(*) FROM refunds WHERE order_id = $1`, o.ID); n != 0 {
		t.Errorf("%d refund rows after a refused refund, want 0", n)
	}
	got := h.order(g, o.ID, false)
	if got.Status != "partially_paid" || got.RefundedAmount.Total != "0.00" {
		t.Errorf("order after the refused refund: %+v, want partially_paid with nothing refunded", got)
	}
	// The shopper pays the rest on the same session: the order is paid, and refundable.
	h.payPart(s.RequestID, "50.00")
	h.waitStatus(g, o.ID, "paid", 10*time.Second)
	if code, r, p := h.refund(g, o.ID, usd("50.00")); code != http.StatusCreated || r.Status != "succeeded" {
		t.Fatalf("refund of the paid order = %d %+v %+v, want 201 succeeded", code, r, p)
	}
}

// TestMoneyPathCancelAuthorized: an authorized order holds money on the card; cancel would
// leave the hold in place, so it is refused and points to release.
func TestMoneyPathCancelAuthorized(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessConfig{probeInterval: time.Hour, proxy: true})
	g := h.gateways[0]
	o, _ := h.approvedOrder(g, "40.00", map[string]any{"type": "checkin"}, "authorized")
	code, raw := h.call(g, http.MethodPost, "/v1/orders/"+o.ID+"/cancel", nil)
	var p problemJSON
	if code != http.StatusConflict {
		t.Fatalf("cancel of an authorized order = %d %s, want 409", code, raw)
	}
	h.decode(raw, &p)
	if !strings.Contains(p.Detail, "/release") {
		t.Errorf("cancel of an authorized order: %q, want it to point to /release", p.Detail)
	}
	if got := h.order(g, o.ID, false); got.Status != "authorized" || h.eventsOf(o.ID, "order.cancelled") != 0 {
		t.Errorf("after the refused cancel: %s with %d order.cancelled events, want authorized and none", got.Status, h.eventsOf(o.ID, "order.cancelled"))
	}
	// Release is the way: the hold goes, the order is cancelled.
	code, raw = h.call(g, http.MethodPost, "/v1/orders/"+o.ID+"/release", nil)
	if code != http.StatusOK {
		t.Fatalf("release = %d %s", code, raw)
	}
	if got := h.order(g, o.ID, false); got.Status != "cancelled" {
		t.Errorf("after release: %s, want cancelled", got.Status)
	}
}
