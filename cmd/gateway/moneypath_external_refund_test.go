package main

import (
	"context"
	"net/http"
	"testing"
	"time"
)

// moveRefundChecks moves the gateway's clock by d for the refund checks of order id: their
// schedule is stored, so a payment an hour older is the same as a clock an hour later.
func (h *harness) moveRefundChecks(orderID string, d time.Duration) {
	h.t.Helper()
	if _, err := h.db.Exec(context.Background(),
		`UPDATE refund_checks SET paid_at = paid_at - make_interval(secs => $2), next_check_at = next_check_at - make_interval(secs => $2)
		 WHERE order_id = $1`, orderID, d.Seconds()); err != nil {
		h.t.Fatal(err)
	}
}

// TestExternalRefundFoundByTheSlowSchedule: a payment refunded in PlacetoPay's panel (the
// sandbox's control call; no notification) is found by the refund check an hour after
// payment, entered in the ledger with source external, and the order is refunded with
// exactly one order.refunded event; a second check adds nothing.
func TestExternalRefundFoundByTheSlowSchedule(t *testing.T) {
	h := newHarness(t, harnessConfig{probeInterval: 200 * time.Millisecond})
	g := h.gateways[0]
	o, requestID := h.approvedOrder(g, "42.50", nil, "paid")
	h.waitDB("the paid session is on the refund checks' schedule, an hour after payment", 10*time.Second,
		`SELECT count(*) = 1 FROM refund_checks WHERE order_id = $1 AND next_check_at BETWEEN now() + interval '59 minutes' AND now() + interval '61 minutes'`, o.ID)
	notified := len(h.sandboxNotifications(requestID))

	tx, err := h.sandbox.Refund(t.Context(), o.Payments[0].InternalReference, "")
	if err != nil {
		t.Fatal(err)
	}
	if !tx.Refunded || tx.RefundedTotal != "42.50" {
		t.Fatalf("the sandbox's refund left %+v, want the payment refunded in full", tx)
	}
	h.advance(2 * time.Minute)
	if n := len(h.sandboxNotifications(requestID)); n != notified {
		t.Errorf("the panel refund sent %d notifications, want none", n-notified)
	}
	if got := h.order(g, o.ID, false); got.Status != "paid" {
		t.Fatalf("order is %s before any refund check, want paid", got.Status)
	}

	h.moveRefundChecks(o.ID, time.Hour)
	got, _ := h.waitStatus(g, o.ID, "refunded", 15*time.Second)
	if got.RefundedAmount.Total != "42.50" {
		t.Errorf("refundedAmount = %+v, want 42.50", got.RefundedAmount)
	}
	evs := h.waitEvents(g, 1, 5*time.Second, ofOrder(o.ID, "order.refunded"))
	if r := member(evs[0].Data, "refund"); r["source"] != "external" || member(r, "amount")["total"] != "42.50" {
		t.Errorf("order.refunded carries refund %v, want an external refund of 42.50", r)
	}
	code, raw := h.call(g, http.MethodGet, "/v1/orders/"+o.ID+"/refunds", nil)
	var list struct {
		Data []struct {
			Source string    `json:"source"`
			Status string    `json:"status"`
			Amount moneyJSON `json:"amount"`
		} `json:"data"`
	}
	h.decode(raw, &list)
	if code != http.StatusOK || len(list.Data) != 1 || list.Data[0].Source != "external" || list.Data[0].Status != "succeeded" || list.Data[0].Amount.Total != "42.50" {
		t.Errorf("GET refunds = %d %s, want one succeeded external refund of 42.50", code, raw)
	}
	m := scrape(t, g.admin)
	if v, _ := value(m, "gateway_external_refunds_total", map[string]string{"status": "refunded"}); v != 1 {
		t.Errorf("gateway_external_refunds_total{status=refunded} = %v, want 1", v)
	}
	if v, _ := value(m, "gateway_refund_checks_total", map[string]string{"outcome": "external_refund"}); v != 1 {
		t.Errorf("gateway_refund_checks_total{outcome=external_refund} = %v, want 1", v)
	}

	// A second check of the same session, as a later step would make: nothing more.
	if _, err := h.db.Exec(t.Context(), `UPDATE refund_checks SET next_check_at = now() WHERE order_id = $1`, o.ID); err != nil {
		t.Fatal(err)
	}
	h.waitDB("the second check ran and ended the schedule", 15*time.Second,
		`SELECT count(*) = 1 FROM refund_checks WHERE order_id = $1 AND next_check_at IS NULL`, o.ID)
	if n := h.eventsOf(o.ID, "order.refunded"); n != 1 {
		t.Errorf("%d order.refunded events after a second check, want exactly 1", n)
	}
	if n := h.count(`SELECT count(*) FROM refunds WHERE order_id = $1`, o.ID); n != 1 {
		t.Errorf("%d refunds in the ledger after a second check, want 1", n)
	}
}

// TestPanelRefundOfTheRestAfterAGatewayRefund: the gateway refunds part of a payment, then
// the rest is refunded in PlacetoPay's panel. The check enters only the rest as external:
// the gateway's own refund is never counted twice.
func TestPanelRefundOfTheRestAfterAGatewayRefund(t *testing.T) {
	h := newHarness(t, harnessConfig{probeInterval: 200 * time.Millisecond})
	g := h.gateways[0]
	o, _ := h.approvedOrder(g, "30.00", nil, "paid")
	code, r, p := h.refund(g, o.ID, map[string]any{"amount": map[string]string{"currency": "USD", "total": "10.00"}})
	if code != http.StatusCreated || r.Status != "succeeded" {
		t.Fatalf("gateway refund of 10.00 = %d %+v %+v", code, r, p)
	}
	h.waitStatus(g, o.ID, "partially_refunded", 10*time.Second)

	// With nothing refunded outside the gateway, a check finds nothing.
	h.moveRefundChecks(o.ID, time.Hour)
	h.waitDB("the first check ran", 15*time.Second,
		`SELECT count(*) = 1 FROM refund_checks WHERE order_id = $1 AND last_checked_at IS NOT NULL`, o.ID)
	if n := h.count(`SELECT count(*) FROM refunds WHERE order_id = $1 AND source = 'external'`, o.ID); n != 0 {
		t.Fatalf("%d external refunds of a payment only the gateway refunded, want 0", n)
	}

	tx, err := h.sandbox.Refund(t.Context(), o.Payments[0].InternalReference, "")
	if err != nil || !tx.Refunded {
		t.Fatalf("panel refund of the rest = %+v %v", tx, err)
	}
	h.moveRefundChecks(o.ID, 5*time.Hour)
	h.waitStatus(g, o.ID, "refunded", 15*time.Second)
	if n := h.count(`SELECT count(*) FROM refunds WHERE order_id = $1 AND source = 'external' AND amount_minor = 2000`, o.ID); n != 1 {
		t.Errorf("%d external refunds of the 20.00 left, want 1", n)
	}
	if n := h.count(`SELECT refunded_minor FROM orders WHERE id = $1`, o.ID); n != 3000 {
		t.Errorf("the order's refunded amount is %d, want 3000", n)
	}
	h.waitEvents(g, 2, 5*time.Second, ofOrder(o.ID, "order.refunded"))
}
