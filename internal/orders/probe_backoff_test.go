package orders_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/placetopay-gateway/gateway/internal/orders"
	"github.com/placetopay-gateway/gateway/internal/pgtest"
)

// failingProvider opens sessions and then can never be queried.
type failingProvider struct{ fakeProvider }

func (*failingProvider) QuerySession(context.Context, int64) (orders.ProviderSession, error) {
	return orders.ProviderSession{}, errors.New("placetopay: connection refused")
}

// TestFailingQueriesBackOff: a session PlacetoPay cannot be asked about is retried twice as
// late after every failure, from 10 s up to an hour, and after five failures in a row its
// order's timeline says so, once.
func TestFailingQueriesBackOff(t *testing.T) {
	ctx := context.Background()
	pool := pgtest.Pool(t)
	store := orders.NewStore(pool, zap.NewNop())
	now := time.Now()
	pay := wire(store, &failingProvider{}, testConfig(func(c *orders.Config) { c.Clock = func() time.Time { return now } }))
	o, _, err := orders.NewService(store, zap.NewNop()).Create(ctx, orders.CreateParams{Reference: "BACKOFF-1", Description: "test order", Amount: orders.Money{Minor: 1000, Currency: "USD"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := pay.checkouts.Checkout(ctx, o.ID, orders.CheckoutParams{IPAddress: "127.0.0.1"}); err != nil {
		t.Fatal(err)
	}
	delayAfterFailure := func() time.Duration {
		t.Helper()
		if _, err := pool.Exec(ctx, `UPDATE checkout_sessions SET next_check_at = now() - interval '1 second' WHERE order_id = $1`, o.ID); err != nil {
			t.Fatal(err)
		}
		if n := pay.prober.ProbeDue(ctx); n != 1 {
			t.Fatalf("the probe claimed %d sessions, want 1", n)
		}
		var next time.Time
		if err := pool.QueryRow(ctx, `SELECT next_check_at FROM checkout_sessions WHERE order_id = $1`, o.ID).Scan(&next); err != nil {
			t.Fatal(err)
		}
		return next.Sub(now).Round(time.Second)
	}
	for i, want := range []time.Duration{10 * time.Second, 20 * time.Second, 40 * time.Second, 80 * time.Second, 160 * time.Second, 320 * time.Second} {
		if got := delayAfterFailure(); got != want {
			t.Fatalf("failure %d: next query in %s, want %s", i+1, got, want)
		}
	}
	if _, err := pool.Exec(ctx, `UPDATE checkout_sessions SET check_failures = 40 WHERE order_id = $1`, o.ID); err != nil {
		t.Fatal(err)
	}
	if got := delayAfterFailure(); got != time.Hour {
		t.Errorf("after 41 failures: next query in %s, want the one-hour cap", got)
	}
	var notes int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM order_timeline WHERE order_id = $1 AND reason = 'query_failing'`, o.ID).Scan(&notes); err != nil {
		t.Fatal(err)
	}
	if notes != 1 {
		t.Errorf("%d timeline notes about the failing queries, want 1", notes)
	}
}
