package orders_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/placetopay-gateway/gateway/internal/orders"
	"github.com/placetopay-gateway/gateway/internal/pgtest"
)

// recordingProvider is a memoryProvider that remembers which sessions were queried, in order.
type recordingProvider struct {
	*memoryProvider
	mu      sync.Mutex
	queried []int64
}

func (r *recordingProvider) QuerySession(ctx context.Context, requestID int64) (orders.ProviderSession, error) {
	r.mu.Lock()
	r.queried = append(r.queried, requestID)
	r.mu.Unlock()
	return r.memoryProvider.QuerySession(ctx, requestID)
}

func (r *recordingProvider) calls() []int64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.queried)
}

// With a backlog of overdue routine checks, a session a notification asked about is checked
// in the first batch, not behind the backlog; and the prober works the whole backlog off at
// once instead of one batch per sweep.
func TestProbeChecksNotifiedSessionsFirstAndDrainsTheBacklog(t *testing.T) {
	ctx := context.Background()
	pool := pgtest.Pool(t)
	store := orders.NewStore(pool)
	prov := &recordingProvider{memoryProvider: &memoryProvider{next: 5_000_000, sessions: map[int64]orders.ProviderSession{}}}
	pay := orders.NewPayments(store, prov, orders.PaymentsConfig{PublicURL: "http://gw.test", ProbeInterval: time.Minute}, zap.NewNop())
	svc := orders.NewService(store, zap.NewNop())

	const sessions = 65 // more than three claim batches
	total := orders.Money{Minor: 2500, Currency: "USD"}
	var last int64
	var lastOrder orders.Order
	for i := range sessions {
		o, _, err := svc.Create(ctx, orders.CreateParams{Reference: fmt.Sprintf("PRIO-%d", i), Description: "probe order", Amount: total})
		if err != nil {
			t.Fatal(err)
		}
		s, _, err := pay.Checkout(ctx, o.ID, orders.CheckoutParams{IPAddress: "190.85.12.44"})
		if err != nil || s.RequestID == nil {
			t.Fatalf("checkout %d: %+v, %v", i, s, err)
		}
		prov.mu.Lock()
		prov.sessions[*s.RequestID] = orders.ProviderSession{RequestID: *s.RequestID, Status: "PENDING", Reason: "PT", Message: "pending",
			Payload: []byte(`{"status":{"status":"PENDING"}}`)}
		prov.mu.Unlock()
		last, lastOrder = *s.RequestID, o
	}
	// Every session is overdue; the last one the least, so a routine claim takes it last.
	if _, err := pool.Exec(ctx, `UPDATE checkout_sessions SET next_check_at = now() - interval '1 hour' + (request_id - 5000000) * interval '1 second'`); err != nil {
		t.Fatal(err)
	}
	prov.approve(last, lastOrder.Reference, total)
	if _, err := pay.AcceptNotification(ctx, orders.Notification{Kind: "checkout", RequestID: last, Reference: lastOrder.Reference,
		Status: "APPROVED", Algorithm: "sha256", DedupeKey: []byte("prio-test-dedupe-key-0123456789ab"), Body: []byte(`{}`)}); err != nil {
		t.Fatal(err)
	}

	if n := pay.ProbeDue(ctx); n != 20 {
		t.Fatalf("first batch claimed %d sessions, want 20", n)
	}
	if first := prov.calls(); !slices.Contains(first, last) {
		t.Errorf("first batch queried %v, want the notified session %d among them", first, last)
	}
	o, err := svc.Get(ctx, lastOrder.ID)
	if err != nil || o.Status != orders.StatusPaid {
		t.Fatalf("notified order after the first batch: %s, %v; want paid", o.Status, err)
	}

	// The prober itself: the 45 left are checked without waiting for the next sweep (5 s
	// away with a 1-minute probe interval).
	probeCtx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { defer close(done); pay.RunProber(probeCtx) }()
	defer func() { stop(); <-done }()
	deadline := time.Now().Add(4 * time.Second)
	for {
		var unchecked int
		if err := pool.QueryRow(ctx, `SELECT count(*) FROM checkout_sessions WHERE last_checked_at IS NULL`).Scan(&unchecked); err != nil {
			t.Fatal(err)
		}
		if unchecked == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d sessions still unchecked 4 s after the prober started; want the backlog drained at once", unchecked, sessions)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if calls := prov.calls(); len(calls) != sessions {
		t.Errorf("%d queries for %d due sessions, want one each", len(calls), sessions)
	}
}
