package webhooks_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"

	"github.com/placetopay-gateway/gateway/internal/orders"
	"github.com/placetopay-gateway/gateway/internal/pgtest"
	"github.com/placetopay-gateway/gateway/internal/placetopay"
	"github.com/placetopay-gateway/gateway/internal/webhooks"
)

// benchRequestID is the session the benchmark's notifications are about.
const benchRequestID = 2983457

// sessionOpener opens benchRequestID for any checkout; the Inbox never queries PlacetoPay.
type sessionOpener struct{}

var _ orders.Provider = sessionOpener{}

func (sessionOpener) CreateSession(context.Context, orders.SessionRequest) (orders.CreatedSession, error) {
	return orders.CreatedSession{RequestID: benchRequestID, ProcessURL: "https://checkout.test/session/2983457/x"}, nil
}

func (sessionOpener) QuerySession(context.Context, int64) (orders.ProviderSession, error) {
	return orders.ProviderSession{}, errors.New("sessionOpener: no queries")
}

func (sessionOpener) CancelSession(context.Context, int64) error { return nil }

func (sessionOpener) TransactionAction(context.Context, int64, string, *orders.Money) (orders.ProviderPayment, error) {
	return orders.ProviderPayment{}, errors.New("sessionOpener: no transaction actions")
}

// inboxWithSession is an Inbox verifying with secret on a fresh database that holds one
// order (reference, total) with its session benchRequestID open.
func inboxWithSession(tb testing.TB, reference, secret string, total orders.Money) (*pgxpool.Pool, *webhooks.Inbox) {
	tb.Helper()
	ctx := context.Background()
	pool := pgtest.Pool(tb)
	store := orders.NewStore(pool, zap.NewNop())
	cfg := orders.Config{PublicURL: "http://gw.test", ProbeInterval: time.Minute}
	log, waker := zap.NewNop(), orders.NewWaker()
	checkouts := orders.NewCheckouts(store, sessionOpener{}, orders.NewReconciler(store, sessionOpener{}, nil, cfg, log, orders.NewMetrics(nil)), waker, cfg, log)
	o, _, err := orders.NewService(store, zap.NewNop()).Create(ctx, orders.CreateParams{
		Reference: reference, Description: "notification test order", Amount: total})
	if err != nil {
		tb.Fatal(err)
	}
	if _, _, err := checkouts.Checkout(ctx, o.ID, orders.CheckoutParams{IPAddress: "190.85.12.44"}); err != nil {
		tb.Fatal(err)
	}
	return pool, webhooks.NewInbox(secret, webhooks.AllSignatures, orders.NewNotifications(store, waker, log), prometheus.NewRegistry())
}

// BenchmarkInboxReceive measures the whole intake of a notification against Postgres:
// signature check, the stored row and the session made due, in one statement. Each
// notification of "accepted" is new (its own date); "duplicate" posts one already stored,
// which is only counted.
func BenchmarkInboxReceive(b *testing.B) {
	ctx := context.Background()
	const reference, secret = "ORDER-2026-000184", "024h1IlD-site-secret-key"
	pool, in := inboxWithSession(b, reference, secret, orders.Money{Minor: 184900_00, Currency: "COP"})

	start := time.Date(2026, 3, 10, 9, 31, 12, 0, time.FixedZone("COT", -5*60*60))
	dated := 0 // notifications made so far: each gets the next second as its date
	notification := func() []byte {
		date := start.Add(time.Duration(dated) * time.Second).Format(time.RFC3339)
		dated++
		sig, err := placetopay.NotificationSignature(placetopay.SHA256, benchRequestID, "APPROVED", date, secret)
		if err != nil {
			b.Fatal(err)
		}
		return fmt.Appendf(nil, `{"status":{"status":"APPROVED","reason":"00","message":"La petición ha sido aprobada exitosamente","date":%q},`+
			`"requestId":%d,"reference":%q,"signature":%q}`, date, benchRequestID, reference, sig)
	}
	// notDue puts the session's next check an hour away and takes it off the notified queue
	// (as a probe that claimed it would), so that only Receive makes it due.
	notDue := func(b *testing.B) {
		if _, err := pool.Exec(ctx, `UPDATE checkout_sessions SET next_check_at = now() + interval '1 hour', notified_at = NULL WHERE request_id = $1`, benchRequestID); err != nil {
			b.Fatal(err)
		}
	}
	isDue := func(b *testing.B, want bool) {
		var due bool
		if err := pool.QueryRow(ctx, `SELECT next_check_at <= now() FROM checkout_sessions WHERE request_id = $1`, benchRequestID).Scan(&due); err != nil {
			b.Fatal(err)
		}
		if due != want {
			b.Fatalf("the session is due: %v, want %v", due, want)
		}
	}
	stored := func(b *testing.B) (rows, duplicates int) {
		if err := pool.QueryRow(ctx, `SELECT count(*), coalesce(sum(duplicates), 0) FROM notifications`).Scan(&rows, &duplicates); err != nil {
			b.Fatal(err)
		}
		return rows, duplicates
	}

	b.Run("accepted", func(b *testing.B) {
		bodies := make([][]byte, b.N)
		for i := range bodies {
			bodies[i] = notification()
		}
		rows, _ := stored(b)
		notDue(b)
		b.ReportAllocs()
		b.ResetTimer()
		for _, body := range bodies {
			if err := in.Receive(ctx, body); err != nil {
				b.Fatal(err)
			}
		}
		b.StopTimer()
		if after, _ := stored(b); after-rows != b.N {
			b.Fatalf("%d notifications stored, want %d", after-rows, b.N)
		}
		isDue(b, true)
	})

	b.Run("duplicate", func(b *testing.B) {
		body := notification()
		if err := in.Receive(ctx, body); err != nil {
			b.Fatal(err)
		}
		rows, dups := stored(b)
		notDue(b)
		b.ReportAllocs()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			if err := in.Receive(ctx, body); err != nil {
				b.Fatal(err)
			}
		}
		b.StopTimer()
		if afterRows, afterDups := stored(b); afterRows != rows || afterDups-dups != b.N {
			b.Fatalf("%d new rows and %d new duplicates, want 0 and %d", afterRows-rows, afterDups-dups, b.N)
		}
		isDue(b, false) // a duplicate only counts: it asks for no query
	})
}
