package orders_test

import (
	"context"
	"strings"
	"sync"
	"testing"

	"go.uber.org/zap"

	"github.com/placetopay-gateway/gateway/internal/orders"
	"github.com/placetopay-gateway/gateway/internal/pgtest"
)

// sessionsProvider opens sessions with increasing requestIds and answers each session's
// query with what the test set for it.
type sessionsProvider struct {
	fakeProvider
	mu      sync.Mutex
	next    int64
	answers map[int64]orders.ProviderSession
}

func (p *sessionsProvider) CreateSession(context.Context, orders.SessionRequest) (orders.CreatedSession, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.next++
	return orders.CreatedSession{RequestID: p.next, ProcessURL: "https://checkout.test/session/x"}, nil
}

func (p *sessionsProvider) QuerySession(_ context.Context, id int64) (orders.ProviderSession, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.answers[id], nil
}

func (p *sessionsProvider) approve(requestID, internalReference int64, reference string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.answers[requestID] = orders.ProviderSession{RequestID: requestID, Status: orders.ProviderApproved, Payments: []orders.ProviderPayment{{
		InternalReference: internalReference, Reference: reference, Status: orders.ProviderApproved,
		Currency: "USD", Total: "10.00", AmountMinor: 1000, AmountOK: true,
	}}}
}

// TestAPaymentNeverMovesBetweenOrders: a payment PlacetoPay reports under another order's
// session keeps its order, amount and status, and both orders go to review with the reason.
func TestAPaymentNeverMovesBetweenOrders(t *testing.T) {
	ctx := context.Background()
	pool := pgtest.Pool(t)
	store := orders.NewStore(pool, zap.NewNop())
	svc := orders.NewService(store, zap.NewNop())
	prov := &sessionsProvider{answers: map[int64]orders.ProviderSession{}}
	pay := wire(store, prov, testConfig())
	open := func(ref string) orders.Order {
		o, _, err := svc.Create(ctx, orders.CreateParams{Reference: ref, Description: "test order", Amount: orders.Money{Minor: 1000, Currency: "USD"}})
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := pay.checkouts.Checkout(ctx, o.ID, orders.CheckoutParams{IPAddress: "127.0.0.1"}); err != nil {
			t.Fatal(err)
		}
		return o
	}
	a, b := open("MOVE-A"), open("MOVE-B")

	prov.approve(1, 9001, "MOVE-A")
	if err := pay.reconciler.Reconcile(ctx, 1); err != nil {
		t.Fatal(err)
	}
	// Order B's session now reports A's payment (another reference, another amount).
	prov.approve(2, 9001, "MOVE-B")
	prov.answers[2].Payments[0].AmountMinor, prov.answers[2].Payments[0].Total = 2500, "25.00"
	if err := pay.reconciler.Reconcile(ctx, 2); err != nil {
		t.Fatal(err)
	}

	var owner, reference string
	var amount int64
	if err := pool.QueryRow(ctx, `SELECT order_id::text, reference, amount_minor FROM payments WHERE internal_reference = 9001`).
		Scan(&owner, &reference, &amount); err != nil {
		t.Fatal(err)
	}
	if owner != a.ID.String() || reference != "MOVE-A" || amount != 1000 {
		t.Errorf("payment 9001 is order %s's (reference %s, %d): want it left as order A's payment of 10.00", owner, reference, amount)
	}
	for _, o := range []orders.Order{a, b} {
		got, err := svc.Get(ctx, o.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Status != orders.StatusReview {
			t.Errorf("order %s is %s, want review", o.Reference, got.Status)
		}
		var reason string
		if err := pool.QueryRow(ctx, `SELECT coalesce(message, '') FROM order_timeline WHERE order_id = $1 AND to_status = 'review'
			ORDER BY id DESC LIMIT 1`, o.ID).Scan(&reason); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(reason, "9001") {
			t.Errorf("order %s's review reason %q does not name the payment", o.Reference, reason)
		}
	}
}

// cancels is a sessionsProvider that records the sessions it was asked to cancel.
type cancels struct {
	*sessionsProvider
	mu        sync.Mutex
	cancelled []int64
}

func (c *cancels) CancelSession(_ context.Context, id int64) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.cancelled = append(c.cancelled, id)
	return nil
}

// TestAPaymentClosesTheOtherOpenSession: when a session pays the order, the order's other
// open session is closed here and cancelled at PlacetoPay, so that the shopper cannot pay
// the order a second time on it.
func TestAPaymentClosesTheOtherOpenSession(t *testing.T) {
	ctx := context.Background()
	pool := pgtest.Pool(t)
	store := orders.NewStore(pool, zap.NewNop())
	svc := orders.NewService(store, zap.NewNop())
	prov := &cancels{sessionsProvider: &sessionsProvider{answers: map[int64]orders.ProviderSession{}}}
	pay := wire(store, prov, testConfig())
	o, _, err := svc.Create(ctx, orders.CreateParams{Reference: "TWO-SESSIONS", Description: "test order", Amount: orders.Money{Minor: 1000, Currency: "USD"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := pay.checkouts.Checkout(ctx, o.ID, orders.CheckoutParams{IPAddress: "127.0.0.1"}); err != nil {
		t.Fatal(err)
	}
	// Session 1 expires here (still probed: a payment may be in flight on it); session 2 opens.
	if _, err := pool.Exec(ctx, `UPDATE checkout_sessions SET expires_at = now() - interval '1 minute' WHERE request_id = 1`); err != nil {
		t.Fatal(err)
	}
	if _, _, err := pay.checkouts.Checkout(ctx, o.ID, orders.CheckoutParams{IPAddress: "127.0.0.1"}); err != nil {
		t.Fatal(err)
	}
	// The payment in flight on session 1 is approved.
	prov.approve(1, 7001, "TWO-SESSIONS")
	if err := pay.reconciler.Reconcile(ctx, 1); err != nil {
		t.Fatal(err)
	}
	if got, _ := svc.Get(ctx, o.ID); got.Status != orders.StatusPaid {
		t.Fatalf("order is %s, want paid", got.Status)
	}
	var attempt string
	if err := pool.QueryRow(ctx, `SELECT attempt FROM checkout_sessions WHERE request_id = 2`).Scan(&attempt); err != nil {
		t.Fatal(err)
	}
	if attempt != "closed" {
		t.Errorf("session 2 is %s after session 1 paid the order, want closed", attempt)
	}
	if len(prov.cancelled) != 1 || prov.cancelled[0] != 2 {
		t.Errorf("sessions cancelled at PlacetoPay: %v, want [2]", prov.cancelled)
	}
	// And it is never handed out again: a checkout of the paid order is refused.
	if _, _, err := pay.checkouts.Checkout(ctx, o.ID, orders.CheckoutParams{IPAddress: "127.0.0.1"}); orders.ErrorCode(err) != orders.EConflict {
		t.Errorf("checkout of the paid order = %v, want a conflict", err)
	}
}
