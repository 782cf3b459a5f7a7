package orders_test

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"go.uber.org/zap"

	"github.com/placetopay-gateway/gateway/internal/orders"
	"github.com/placetopay-gateway/gateway/internal/pgtest"
)

// movingClock is a clock a test moves.
type movingClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *movingClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *movingClock) move(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// refundChecked is a paid order whose session is on the refund checks' schedule (1h and 6h
// after payment), with what a test needs to drive it.
type refundChecked struct {
	pays  []moneyPath // replicas on one database
	prov  *ledgerProvider
	order orders.Order
	clock *movingClock
	db    *pgxpool.Pool
	num   func(string, ...any) int64
}

func newRefundChecked(t *testing.T, reference string, total int64, amounts ...int64) refundChecked {
	t.Helper()
	ctx := context.Background()
	pool := pgtest.Pool(t)
	clock := &movingClock{now: time.Now().UTC().Truncate(time.Second)}
	cfg := testConfig(func(c *orders.Config) {
		c.Clock, c.RefundChecks = clock.Now, []time.Duration{time.Hour, 6 * time.Hour}
	})
	prov := &ledgerProvider{}
	var pays []moneyPath
	for range 2 {
		pays = append(pays, wire(orders.NewStore(pool, zap.NewNop()), prov, cfg))
	}
	o, _, err := orders.NewService(pays[0].store, zap.NewNop()).Create(ctx, orders.CreateParams{Reference: reference, Description: "test order", Amount: orders.Money{Minor: total, Currency: "USD"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := pays[0].checkouts.Checkout(ctx, o.ID, orders.CheckoutParams{IPAddress: "127.0.0.1"}); err != nil {
		t.Fatal(err)
	}
	prov.answer(reference, false, amounts...)
	if err := pays[0].reconciler.Reconcile(ctx, 5151); err != nil {
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
	if n := num(`SELECT count(*) FROM orders WHERE id = $1 AND status IN ('paid', 'review')`, o.ID); n != 1 {
		t.Fatal("the order is neither paid nor in review")
	}
	return refundChecked{pays: pays, prov: prov, order: o, clock: clock, db: pool, num: num}
}

// refundPayment makes the provider answer payment internalReference refunded.
func (rc refundChecked) refundPayment(internalReference int64) {
	rc.prov.mu.Lock()
	defer rc.prov.mu.Unlock()
	for i := range rc.prov.session.Payments {
		if rc.prov.session.Payments[i].InternalReference == internalReference {
			rc.prov.session.Payments[i].Refunded = true
		}
	}
}

func (rc refundChecked) status(t *testing.T) orders.Status {
	t.Helper()
	o, err := orders.NewService(rc.pays[0].store, zap.NewNop()).Get(context.Background(), rc.order.ID)
	if err != nil {
		t.Fatal(err)
	}
	return o.Status
}

// TestExternalRefundFoundOnTheScheduleIsEnteredOnce: a payment refunded in PlacetoPay's panel
// is not looked for before its first check is due; at it, it is entered in the ledger as an
// external refund of the whole payment, the order is refunded with one order.refunded event,
// and the schedule ends.
func TestExternalRefundFoundOnTheScheduleIsEnteredOnce(t *testing.T) {
	ctx := context.Background()
	rc := newRefundChecked(t, "EXT-1", 100_00, 100_00)
	rc.refundPayment(8000)
	if n := rc.pays[0].actions.CheckRefunds(ctx); n != 0 {
		t.Fatalf("%d checks made at payment, want none before the first step", n)
	}
	rc.clock.move(59 * time.Minute)
	if n := rc.pays[0].actions.CheckRefunds(ctx); n != 0 {
		t.Fatalf("%d checks made 59 minutes after payment, want none", n)
	}
	rc.clock.move(time.Minute)
	if n := rc.pays[0].actions.CheckRefunds(ctx); n != 1 {
		t.Fatalf("%d checks made an hour after payment, want 1", n)
	}
	if n := rc.num(`SELECT count(*) FROM refunds WHERE order_id = $1 AND source = 'external' AND status = 'succeeded' AND amount_minor = 10000`, rc.order.ID); n != 1 {
		t.Errorf("%d external refunds of 100.00, want 1", n)
	}
	if got := rc.status(t); got != orders.StatusRefunded {
		t.Errorf("order is %s, want refunded", got)
	}
	if n := rc.num(`SELECT refunded_minor FROM orders WHERE id = $1`, rc.order.ID); n != 100_00 {
		t.Errorf("the order's refunded amount is %d, want 10000", n)
	}
	var data []byte
	if err := rc.db.QueryRow(ctx, `SELECT data FROM events WHERE order_id = $1 AND type = 'order.refunded'`, rc.order.ID).Scan(&data); err != nil {
		t.Fatalf("the order.refunded event: %v", err)
	}
	var ev struct {
		Status string `json:"status"`
		Refund struct {
			Source string `json:"source"`
		} `json:"refund"`
	}
	if err := json.Unmarshal(data, &ev); err != nil || ev.Status != "refunded" || ev.Refund.Source != "external" {
		t.Errorf("order.refunded data = %s, want status refunded and a refund of source external", data)
	}
	if n := rc.num(`SELECT count(*) FROM order_timeline WHERE order_id = $1 AND message LIKE '%refunded outside the gateway%'`, rc.order.ID); n != 1 {
		t.Errorf("%d timeline entries about the external refund, want 1", n)
	}
	// The order is refunded: nothing is left to check.
	if n := rc.num(`SELECT count(*) FROM refund_checks WHERE order_id = $1 AND next_check_at IS NULL`, rc.order.ID); n != 1 {
		t.Errorf("the refunded order's session is still scheduled for a check")
	}
	rc.clock.move(6 * time.Hour)
	if n := rc.pays[0].actions.CheckRefunds(ctx); n != 0 {
		t.Errorf("%d checks made after the schedule ended, want none", n)
	}
	if n := rc.num(`SELECT count(*) FROM events WHERE order_id = $1 AND type = 'order.refunded'`, rc.order.ID); n != 1 {
		t.Errorf("%d order.refunded events, want exactly 1", n)
	}
}

// TestRefundChecksFollowTheScheduleAndEnd: a payment nobody refunds is checked at each step
// (1h, 6h after payment) and then never again.
func TestRefundChecksFollowTheScheduleAndEnd(t *testing.T) {
	ctx := context.Background()
	rc := newRefundChecked(t, "EXT-2", 100_00, 100_00)
	for _, step := range []struct {
		move time.Duration
		want int
	}{{time.Hour, 1}, {time.Hour, 0}, {4 * time.Hour, 1}, {24 * time.Hour, 0}, {720 * time.Hour, 0}} {
		rc.clock.move(step.move)
		if n := rc.pays[0].actions.CheckRefunds(ctx); n != step.want {
			t.Fatalf("after moving the clock %s: %d checks, want %d", step.move, n, step.want)
		}
	}
	if got := rc.status(t); got != orders.StatusPaid {
		t.Errorf("order is %s, want it still paid", got)
	}
	if n := rc.num(`SELECT count(*) FROM refund_checks WHERE order_id = $1 AND step = 2 AND next_check_at IS NULL`, rc.order.ID); n != 1 {
		t.Errorf("the schedule did not end after its last step")
	}
}

// TestConcurrentRefundChecksEnterAnExternalRefundOnce: two replicas sweeping at once, again
// and again, enter one external refund and write one order.refunded event.
func TestConcurrentRefundChecksEnterAnExternalRefundOnce(t *testing.T) {
	ctx := context.Background()
	rc := newRefundChecked(t, "EXT-3", 100_00, 100_00)
	rc.refundPayment(8000)
	rc.clock.move(time.Hour)
	checks := 0
	var mu sync.Mutex
	for range 5 {
		var wg sync.WaitGroup
		for _, pay := range rc.pays {
			wg.Go(func() {
				n := pay.actions.CheckRefunds(ctx)
				mu.Lock()
				checks += n
				mu.Unlock()
			})
		}
		wg.Wait()
		// Due again at once: every round both replicas race for the same check.
		if _, err := rc.db.Exec(ctx, `UPDATE refund_checks SET next_check_at = $1 WHERE order_id = $2`, rc.clock.Now(), rc.order.ID); err != nil {
			t.Fatal(err)
		}
	}
	if checks != 5 {
		t.Errorf("%d checks made in 5 rounds of two replicas, want 5: one replica per round", checks)
	}
	if n := rc.num(`SELECT count(*) FROM refunds WHERE order_id = $1`, rc.order.ID); n != 1 {
		t.Errorf("%d refunds in the ledger, want 1", n)
	}
	if n := rc.num(`SELECT count(*) FROM events WHERE order_id = $1 AND type = 'order.refunded'`, rc.order.ID); n != 1 {
		t.Errorf("%d order.refunded events, want 1", n)
	}
}

// TestGatewayRefundIsNeverAlsoCountedAsExternal: while the gateway's own refund of a payment
// is unknown, a check that finds the payment refunded leaves it to that refund's
// resolution; once resolved, the check finds the ledger covers it.
func TestGatewayRefundIsNeverAlsoCountedAsExternal(t *testing.T) {
	ctx := context.Background()
	rc := newRefundChecked(t, "EXT-4", 100_00, 100_00)
	rc.prov.reverse = func(int64, *orders.Money) (orders.ProviderPayment, error) {
		return orders.ProviderPayment{}, errors.New("timeout")
	}
	r, err := rc.pays[0].actions.Refund(ctx, rc.order.ID, nil)
	if err != nil || r.Status != orders.ActionUnknown {
		t.Fatalf("refund with a lost answer = %+v %v, want unknown", r, err)
	}
	rc.refundPayment(8000) // the refund did happen
	rc.clock.move(time.Hour)
	if n := rc.pays[0].actions.CheckRefunds(ctx); n != 1 {
		t.Fatalf("%d checks, want 1", n)
	}
	if n := rc.num(`SELECT count(*) FROM refunds WHERE order_id = $1 AND source = 'external'`, rc.order.ID); n != 0 {
		t.Fatalf("%d external refunds while the gateway's own refund is unknown, want 0", n)
	}
	// Deferred: due again soon, at the same step.
	if n := rc.num(`SELECT count(*) FROM refund_checks WHERE order_id = $1 AND step = 0 AND next_check_at = $2`, rc.order.ID, rc.clock.Now().Add(time.Minute)); n != 1 {
		t.Errorf("the deferred check is not due again a minute later at the same step")
	}
	if err := rc.pays[0].actions.ResolveRefund(ctx, r.ID); err != nil {
		t.Fatal(err)
	}
	rc.clock.move(time.Minute)
	rc.pays[0].actions.CheckRefunds(ctx)
	if n := rc.num(`SELECT count(*) FROM refund_checks WHERE order_id = $1 AND next_check_at IS NULL`, rc.order.ID); n != 1 {
		t.Errorf("the refunded order is still scheduled for refund checks")
	}
	rc.clock.move(6 * time.Hour)
	rc.pays[0].actions.CheckRefunds(ctx)
	if n := rc.num(`SELECT count(*) FROM refunds WHERE order_id = $1 AND source = 'external'`, rc.order.ID); n != 0 {
		t.Errorf("%d external refunds of a payment the gateway refunded, want 0", n)
	}
	if n := rc.num(`SELECT count(*) FROM refunds WHERE order_id = $1 AND source = 'gateway' AND status = 'succeeded'`, rc.order.ID); n != 1 {
		t.Errorf("%d succeeded gateway refunds, want 1", n)
	}
	if n := rc.num(`SELECT count(*) FROM events WHERE order_id = $1 AND type = 'order.refunded'`, rc.order.ID); n != 1 {
		t.Errorf("%d order.refunded events, want 1", n)
	}
}

// TestExternalRefundOfOnePaymentOfTwo: an order paid by two payments is partially refunded
// when one is refunded outside the gateway, and refunded when the other is too.
func TestExternalRefundOfOnePaymentOfTwo(t *testing.T) {
	ctx := context.Background()
	rc := newRefundChecked(t, "EXT-5", 100_00, 60_00, 40_00)
	// Two payments on one APPROVED session make the order paid in this fake; refund one.
	rc.refundPayment(8001)
	rc.clock.move(time.Hour)
	rc.pays[0].actions.CheckRefunds(ctx)
	if got := rc.status(t); got != orders.StatusPartiallyRefunded {
		t.Fatalf("order is %s after one of two payments was refunded, want partially_refunded", got)
	}
	if n := rc.num(`SELECT refunded_minor FROM orders WHERE id = $1`, rc.order.ID); n != 40_00 {
		t.Errorf("refunded %d, want 4000", n)
	}
	rc.refundPayment(8000)
	rc.clock.move(5 * time.Hour)
	rc.pays[0].actions.CheckRefunds(ctx)
	if got := rc.status(t); got != orders.StatusRefunded {
		t.Fatalf("order is %s after both payments were refunded, want refunded", got)
	}
	if n := rc.num(`SELECT count(*) FROM refunds WHERE order_id = $1 AND source = 'external'`, rc.order.ID); n != 2 {
		t.Errorf("%d external refunds, want 2", n)
	}
	if n := rc.num(`SELECT count(*) FROM events WHERE order_id = $1 AND type = 'order.refunded'`, rc.order.ID); n != 2 {
		t.Errorf("%d order.refunded events, want 2", n)
	}
}

// TestExternalRefundOfAnOrderInReviewKeepsItInReview: a shopper paid twice and the extra
// payment was refunded in PlacetoPay's panel. The refund is entered in the ledger and
// announced, and the order stays in review: a check never moves it out.
func TestExternalRefundOfAnOrderInReviewKeepsItInReview(t *testing.T) {
	ctx := context.Background()
	rc := newRefundChecked(t, "EXT-6", 100_00, 100_00, 50_00)
	if got := rc.status(t); got != orders.StatusReview {
		t.Fatalf("order paid twice is %s, want review", got)
	}
	rc.refundPayment(8001)
	rc.clock.move(time.Hour)
	if n := rc.pays[0].actions.CheckRefunds(ctx); n != 1 {
		t.Fatalf("%d checks, want 1", n)
	}
	if got := rc.status(t); got != orders.StatusReview {
		t.Errorf("order is %s after the external refund, want it still in review", got)
	}
	if n := rc.num(`SELECT count(*) FROM refunds WHERE order_id = $1 AND source = 'external' AND amount_minor = 5000`, rc.order.ID); n != 1 {
		t.Errorf("%d external refunds of the extra 50.00, want 1", n)
	}
	if n := rc.num(`SELECT count(*) FROM events WHERE order_id = $1 AND type = 'order.refunded' AND data->>'status' = 'review'`, rc.order.ID); n != 1 {
		t.Errorf("%d order.refunded events with the order in review, want 1", n)
	}
	// The order is still watched: the next step is scheduled.
	if n := rc.num(`SELECT count(*) FROM refund_checks WHERE order_id = $1 AND step = 1 AND next_check_at IS NOT NULL`, rc.order.ID); n != 1 {
		t.Errorf("the order in review is no longer scheduled for its next check")
	}
}
