package orders_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"
	"go.uber.org/zap"

	"github.com/placetopay-gateway/gateway/internal/orders"
	"github.com/placetopay-gateway/gateway/internal/pgtest"
)

// A recurring charge is recorded only against an approved payment session that asked for a
// recurrence: a subscription session (which charges nothing) whose stored request carries a
// recurrence, as one accepted before such requests were refused, never matches, so no
// recurring payment of 0 is recorded.
func TestRecurringChargeNeedsAPaymentSession(t *testing.T) {
	ctx := context.Background()
	pool := pgtest.Pool(t)
	store := orders.NewStore(pool, zap.NewNop())
	svc := orders.NewService(store, zap.NewNop())
	pay := wire(store, &fakeProvider{}, orders.Config{PublicURL: "http://gw.test", ProbeInterval: time.Minute})

	o, _, err := svc.Create(ctx, orders.CreateParams{Reference: "REC-1", Description: "test order", Amount: orders.Money{Minor: 2500, Currency: "USD"}})
	if err != nil {
		t.Fatal(err)
	}
	session := func(kind string, requestID, total int64) {
		t.Helper()
		if _, err := pool.Exec(ctx, `INSERT INTO checkout_sessions (id, order_id, attempt, kind, request_id, status, currency, total_minor, request, expires_at)
			VALUES ($1, $2, 'closed', $3, $4, 'APPROVED', 'USD', $5, '{"recurring": {"periodicity": "M", "interval": 1, "maxPeriods": 12}}', now())`,
			uuid.Must(uuid.NewV7()), o.ID, kind, requestID, total); err != nil {
			t.Fatal(err)
		}
	}
	charge := func(ref int64) {
		t.Helper()
		if _, err := pay.notifications.AcceptRecurringCharge(ctx, orders.RecurringNotification{Notification: orders.Notification{
			Kind: "recurring", InternalReference: ref, Reference: "REC-1", Status: "APPROVED", Algorithm: "sha256",
			DedupeKey: []byte{byte(ref)}, Body: []byte(`{}`),
		}}); err != nil {
			t.Fatal(err)
		}
	}
	recorded := func() (n int, minor int64) {
		t.Helper()
		if err := pool.QueryRow(ctx, `SELECT count(*), coalesce(sum(amount_minor), 0) FROM payments WHERE order_id = $1 AND kind = 'recurring'`,
			o.ID).Scan(&n, &minor); err != nil {
			t.Fatal(err)
		}
		return
	}

	session("subscription", 9001, 0)
	charge(71)
	if n, _ := recorded(); n != 0 {
		t.Fatalf("%d recurring payments recorded against a subscription session, want none", n)
	}
	session("payment", 9002, 2500)
	charge(72)
	if n, minor := recorded(); n != 1 || minor != 2500 {
		t.Fatalf("%d recurring payments of %d in all, want one of 2500 against the payment session", n, minor)
	}
}
