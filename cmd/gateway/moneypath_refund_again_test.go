package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"testing"
	"time"
)

// TestMoneyPathRefundRequestRunAgain: a replica refunds part of a payment and dies before the
// answer is kept for the request's Idempotency-Key; once the key's lease ends the storefront's
// retry runs the request again (here: the key's record is gone, as a takeover finds it). The
// retry gets the refund made the first time, and PlacetoPay is not asked for another.
func TestMoneyPathRefundRequestRunAgain(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessConfig{probeInterval: 400 * time.Millisecond})
	g := h.gateways[0]
	o, _ := h.approvedOrder(g, "20.00", nil, "paid")
	refund := func() (int, refundJSON) {
		t.Helper()
		body, _ := json.Marshal(map[string]any{"amount": map[string]string{"currency": "USD", "total": "8.00"}})
		req, err := http.NewRequest(http.MethodPost, g.url+"/v1/orders/"+o.ID+"/refunds", bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+merchantAPIKey)
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Idempotency-Key", "refund-"+o.ID+"-1")
		resp, err := harnessClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		raw, _ := io.ReadAll(resp.Body)
		var r refundJSON
		_ = json.Unmarshal(raw, &r)
		return resp.StatusCode, r
	}
	code, first := refund()
	if code != http.StatusCreated || first.Status != "succeeded" {
		t.Fatalf("refund = %d %+v, want 201 succeeded", code, first)
	}
	if _, err := h.db.Exec(t.Context(), `DELETE FROM idempotency_keys`); err != nil {
		t.Fatal(err)
	}
	code, again := refund()
	if code != http.StatusCreated || again.ID != first.ID || again.Status != "succeeded" {
		t.Errorf("the request run again = %d %+v, want 201 with refund %s", code, again, first.ID)
	}
	if n := h.count(`SELECT count(*) FROM refunds WHERE order_id = $1`, o.ID); n != 1 {
		t.Errorf("%d refunds in the ledger, want 1", n)
	}
	if got := h.order(g, o.ID, false); got.Status != "partially_refunded" || got.RefundedAmount.Total != "8.00" {
		t.Errorf("order = %s refunded %s, want partially_refunded 8.00", got.Status, got.RefundedAmount.Total)
	}
}
