package orders_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"go.uber.org/zap"

	"github.com/placetopay-gateway/gateway/internal/orders"
	"github.com/placetopay-gateway/gateway/internal/pgtest"
)

// memoryProvider opens sessions with consecutive request ids and answers each query with
// the answer stored for that session, so a benchmark times the database, not PlacetoPay.
type memoryProvider struct {
	mu       sync.Mutex
	next     int64
	sessions map[int64]orders.ProviderSession
}

var _ orders.Provider = (*memoryProvider)(nil)

func (m *memoryProvider) CreateSession(context.Context, orders.SessionRequest) (orders.CreatedSession, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.next++
	return orders.CreatedSession{RequestID: m.next, ProcessURL: fmt.Sprintf("https://checkout.test/session/%d/x", m.next)}, nil
}

func (m *memoryProvider) QuerySession(_ context.Context, requestID int64) (orders.ProviderSession, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	s, ok := m.sessions[requestID]
	if !ok {
		return orders.ProviderSession{}, fmt.Errorf("no answer for session %d", requestID)
	}
	return s, nil
}

func (m *memoryProvider) CancelSession(context.Context, int64) error { return nil }

func (m *memoryProvider) TransactionAction(context.Context, int64, string, *orders.Money) (orders.ProviderPayment, error) {
	return orders.ProviderPayment{}, errors.New("memoryProvider: no transaction actions")
}

// approve stores PlacetoPay's answer for an approved session that paid reference's total
// with one card payment, an earlier rejected attempt after it, as Provider.QuerySession
// builds it.
func (m *memoryProvider) approve(requestID int64, reference string, total orders.Money) {
	at := time.Date(2026, 3, 10, 9, 31, 5, 0, time.FixedZone("COT", -5*60*60))
	payment := func(ref int64, status orders.ProviderStatus, reason, auth, digits string) orders.ProviderPayment {
		return orders.ProviderPayment{
			InternalReference: ref, Reference: reference, Status: status, Reason: reason, Message: string(status),
			Authorization: auth, Receipt: fmt.Sprint(ref * 7), Franchise: "PS_VS", PaymentMethod: "visa",
			PaymentMethodName: "Visa", IssuerName: "BANCOLOMBIA", LastDigits: digits, Currency: total.Currency,
			Total: total.Decimal(), AmountMinor: total.Minor, AmountOK: true, Date: at,
		}
	}
	s := orders.ProviderSession{
		RequestID: requestID, Status: "APPROVED", Reason: "00", Message: "La petición ha sido aprobada exitosamente",
		Payments: []orders.ProviderPayment{
			payment(requestID*10+1, "APPROVED", "00", "999999", "1111"),
			payment(requestID*10, "REJECTED", "05", "000000", "4444"),
		},
	}
	s.Payload = fmt.Appendf(nil, `{"requestId":%d,"status":{"status":"APPROVED","reason":"00","message":%q,"date":"2026-03-10T09:31:12-05:00"},`+
		`"payment":[{"internalReference":%d,"status":{"status":"APPROVED","reason":"00","message":"Aprobada","date":"2026-03-10T09:31:05-05:00"},`+
		`"amount":%q,"currency":%q,"franchise":"PS_VS","authorization":"999999","receipt":"%d","refunded":false},`+
		`{"internalReference":%d,"status":{"status":"REJECTED","reason":"05","message":"Rechazada","date":"2026-03-10T09:30:21-05:00"},`+
		`"amount":%q,"currency":%q,"franchise":"PS_VS","authorization":"000000","receipt":"%d","refunded":false}]}`,
		requestID, s.Message, requestID*10+1, total.Decimal(), total.Currency, (requestID*10+1)*7,
		requestID*10, total.Decimal(), total.Currency, requestID*10*7)
	m.mu.Lock()
	defer m.mu.Unlock()
	m.sessions[requestID] = s
}

// reconcileBench is a Payments on a fresh database with the provider in memory.
type reconcileBench struct {
	pool *pgxpool.Pool
	svc  *orders.Service
	pay  moneyPath
	prov *memoryProvider
}

func newReconcileBench(b *testing.B) *reconcileBench {
	pool := pgtest.Pool(b)
	store := orders.NewStore(pool, zap.NewNop())
	prov := &memoryProvider{next: 7_000_000, sessions: map[int64]orders.ProviderSession{}}
	return &reconcileBench{pool: pool, svc: orders.NewService(store, zap.NewNop()), prov: prov,
		pay: wire(store, prov, orders.Config{PublicURL: "http://gw.test", ProbeInterval: time.Minute})}
}

// pendingOrder creates an order with an open checkout session that PlacetoPay will report
// approved, and returns the order and the session's request id.
func (r *reconcileBench) pendingOrder(b *testing.B) (orders.Order, int64) {
	ctx := context.Background()
	r.prov.mu.Lock()
	reference := fmt.Sprintf("BENCH-%d", r.prov.next+1)
	r.prov.mu.Unlock()
	total := orders.Money{Minor: 5990, Currency: "USD"}
	o, _, err := r.svc.Create(ctx, orders.CreateParams{Reference: reference, Description: "benchmark order", Amount: total})
	if err != nil {
		b.Fatal(err)
	}
	s, _, err := r.pay.checkouts.Checkout(ctx, o.ID, orders.CheckoutParams{IPAddress: "190.85.12.44", UserAgent: "Mozilla/5.0"})
	if err != nil {
		b.Fatal(err)
	}
	if s.RequestID == nil {
		b.Fatalf("checkout of %s opened no session", reference)
	}
	r.prov.approve(*s.RequestID, reference, total)
	return o, *s.RequestID
}

func (r *reconcileBench) count(b *testing.B, query string, args ...any) int {
	var n int
	if err := r.pool.QueryRow(context.Background(), query, args...).Scan(&n); err != nil {
		b.Fatalf("%s: %v", query, err)
	}
	return n
}

// BenchmarkReconcile measures the reconcile transaction: an approved session applied to a
// pending order (payments, timeline, status, outbox event), and the same answer applied
// again to the order it already paid, which is what every duplicate notification, return
// and probe of a paid order costs. The orders are made before the timer starts.
func BenchmarkReconcile(b *testing.B) {
	ctx := context.Background()
	r := newReconcileBench(b)

	b.Run("approve pending", func(b *testing.B) {
		ids := make([]int64, b.N)
		for i := range ids {
			_, ids[i] = r.pendingOrder(b)
		}
		b.ReportAllocs()
		b.ResetTimer()
		for _, id := range ids {
			if err := r.pay.reconciler.Reconcile(ctx, id); err != nil {
				b.Fatal(err)
			}
		}
		b.StopTimer()
		paid := r.count(b, `SELECT count(*) FROM orders o JOIN checkout_sessions s ON s.order_id = o.id
			WHERE s.request_id = ANY($1) AND o.status = 'paid' AND o.paid_minor = 5990 AND s.status = 'APPROVED'`, ids)
		if paid != b.N {
			b.Fatalf("%d of %d orders paid", paid, b.N)
		}
	})

	b.Run("already paid", func(b *testing.B) {
		o, id := r.pendingOrder(b)
		if err := r.pay.reconciler.Reconcile(ctx, id); err != nil {
			b.Fatal(err)
		}
		timeline := r.count(b, `SELECT count(*) FROM order_timeline WHERE order_id = $1`, o.ID)
		events := r.count(b, `SELECT count(*) FROM events WHERE order_id = $1`, o.ID)
		b.ReportAllocs()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			if err := r.pay.reconciler.Reconcile(ctx, id); err != nil {
				b.Fatal(err)
			}
		}
		b.StopTimer()
		if n := r.count(b, `SELECT count(*) FROM orders WHERE id = $1 AND status = 'paid' AND paid_minor = 5990`, o.ID); n != 1 {
			b.Fatal("the order is no longer paid")
		}
		if n := r.count(b, `SELECT count(*) FROM payments WHERE order_id = $1`, o.ID); n != 2 {
			b.Fatalf("%d payments, want 2", n)
		}
		if n := r.count(b, `SELECT count(*) FROM order_timeline WHERE order_id = $1`, o.ID); n != timeline {
			b.Fatalf("the timeline grew from %d to %d entries", timeline, n)
		}
		if n := r.count(b, `SELECT count(*) FROM events WHERE order_id = $1`, o.ID); n != events {
			b.Fatalf("the outbox grew from %d to %d events", events, n)
		}
	})
}
