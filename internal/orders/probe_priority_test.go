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
	store := orders.NewStore(pool, zap.NewNop())
	prov := &recordingProvider{memoryProvider: &memoryProvider{next: 5_000_000, sessions: map[int64]orders.ProviderSession{}}}
	pay := wire(store, prov, orders.Config{PublicURL: "http://gw.test", ProbeInterval: time.Minute})
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
		s, _, err := pay.checkouts.Checkout(ctx, o.ID, orders.CheckoutParams{IPAddress: "190.85.12.44"})
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
	if _, err := pay.notifications.AcceptNotification(ctx, orders.Notification{Kind: "checkout", RequestID: last, Reference: lastOrder.Reference,
		Status: "APPROVED", Algorithm: "sha256", DedupeKey: []byte("prio-test-dedupe-key-0123456789ab"), Body: []byte(`{}`)}); err != nil {
		t.Fatal(err)
	}

	if n := pay.prober.ProbeDue(ctx); n != 20 {
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
	go func() { defer close(done); pay.prober.Run(probeCtx) }()
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

// The routine check of a session still pending with nothing paid writes only its schedule;
// anything else (a first answer, a transaction) is applied in full.
func TestRoutineCheckOfAPendingSessionOnlyMovesItsSchedule(t *testing.T) {
	ctx := context.Background()
	pool := pgtest.Pool(t)
	store := orders.NewStore(pool, zap.NewNop())
	prov := &memoryProvider{next: 6_000_000, sessions: map[int64]orders.ProviderSession{}}
	pay := wire(store, prov, orders.Config{PublicURL: "http://gw.test", ProbeInterval: time.Minute})
	o, _, err := orders.NewService(store, zap.NewNop()).Create(ctx, orders.CreateParams{Reference: "TOUCH-1", Description: "touch", Amount: orders.Money{Minor: 990, Currency: "USD"}})
	if err != nil {
		t.Fatal(err)
	}
	s, _, err := pay.checkouts.Checkout(ctx, o.ID, orders.CheckoutParams{IPAddress: "190.85.12.44"})
	if err != nil || s.RequestID == nil {
		t.Fatalf("checkout: %+v, %v", s, err)
	}
	id := *s.RequestID
	pending := orders.ProviderSession{RequestID: id, Status: "PENDING", Reason: "PC", Message: "La petición se encuentra activa",
		Payload: []byte(`{"status":{"status":"PENDING","reason":"PC"}}`)}
	prov.sessions[id] = pending
	type state struct {
		timeline, payments int
		reason             string
		checked            bool
		next               time.Time
	}
	read := func() state {
		var st state
		if err := pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM order_timeline WHERE order_id = s.order_id),
			(SELECT count(*) FROM payments WHERE order_id = s.order_id), coalesce(s.reason, ''), s.last_checked_at IS NOT NULL, s.next_check_at
			FROM checkout_sessions s WHERE s.request_id = $1`, id).Scan(&st.timeline, &st.payments, &st.reason, &st.checked, &st.next); err != nil {
			t.Fatal(err)
		}
		return st
	}
	before := read()
	// The first answer is news (reason PC): applied in full, with a timeline entry.
	if err := pay.reconciler.Reconcile(ctx, id); err != nil {
		t.Fatal(err)
	}
	first := read()
	if first.timeline != before.timeline+1 || first.reason != "PC" || !first.checked {
		t.Fatalf("after the first check: %+v (before %+v), want one provider_status entry and reason PC", first, before)
	}
	// The same answer again: only the schedule moves, without the order's lock (held here
	// by another transaction, which the full path would wait for).
	if _, err := pool.Exec(ctx, `UPDATE checkout_sessions SET next_check_at = now() - interval '1 second', last_checked_at = NULL WHERE request_id = $1`, id); err != nil {
		t.Fatal(err)
	}
	lock, err := pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := lock.Exec(ctx, `SELECT 1 FROM orders WHERE id = $1 FOR UPDATE`, o.ID); err != nil {
		t.Fatal(err)
	}
	short, cancel := context.WithTimeout(ctx, 3*time.Second)
	err = pay.reconciler.Reconcile(short, id)
	cancel()
	if rerr := lock.Rollback(ctx); rerr != nil {
		t.Fatal(rerr)
	}
	if err != nil {
		t.Fatalf("routine check while the order is locked: %v; want it done without the order's lock", err)
	}
	second := read()
	if second.timeline != first.timeline || !second.checked || !second.next.After(time.Now().Add(20*time.Second)) {
		t.Errorf("after the same answer: %+v, want no timeline entry, last_checked_at set and the next check about a minute away", second)
	}
	// A declined attempt appears: applied in full (the payment is recorded).
	declined := pending
	declined.Payments = []orders.ProviderPayment{{InternalReference: id*10 + 1, Reference: "TOUCH-1", Status: "REJECTED", Reason: "05",
		Message: "Rechazada", Currency: "USD", Total: "9.90", AmountMinor: 990, AmountOK: true, Date: time.Now()}}
	prov.sessions[id] = declined
	if err := pay.reconciler.Reconcile(ctx, id); err != nil {
		t.Fatal(err)
	}
	if third := read(); third.payments != 1 || third.timeline != second.timeline+1 {
		t.Errorf("after a declined attempt: %+v, want its payment recorded and a timeline entry", third)
	}
}
