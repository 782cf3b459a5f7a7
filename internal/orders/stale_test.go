package orders_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/placetopay-gateway/gateway/internal/orders"
	"github.com/placetopay-gateway/gateway/internal/pgtest"
)

// fakeProvider answers with whatever the test put in session.
type fakeProvider struct {
	mu      sync.Mutex
	session orders.ProviderSession
}

var _ orders.Provider = (*fakeProvider)(nil)

func (f *fakeProvider) CreateSession(context.Context, orders.SessionRequest) (orders.CreatedSession, error) {
	return orders.CreatedSession{RequestID: 4242, ProcessURL: "https://checkout.test/session/4242/x"}, nil
}

func (f *fakeProvider) QuerySession(context.Context, int64) (orders.ProviderSession, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.session, nil
}

func (f *fakeProvider) CancelSession(context.Context, int64) error { return nil }

func (f *fakeProvider) answer(status, payment orders.ProviderStatus, refunded bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.session = orders.ProviderSession{RequestID: 4242, Status: status, Payments: []orders.ProviderPayment{{
		InternalReference: 777, Reference: "STALE-1", Status: payment, Currency: "USD",
		Total: "10.00", AmountMinor: 1000, AmountOK: true, Refunded: refunded,
	}}}
}

// An answer older than one already applied (another replica's slower query) never moves a
// settled session or payment back, and a refund is never forgotten.
func TestStaleAnswersNeverGoBack(t *testing.T) {
	ctx := context.Background()
	pool := pgtest.Pool(t)
	store := orders.NewStore(pool, zap.NewNop())
	svc := orders.NewService(store, zap.NewNop())
	prov := &fakeProvider{}
	pay := wire(store, prov, orders.Config{PublicURL: "http://gw.test", ProbeInterval: time.Minute})

	o, _, err := svc.Create(ctx, orders.CreateParams{Reference: "STALE-1", Description: "test order", Amount: orders.Money{Minor: 1000, Currency: "USD"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := pay.checkouts.Checkout(ctx, o.ID, orders.CheckoutParams{IPAddress: "127.0.0.1"}); err != nil {
		t.Fatal(err)
	}
	prov.answer("APPROVED", "APPROVED", false)
	if err := pay.reconciler.Reconcile(ctx, 4242); err != nil {
		t.Fatal(err)
	}
	state := func() (session, payment string, refunded bool, next *time.Time, order orders.Status) {
		t.Helper()
		err := pool.QueryRow(ctx, `SELECT s.status, p.status, p.refunded, s.next_check_at, o.status
			FROM checkout_sessions s JOIN payments p ON p.session_id = s.id JOIN orders o ON o.id = s.order_id
			WHERE s.request_id = 4242`).Scan(&session, &payment, &refunded, &next, &order)
		if err != nil {
			t.Fatal(err)
		}
		return
	}
	if s, p, _, next, st := state(); s != "APPROVED" || p != "APPROVED" || st != orders.StatusPaid || next != nil {
		t.Fatalf("after approval: session %s payment %s order %s next %v; want APPROVED APPROVED paid nil", s, p, st, next)
	}

	// A stale PENDING answer: nothing moves back, and the session is looked at again soon.
	prov.answer("PENDING", "PENDING", false)
	if err := pay.reconciler.Reconcile(ctx, 4242); err != nil {
		t.Fatal(err)
	}
	if s, p, _, next, st := state(); s != "APPROVED" || p != "APPROVED" || st != orders.StatusPaid || next == nil {
		t.Errorf("after a stale PENDING: session %s payment %s order %s next %v; want APPROVED APPROVED paid and a recheck", s, p, st, next)
	}

	// A refund seen, then an older answer without it: the refund stays.
	prov.answer("APPROVED", "APPROVED", true)
	if err := pay.reconciler.Reconcile(ctx, 4242); err != nil {
		t.Fatal(err)
	}
	prov.answer("APPROVED", "APPROVED", false)
	if err := pay.reconciler.Reconcile(ctx, 4242); err != nil {
		t.Fatal(err)
	}
	if _, _, refunded, _, _ := state(); !refunded {
		t.Error("an older answer without the refund cleared it")
	}
}
