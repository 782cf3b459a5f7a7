package orders_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/placetopay-gateway/gateway/internal/orders"
	"github.com/placetopay-gateway/gateway/internal/pgtest"
)

// ledgerProvider answers session queries with session and refunds with reverse.
type ledgerProvider struct {
	mu      sync.Mutex
	session orders.ProviderSession
	reverse func(internalReference int64, amount *orders.Money) (orders.ProviderPayment, error)
	reverts []int64
}

func (f *ledgerProvider) CreateSession(context.Context, orders.SessionRequest) (orders.CreatedSession, error) {
	return orders.CreatedSession{RequestID: 5151, ProcessURL: "https://checkout.test/session/5151/x"}, nil
}

func (f *ledgerProvider) QuerySession(context.Context, int64) (orders.ProviderSession, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.session, nil
}

func (f *ledgerProvider) CancelSession(context.Context, int64) error { return nil }

func (f *ledgerProvider) TransactionAction(_ context.Context, ref int64, _ string, amount *orders.Money) (orders.ProviderPayment, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.reverts = append(f.reverts, ref)
	return f.reverse(ref, amount)
}

func (f *ledgerProvider) answer(reference string, refunded bool, amounts ...int64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.session = orders.ProviderSession{RequestID: 5151, Status: "APPROVED"}
	for i, a := range amounts {
		f.session.Payments = append(f.session.Payments, orders.ProviderPayment{
			InternalReference: int64(8000 + i), Reference: reference, Status: "APPROVED", Currency: "USD",
			AmountMinor: a, AmountOK: true, Refunded: refunded,
		})
	}
}

// paidOrder creates an order of total minor units paid by payments of amounts.
func paidOrder(t *testing.T, reference string, total int64, amounts ...int64) (moneyPath, *ledgerProvider, orders.Order, func(string, ...any) int64) {
	t.Helper()
	ctx := context.Background()
	pool := pgtest.Pool(t)
	store := orders.NewStore(pool, zap.NewNop())
	prov := &ledgerProvider{}
	pay := wire(store, prov, orders.Config{PublicURL: "http://gw.test", ProbeInterval: time.Minute})
	o, _, err := orders.NewService(store, zap.NewNop()).Create(ctx, orders.CreateParams{Reference: reference, Description: "test order", Amount: orders.Money{Minor: total, Currency: "USD"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := pay.checkouts.Checkout(ctx, o.ID, orders.CheckoutParams{IPAddress: "127.0.0.1"}); err != nil {
		t.Fatal(err)
	}
	prov.answer(reference, false, amounts...)
	if err := pay.reconciler.Reconcile(ctx, 5151); err != nil {
		t.Fatal(err)
	}
	num := func(query string, args ...any) int64 {
		t.Helper()
		var n int64
		if err := pool.QueryRow(ctx, query, args...).Scan(&n); err != nil {
			t.Fatalf("%s: %v", query, err)
		}
		return n
	}
	if n := num(`SELECT count(*) FROM orders WHERE id = $1 AND status = 'paid'`, o.ID); n != 1 {
		t.Fatal("the order is not paid")
	}
	return pay, prov, o, num
}

// A recurring charge is reported only by a notification, never verified by a query and not
// part of the order's paid amount: it is never picked for a refund.
func TestRefundNeverPicksARecurringCharge(t *testing.T) {
	ctx := context.Background()
	pay, prov, o, num := paidOrder(t, "RECUR-R1", 100_00, 50_00, 50_00)
	prov.reverse = func(int64, *orders.Money) (orders.ProviderPayment, error) {
		return orders.ProviderPayment{Status: "APPROVED"}, nil
	}
	if n := num(`INSERT INTO payments (id, order_id, internal_reference, kind, reference, status, currency, amount_minor)
		VALUES (gen_random_uuid(), $1, 9900, 'recurring', 'RECUR-R1', 'APPROVED', 'USD', 10000) RETURNING 1`, o.ID); n != 1 {
		t.Fatal("recurring charge not inserted")
	}
	_, err := pay.actions.Refund(ctx, o.ID, nil) // everything: 100.00, more than either payment of the order
	var e *orders.Error
	if !errors.As(err, &e) || e.Code != orders.EInvalid {
		t.Fatalf("refund of 100.00 = %v, want invalid (one payment holds at most 50.00)", err)
	}
	if len(prov.reverts) != 0 {
		t.Errorf("PlacetoPay was asked to reverse %v, want nothing", prov.reverts)
	}
	if n := num(`SELECT count(*) FROM refunds r JOIN payments p ON p.id = r.payment_id WHERE p.kind = 'recurring'`); n != 0 {
		t.Errorf("%d refunds of the recurring charge, want 0", n)
	}
}

// An unknown partial refund, then the query shows the payment refunded in full: the ledger
// records what was asked, not the whole payment, and the order goes to review, since
// PlacetoPay shows more refunded than the gateway refunded.
func TestUnknownPartialRefundShownRefundedInFull(t *testing.T) {
	ctx := context.Background()
	pay, prov, o, num := paidOrder(t, "RESOLVE-1", 100_00, 100_00)
	prov.reverse = func(int64, *orders.Money) (orders.ProviderPayment, error) {
		return orders.ProviderPayment{}, errors.New("timeout")
	}
	r, err := pay.actions.Refund(ctx, o.ID, &orders.Money{Minor: 30_00, Currency: "USD"})
	if err != nil || r.Status != orders.ActionUnknown {
		t.Fatalf("refund with a lost answer = %+v %v, want unknown", r, err)
	}
	prov.answer("RESOLVE-1", true, 100_00)
	if err := pay.actions.ResolveRefund(ctx, r.ID); err != nil {
		t.Fatal(err)
	}
	if n := num(`SELECT amount_minor FROM refunds WHERE id = $1 AND status = 'succeeded'`, r.ID); n != 30_00 {
		t.Errorf("the refund recorded %d, want the 3000 asked", n)
	}
	if n := num(`SELECT refunded_minor FROM orders WHERE id = $1`, o.ID); n != 30_00 {
		t.Errorf("the order's refunded amount is %d, want 3000", n)
	}
	if n := num(`SELECT count(*) FROM orders WHERE id = $1 AND status = 'review'`, o.ID); n != 1 {
		t.Errorf("the order is not in review")
	}
	if n := num(`SELECT count(*) FROM events WHERE order_id = $1 AND type = 'order.review'`, o.ID); n != 1 {
		t.Errorf("%d order.review events, want 1", n)
	}
	// Another query of the session leaves it in review (review is never left automatically).
	if err := pay.reconciler.Reconcile(ctx, 5151); err != nil {
		t.Fatal(err)
	}
	if n := num(`SELECT count(*) FROM orders WHERE id = $1 AND status = 'review'`, o.ID); n != 1 {
		t.Errorf("a new query moved the order out of review")
	}
}
