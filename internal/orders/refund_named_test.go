package orders_test

import (
	"context"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/placetopay-gateway/gateway/internal/orders"
	"github.com/placetopay-gateway/gateway/internal/pgtest"
)

// TestRefundTheExtraPaymentOfAnOrderInReview: a shopper paid twice, the order went to review;
// the extra payment is refunded by naming it, the order stays in review (an operator resolves
// it), the ledger holds the refund and an order.refunded event says so. A refund that names
// no payment is still refused on an order in review.
func TestRefundTheExtraPaymentOfAnOrderInReview(t *testing.T) {
	ctx := context.Background()
	pool := pgtest.Pool(t)
	store := orders.NewStore(pool, zap.NewNop())
	svc := orders.NewService(store, zap.NewNop())
	prov := &ledgerProvider{reverse: func(int64, *orders.Money) (orders.ProviderPayment, error) {
		return orders.ProviderPayment{Status: orders.ProviderApproved, InternalReference: 99001}, nil
	}}
	pay := wire(store, prov, orders.Config{PublicURL: "http://gw.test", ProbeInterval: time.Minute})
	o, _, err := svc.Create(ctx, orders.CreateParams{Reference: "TWICE-1", Description: "test order", Amount: orders.Money{Minor: 59_900_00, Currency: "USD"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := pay.checkouts.Checkout(ctx, o.ID, orders.CheckoutParams{IPAddress: "127.0.0.1"}); err != nil {
		t.Fatal(err)
	}
	prov.answer("TWICE-1", false, 59_900_00, 59_900_00) // payments 8000 and 8001
	if err := pay.reconciler.Reconcile(ctx, 5151); err != nil {
		t.Fatal(err)
	}
	if got, _ := svc.Get(ctx, o.ID); got.Status != orders.StatusReview {
		t.Fatalf("a double payment left the order %s, want review", got.Status)
	}

	if _, err := pay.actions.Refund(ctx, o.ID, nil); orders.ErrorCode(err) != orders.EConflict {
		t.Errorf("a refund naming no payment of an order in review = %v, want a conflict", err)
	}
	if _, err := pay.actions.RefundPayment(ctx, o.ID, 4242, nil); orders.ErrorCode(err) != orders.ENotFound {
		t.Errorf("a refund of a payment the order does not have = %v, want not found", err)
	}
	r, err := pay.actions.RefundPayment(ctx, o.ID, 8001, nil)
	if err != nil {
		t.Fatal(err)
	}
	if r.Status != orders.ActionSucceeded || r.PaymentInternalReference != 8001 || r.Amount.Minor != 59_900_00 {
		t.Errorf("refund = %+v, want payment 8001 refunded in full", r)
	}
	if len(prov.reverts) != 1 || prov.reverts[0] != 8001 {
		t.Errorf("PlacetoPay was asked to reverse %v, want [8001]", prov.reverts)
	}
	got, err := svc.Get(ctx, o.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != orders.StatusReview || got.RefundedMinor != 59_900_00 || got.PaidMinor != 2*59_900_00 {
		t.Errorf("after the refund: %s paid %d refunded %d; want review, 119800.00 paid, 59900.00 refunded", got.Status, got.PaidMinor, got.RefundedMinor)
	}
	var events int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM events WHERE order_id = $1 AND type = 'order.refunded' AND data->>'status' = 'review'`, o.ID).Scan(&events); err != nil {
		t.Fatal(err)
	}
	if events != 1 {
		t.Errorf("%d order.refunded events, want one (the order staying in review)", events)
	}
	// The same payment again: nothing left.
	if _, err := pay.actions.RefundPayment(ctx, o.ID, 8001, nil); orders.ErrorCode(err) != orders.EConflict {
		t.Errorf("a second refund of the refunded payment = %v, want a conflict", err)
	}
}
