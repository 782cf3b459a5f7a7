package main

import (
	"net/http"
	"testing"
	"time"

	"github.com/placetopay-gateway/gateway/internal/placetopay/sandbox"
)

// TestMoneyPathSessionPaidTwice: the shopper pays an approved session again (two tabs); the
// sandbox notifies the session's new approval, the gateway's query sees two approved
// payments of the order's amount, and the order goes to review.
func TestMoneyPathSessionPaidTwice(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessConfig{probeInterval: time.Hour})
	g := h.gateways[0]
	o, requestID := h.approvedOrder(g, "30.00", nil, "paid")
	h.advance(time.Second) // the new approval must not be dated the same second as the first
	if _, err := h.sandbox.PayAgain(t.Context(), requestID, cardApprove); err != nil {
		t.Fatal(err)
	}
	got, _ := h.waitStatus(g, o.ID, "review", 10*time.Second)
	if got.PaidAmount.Total != "60.00" {
		t.Errorf("order in review with %s paid, want 60.00: both payments", got.PaidAmount.Total)
	}
	if n := h.count(`SELECT count(*) FROM payments WHERE order_id = $1 AND status = 'APPROVED'`, o.ID); n != 2 {
		t.Errorf("%d approved payments recorded, want 2", n)
	}
}

// TestMoneyPathRefundAnswerLost: PlacetoPay carries a partial refund out but answers 500 (a
// sandbox API fault): the gateway records the refund unknown, never sends it again, and the
// session query cannot tell a partial refund, so it stays unknown for a person to settle.
func TestMoneyPathRefundAnswerLost(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessConfig{probeInterval: time.Second})
	g := h.gateways[0]
	o, _ := h.approvedOrder(g, "30.00", nil, "paid")
	if err := h.sandbox.SetAPIFaults(t.Context(), map[string]sandbox.APIFault{
		"transaction": {Status: http.StatusInternalServerError, Apply: true, Count: 1}}); err != nil {
		t.Fatal(err)
	}
	code, r, p := h.refund(g, o.ID, usd("10.00"))
	if code >= 300 || r.Status != "unknown" {
		t.Fatalf("refund with the answer lost = %d %+v %+v, want it recorded unknown", code, r, p)
	}
	txs, err := h.sandbox.Transactions(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	var reversals int
	for _, tx := range txs {
		if tx.Kind == "reversal" && tx.Reference == o.Reference {
			reversals++
		}
	}
	if reversals != 1 {
		t.Errorf("the sandbox made %d reversals for %s, want 1: the refund happened, only its answer was lost", reversals, o.Reference)
	}
	time.Sleep(3 * time.Second) // a few of the unknown-refund sweeps
	if n := h.count(`SELECT count(*) FROM refunds WHERE order_id = $1 AND status = 'unknown'`, o.ID); n != 1 {
		t.Errorf("%d unknown refunds after the sweeps, want 1: a partial refund is not visible in a session query", n)
	}
}
