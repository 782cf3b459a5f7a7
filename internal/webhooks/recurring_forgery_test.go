package webhooks_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"

	"github.com/placetopay-gateway/gateway/internal/orders"
	"github.com/placetopay-gateway/gateway/internal/pgtest"
	"github.com/placetopay-gateway/gateway/internal/placetopay"
	"github.com/placetopay-gateway/gateway/internal/webhooks"
)

// TestRecurringChargeFromANotificationIsUnconfirmed: a recurring-charge notification is
// signed like a checkout one, with the internalReference in place of the requestId, and
// neither its type nor its reference is signed; so any signed checkout notification can be
// replayed as a "recurring charge" of another order. Such a charge is kept, but as an
// unconfirmed payment: never counted, never shown as approved.
func TestRecurringChargeFromANotificationIsUnconfirmed(t *testing.T) {
	ctx := context.Background()
	pool := pgtest.Pool(t)
	store := orders.NewStore(pool, zap.NewNop())
	svc := orders.NewService(store, zap.NewNop())
	const secret = "forgery-site-secret"
	in := webhooks.NewInbox(secret, webhooks.AllSignatures, orders.NewNotifications(store, orders.NewWaker(), zap.NewNop()), prometheus.NewRegistry())

	// The victim: a paid order whose approved session set up a recurrence.
	victim, _, err := svc.Create(ctx, orders.CreateParams{Reference: "VICTIM-1", Description: "test order", Amount: orders.Money{Minor: 2500, Currency: "USD"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `INSERT INTO checkout_sessions (id, order_id, attempt, kind, request_id, status, currency, total_minor, request, expires_at)
		VALUES ($1, $2, 'closed', 'payment', 8001, 'APPROVED', 'USD', 2500, '{"recurring": {"periodicity": "M", "interval": 1, "maxPeriods": 12}}', now())`,
		uuid.Must(uuid.NewV7()), victim.ID); err != nil {
		t.Fatal(err)
	}

	// A genuine checkout notification of some other session (requestId 5001), recast.
	date := time.Now().Format(time.RFC3339)
	sig, err := placetopay.NotificationSignature(placetopay.SHA256, 5001, "APPROVED", date, secret)
	if err != nil {
		t.Fatal(err)
	}
	forged := fmt.Appendf(nil, `{"status":{"status":"APPROVED","reason":"00","message":"Aprobada","date":%q},"internalReference":5001,"reference":"VICTIM-1","signature":%q}`,
		date, sig)
	if err := in.Receive(ctx, forged); err != nil {
		t.Fatalf("Receive: %v", err)
	}

	got, err := svc.Get(ctx, victim.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Payments) != 1 {
		t.Fatalf("the order has %d payments, want the recorded charge", len(got.Payments))
	}
	p := got.Payments[0]
	if p.InternalReference != 5001 || p.Kind != orders.PaymentRecurring || !p.Unconfirmed {
		t.Errorf("charge %d kind %s unconfirmed %v, want 5001, recurring, unconfirmed", p.InternalReference, p.Kind, p.Unconfirmed)
	}
	if got.PaidMinor != 0 || got.Status != orders.StatusPending {
		t.Errorf("the order is %s with %d paid; a notification alone changed it", got.Status, got.PaidMinor)
	}
}
