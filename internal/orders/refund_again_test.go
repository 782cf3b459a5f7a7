package orders_test

import (
	"context"
	"testing"

	"github.com/placetopay-gateway/gateway/internal/orders"
)

// A request for part of a payment that runs again, as when its replica died after the refund
// and before its Idempotency-Key kept the answer, gets the refund it made: PlacetoPay is not
// asked twice. Another request for the same amount is another refund.
func TestARefundRequestRunAgainGetsTheRefundItMade(t *testing.T) {
	pay, prov, o, num := paidOrder(t, "AGAIN-1", 100_00, 100_00)
	prov.reverse = func(int64, *orders.Money) (orders.ProviderPayment, error) {
		return orders.ProviderPayment{Status: orders.ProviderApproved, InternalReference: 99001}, nil
	}
	forty := &orders.Money{Minor: 40_00, Currency: "USD"}
	first := orders.WithRequestKey(context.Background(), "merchant", "refund-1")
	r1, err := pay.actions.Refund(first, o.ID, forty)
	if err != nil || r1.Status != orders.ActionSucceeded {
		t.Fatalf("first refund = %+v, %v", r1, err)
	}
	again, err := pay.actions.Refund(orders.WithRequestKey(context.Background(), "merchant", "refund-1"), o.ID, forty)
	if err != nil || again.ID != r1.ID || again.Status != orders.ActionSucceeded {
		t.Errorf("the same request again = %+v, %v; want refund %s, succeeded", again, err, r1.ID)
	}
	if len(prov.reverts) != 1 {
		t.Errorf("PlacetoPay was asked for %d refunds, want 1", len(prov.reverts))
	}
	if n := num(`SELECT refunded_minor FROM orders WHERE id = $1`, o.ID); n != 40_00 {
		t.Errorf("refunded %d, want 4000", n)
	}
	// The same Idempotency-Key of another API key, and another key, are other requests.
	for _, ctx := range []context.Context{
		orders.WithRequestKey(context.Background(), "other-merchant", "refund-1"),
		orders.WithRequestKey(context.Background(), "merchant", "refund-2"),
	} {
		r, err := pay.actions.Refund(ctx, o.ID, &orders.Money{Minor: 10_00, Currency: "USD"})
		if err != nil || r.ID == r1.ID {
			t.Errorf("another request = %+v, %v; want a refund of its own", r, err)
		}
	}
	if len(prov.reverts) != 3 || num(`SELECT refunded_minor FROM orders WHERE id = $1`, o.ID) != 60_00 {
		t.Errorf("PlacetoPay asked %d times, refunded %d; want 3 and 6000", len(prov.reverts), num(`SELECT refunded_minor FROM orders WHERE id = $1`, o.ID))
	}
}

// A rejected refund refunded nothing: its request run again makes a new refund.
func TestARejectedRefundRequestRunAgainIsTriedAgain(t *testing.T) {
	pay, prov, o, num := paidOrder(t, "AGAIN-2", 100_00, 100_00)
	prov.reverse = func(int64, *orders.Money) (orders.ProviderPayment, error) {
		return orders.ProviderPayment{Status: orders.ProviderRejected, Reason: "X1", Message: "no"}, nil
	}
	ctx := orders.WithRequestKey(context.Background(), "merchant", "refund-1")
	half := &orders.Money{Minor: 50_00, Currency: "USD"}
	if _, err := pay.actions.Refund(ctx, o.ID, half); orders.ErrorCode(err) != orders.EInvalid {
		t.Fatalf("first refund = %v, want rejected", err)
	}
	prov.reverse = func(int64, *orders.Money) (orders.ProviderPayment, error) {
		return orders.ProviderPayment{Status: orders.ProviderApproved, InternalReference: 99002}, nil
	}
	r, err := pay.actions.Refund(ctx, o.ID, half)
	if err != nil || r.Status != orders.ActionSucceeded {
		t.Errorf("the same request again = %+v, %v; want a new refund, succeeded", r, err)
	}
	if len(prov.reverts) != 2 || num(`SELECT count(*) FROM refunds WHERE order_id = $1 AND status = 'failed'`, o.ID) != 1 {
		t.Errorf("PlacetoPay was asked %d times, want twice, and the failed refund kept", len(prov.reverts))
	}
}
