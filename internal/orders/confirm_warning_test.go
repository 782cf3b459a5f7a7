package orders_test

import (
	"context"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/placetopay-gateway/gateway/internal/orders"
	"github.com/placetopay-gateway/gateway/internal/pgtest"
)

func (f *fakeProvider) TransactionAction(context.Context, int64, string, *orders.Money) (orders.ProviderPayment, error) {
	return orders.ProviderPayment{}, &orders.ProviderError{HTTPStatus: 400, Reason: "request_not_valid", Message: "not in this test", Refused: true}
}

// A payment awaiting confirmation is warned about once, when its window is about to close.
func TestConfirmationDeadlineWarning(t *testing.T) {
	ctx := context.Background()
	pool := pgtest.Pool(t)
	store := orders.NewStore(pool, zap.NewNop())
	svc := orders.NewService(store, zap.NewNop())
	now := time.Now()
	pay := wire(store, &fakeProvider{}, orders.Config{PublicURL: "http://gw.test", ProbeInterval: time.Minute,
		ConfirmationWindow: 30 * time.Minute, Clock: func() time.Time { return now }})
	o, _, err := svc.Create(ctx, orders.CreateParams{Reference: "CONFIRM-1", Description: "test order", Amount: orders.Money{Minor: 1000, Currency: "USD"}})
	if err != nil {
		t.Fatal(err)
	}
	insert := func(ref int64, entered time.Time) {
		t.Helper()
		if _, err := pool.Exec(ctx, `INSERT INTO payments (id, order_id, internal_reference, status, currency, amount_minor, provider_date)
			VALUES (gen_random_uuid(), $1, $2, 'PENDING_CONFIRMATION', 'USD', 1000, $3)`, o.ID, ref, entered); err != nil {
			t.Fatal(err)
		}
	}
	insert(1, now.Add(-26*time.Minute)) // 4 minutes left: warned
	insert(2, now.Add(-10*time.Minute)) // 20 minutes left: not yet
	if n := pay.actions.WarnConfirmationDeadlines(ctx); n != 1 {
		t.Fatalf("first sweep warned %d payments, want 1", n)
	}
	if n := pay.actions.WarnConfirmationDeadlines(ctx); n != 0 {
		t.Errorf("second sweep warned %d payments, want 0 (once per payment)", n)
	}
	var notes int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM order_timeline WHERE order_id = $1 AND kind = 'note' AND reason = 'confirmation_deadline'`, o.ID).Scan(&notes); err != nil {
		t.Fatal(err)
	}
	if notes != 1 {
		t.Errorf("%d deadline notes on the timeline, want 1", notes)
	}
}
