package retention

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"go.uber.org/zap"

	"github.com/placetopay-gateway/gateway/internal/idempotency"
	"github.com/placetopay-gateway/gateway/internal/pgtest"
	"github.com/placetopay-gateway/gateway/internal/tokens"
	"github.com/placetopay-gateway/gateway/internal/webhooks"
)

const day = 24 * time.Hour

var windows = Windows{Notifications: 90 * day, EventDeliveries: 90 * day, Events: 30 * day, IdempotencyKeys: 3 * day}

// newJob is a Job on pool that deletes batch rows per statement without pausing.
func newJob(pool *pgxpool.Pool, batch int32) *Job {
	j := New(pool, windows, zap.NewNop(), prometheus.NewRegistry())
	j.batch, j.pause = batch, 0
	return j
}

// db is a test database with helpers to fill it.
type db struct {
	t    *testing.T
	pool *pgxpool.Pool
}

func (d db) exec(sql string, args ...any) {
	d.t.Helper()
	if _, err := d.pool.Exec(context.Background(), sql, args...); err != nil {
		d.t.Fatalf("%s: %v", sql, err)
	}
}

func (d db) count(sql string, args ...any) int {
	d.t.Helper()
	var n int
	if err := d.pool.QueryRow(context.Background(), sql, args...).Scan(&n); err != nil {
		d.t.Fatalf("%s: %v", sql, err)
	}
	return n
}

func ago(d time.Duration) time.Time { return time.Now().Add(-d) }

// order stores an order with a session, a payment, a recurring charge, a refund and a
// timeline entry, all created long ago, and returns its id, its session's and the recurring
// charge's payment.
func (d db) order(reference string) (order, session, recurring uuid.UUID) {
	d.t.Helper()
	order, session, payment, recurring := uuid.New(), uuid.New(), uuid.New(), uuid.New()
	old := ago(1000 * day)
	d.exec(`INSERT INTO orders (id, reference, currency, total_minor, paid_minor, status, client_secret_hash, created_at)
		VALUES ($1, $2, 'USD', 1000, 1000, 'paid', $3, $4)`, order, reference, make([]byte, 32), old)
	d.exec(`INSERT INTO checkout_sessions (id, order_id, attempt, request_id, status, currency, total_minor, expires_at, created_at)
		VALUES ($1, $2, 'closed', (SELECT coalesce(max(request_id), 0) + 1 FROM checkout_sessions), 'APPROVED', 'USD', 1000, $3, $3)`, session, order, old)
	d.exec(`INSERT INTO payments (id, order_id, session_id, internal_reference, status, currency, amount_minor, created_at)
		VALUES ($1, $2, $3, (SELECT coalesce(max(internal_reference), 0) + 1 FROM payments), 'APPROVED', 'USD', 1000, $4)`, payment, order, session, old)
	d.exec(`INSERT INTO payments (id, order_id, session_id, internal_reference, kind, status, currency, amount_minor, confirmed, created_at)
		VALUES ($1, $2, $3, (SELECT coalesce(max(internal_reference), 0) + 1 FROM payments), 'recurring', 'APPROVED', 'USD', 1000, false, $4)`,
		recurring, order, session, old)
	d.exec(`INSERT INTO refunds (id, order_id, payment_id, currency, amount_minor, status, created_at) VALUES ($1, $2, $3, 'USD', 100, 'succeeded', $4)`,
		uuid.New(), order, payment, old)
	d.exec(`INSERT INTO order_timeline (order_id, kind, created_at) VALUES ($1, 'created', $2)`, order, old)
	return order, session, recurring
}

// notifications stores n raw notifications received at.
func (d db) notifications(n int, at time.Time) {
	d.t.Helper()
	d.exec(`INSERT INTO notifications (kind, status, signature_algorithm, dedupe_key, body, received_at)
		SELECT 'checkout', 'APPROVED', 'sha256', sha256(gen_random_uuid()::text::bytea), '{}', $2 FROM generate_series(1, $1)`, n, at)
}

// event stores an event of order delivered or given up at the times given (nil: not), and
// returns its seq.
func (d db) event(order uuid.UUID, delivered, failed *time.Time) int64 {
	d.t.Helper()
	var seq int64
	if err := d.pool.QueryRow(context.Background(), `INSERT INTO events (id, type, order_id, data, delivered_at, failed_at)
		VALUES ($1, 'order.paid', $2, '{}', $3, $4) RETURNING seq`, uuid.New(), order, delivered, failed).Scan(&seq); err != nil {
		d.t.Fatal(err)
	}
	return seq
}

// settled waits until every event is older than every transaction still running on the
// server (other tests' included): only then may the retention take it (see DeleteEvents).
func (d db) settled() {
	d.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for d.count(`SELECT count(*) FROM events WHERE tx_id >= pg_snapshot_xmin(pg_current_snapshot())`) > 0 {
		if time.Now().After(deadline) {
			d.t.Fatal("events still not settled after 30s: a transaction is held open on the server")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (d db) attempt(seq int64, at time.Time) {
	d.t.Helper()
	d.exec(`INSERT INTO event_deliveries (event_seq, attempted_at, status_code, duration_ms) VALUES ($1, $2, 200, 3)`, seq, at)
}

// TestPassDeletesOnlyWhatIsPastItsWindow: one pass, a few rows per statement, deletes the
// notifications, attempts, delivered or given-up events and idempotency keys past their
// windows, and nothing else: not what is younger, not an event still to be delivered however
// old, not a notification a recurring charge names, never the accounting record. A second
// pass finds nothing.
func TestPassDeletesOnlyWhatIsPastItsWindow(t *testing.T) {
	ctx := context.Background()
	d := db{t, pgtest.Pool(t)}
	order, session, recurring := d.order("RET-1")

	d.notifications(10, ago(91*day))
	d.notifications(2, ago(89*day))
	var named int64
	if err := d.pool.QueryRow(ctx, `INSERT INTO notifications (kind, status, signature_algorithm, dedupe_key, body, received_at)
		VALUES ('recurring', 'APPROVED', 'sha256', 'named', '{}', $1) RETURNING id`, ago(400*day)).Scan(&named); err != nil {
		t.Fatal(err)
	}
	d.exec(`INSERT INTO recurring_charges (payment_id, order_id, session_id, notification_id) VALUES ($1, $2, $3, $4)`, recurring, order, session, named)

	var gone []int64
	for range 4 {
		seq := d.event(order, new(ago(31*day)), nil)
		d.attempt(seq, ago(31*day))
		gone = append(gone, seq)
	}
	givenUp := d.event(order, nil, new(ago(31*day)))
	d.attempt(givenUp, ago(34*day))
	pending := d.event(order, nil, nil)
	d.exec(`UPDATE events SET created_at = $2 WHERE seq = $1`, pending, ago(1000*day))
	d.attempt(pending, ago(91*day))
	d.attempt(pending, ago(89*day))
	recent := d.event(order, new(ago(29*day)), nil)
	d.attempt(recent, ago(29*day))

	// Idempotency keys: done four days ago (its key is free again after the pass), in flight
	// four days ago whose holder is gone, done today, and in flight under a live lease.
	keys := idempotency.NewStore(d.pool, time.Hour, tokens.Generate())
	hash := func(b string) []byte { return append(make([]byte, 31), b[0]) }
	begin := func(key, body string, want idempotency.Outcome) idempotency.Lease {
		t.Helper()
		out, _, lease, err := keys.Begin(ctx, "o", key, "POST", "/v1/orders", hash(body))
		if err != nil || out != want {
			t.Fatalf("Begin %s with %s = %v, %v; want %v", key, body, out, err, want)
		}
		return lease
	}
	for _, key := range []string{"done-old", "done-today"} {
		if err := keys.Complete(ctx, begin(key, "a", idempotency.Proceed), idempotency.Response{Status: 201, Body: []byte("x")}); err != nil {
			t.Fatal(err)
		}
	}
	begin("abandoned", "a", idempotency.Proceed)
	begin("in-flight", "a", idempotency.Proceed)
	d.exec(`UPDATE idempotency_keys SET created_at = now() - interval '4 days' WHERE key IN ('done-old', 'abandoned', 'in-flight')`)
	d.exec(`UPDATE idempotency_keys SET locked_until = now() - interval '4 days' WHERE key = 'abandoned'`)

	accounting := map[string]int{}
	for _, table := range []string{"orders", "checkout_sessions", "payments", "refunds", "order_timeline", "recurring_charges"} {
		accounting[table] = d.count(`SELECT count(*) FROM ` + table)
	}

	d.settled()
	j := newJob(d.pool, 3)
	deleted, err := j.Pass(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]int64{"notifications": 10, "events": 5, "event_deliveries": 6, "idempotency_keys": 2}
	if diff := cmp.Diff(want, deleted); diff != "" {
		t.Errorf("deleted (-want +got):\n%s", diff)
	}
	for table, n := range want {
		if got := testutil.ToFloat64(j.deleted.WithLabelValues(table)); got != float64(n) {
			t.Errorf("gateway_retention_deleted_rows_total{table=%q} = %v, want %d", table, got, n)
		}
	}
	if n := d.count(`SELECT count(*) FROM notifications WHERE received_at > now() - interval '90 days' OR id = $1`, named); n != 3 ||
		d.count(`SELECT count(*) FROM notifications`) != 3 {
		t.Errorf("notifications left: %d, want the 2 recent ones and the one a recurring charge names", d.count(`SELECT count(*) FROM notifications`))
	}
	if n := d.count(`SELECT count(*) FROM events WHERE seq = ANY($1)`, append(gone, givenUp)); n != 0 {
		t.Errorf("%d events delivered or given up 31 days ago are left", n)
	}
	if n := d.count(`SELECT count(*) FROM events WHERE seq = ANY($1)`, []int64{pending, recent}); n != 2 {
		t.Errorf("the pending and the recently delivered event: %d left, want both", n)
	}
	if n := d.count(`SELECT count(*) FROM event_deliveries`); n != 2 {
		t.Errorf("%d delivery attempts left, want the pending event's recent one and the recent event's", n)
	}
	for table, n := range accounting {
		if got := d.count(`SELECT count(*) FROM ` + table); got != n {
			t.Errorf("%s: %d rows, was %d: the accounting record is never deleted", table, got, n)
		}
	}
	begin("done-old", "b", idempotency.Proceed)   // forgotten: the key is free again
	begin("done-today", "a", idempotency.Replay)  // kept
	begin("abandoned", "b", idempotency.Proceed)  // forgotten
	begin("in-flight", "a", idempotency.InFlight) // kept: someone holds it

	again, err := j.Pass(ctx)
	if err != nil || len(again) != 0 {
		t.Errorf("a second pass deleted %v, %v; want nothing", again, err)
	}
}

// TestReplicasPassAtOnce: passes on two replicas at once share the rows, batch by batch,
// without errors or waiting on each other, and delete everything past its window once.
func TestReplicasPassAtOnce(t *testing.T) {
	ctx := context.Background()
	url := pgtest.URL(t)
	var pools [2]*pgxpool.Pool
	for i := range pools {
		p, err := pgxpool.New(ctx, url)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(p.Close)
		pools[i] = p
	}
	d := db{t, pools[0]}
	order, _, _ := d.order("RET-2")
	d.notifications(500, ago(100*day))
	for range 60 {
		d.attempt(d.event(order, new(ago(40*day)), nil), ago(40*day))
	}

	d.settled()
	var (
		wg     sync.WaitGroup
		totals [2]map[string]int64
		errs   [2]error
	)
	for i, p := range pools {
		j := newJob(p, 7)
		wg.Go(func() { totals[i], errs[i] = j.Pass(ctx) })
	}
	wg.Wait()
	sum := map[string]int64{}
	for i := range totals {
		if errs[i] != nil {
			t.Fatalf("replica %d: %v", i, errs[i])
		}
		for table, n := range totals[i] {
			sum[table] += n
		}
	}
	if diff := cmp.Diff(map[string]int64{"notifications": 500, "events": 60, "event_deliveries": 60}, sum); diff != "" {
		t.Errorf("deleted by both replicas (-want +got):\n%s", diff)
	}
	if n := d.count(`SELECT (SELECT count(*) FROM notifications) + (SELECT count(*) FROM events) + (SELECT count(*) FROM event_deliveries)`); n != 0 {
		t.Errorf("%d rows left", n)
	}
}

// TestFeedCursorBehindADeletedEventIsGone: events are deleted from the start of the feed
// only, never past one still to be delivered, so the feed has no holes. A cursor behind a
// deleted event is then ErrCursorExpired, since reading on would skip it; a cursor at or past
// the last deleted event, and a read from the start, go on as before, even when everything
// was deleted.
func TestFeedCursorBehindADeletedEventIsGone(t *testing.T) {
	ctx := context.Background()
	d := db{t, pgtest.Pool(t)}
	order, _, _ := d.order("RET-3")
	for range 3 {
		d.event(order, new(ago(40*day)), nil)
	}
	pending := d.event(order, nil, nil)
	last := d.event(order, new(ago(40*day)), nil)

	feed := webhooks.NewEventLog(d.pool)
	// list reads one page of up to limit events after cursor, waiting while the feed holds
	// events back for a transaction still open elsewhere on the server.
	list := func(cursor string, limit int) (webhooks.EventPage, error) {
		t.Helper()
		deadline := time.Now().Add(30 * time.Second)
		for {
			page, err := feed.List(ctx, cursor, limit, webhooks.EventFilter{})
			if err != nil || len(page.Events) > 0 || time.Now().After(deadline) {
				return page, err
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	seqs := func(page webhooks.EventPage) []int64 {
		t.Helper()
		var out []int64
		for _, ev := range page.Events {
			var seq int64
			if err := d.pool.QueryRow(ctx, `SELECT seq FROM events WHERE id = $1`, ev.ID).Scan(&seq); err != nil {
				t.Fatal(err)
			}
			out = append(out, seq)
		}
		return out
	}
	var cursors []string // after the first, second and third event
	cursor := ""
	for range 3 {
		page, err := list(cursor, 1)
		if err != nil || len(page.Events) != 1 {
			t.Fatalf("List after %q = %+v, %v", cursor, page, err)
		}
		cursor = page.Next
		cursors = append(cursors, cursor)
	}

	j := newJob(d.pool, 2)
	if deleted, err := j.Pass(ctx); err != nil || deleted["events"] != 3 {
		t.Fatalf("pass = %v, %v; want the 3 events before the pending one deleted, and not the one after it", deleted, err)
	}
	for i, c := range cursors[:2] {
		if _, err := list(c, 10); !errors.Is(err, webhooks.ErrCursorExpired) {
			t.Errorf("List after event %d (event %d deleted unread) = %v, want ErrCursorExpired", i+1, i+2, err)
		}
	}
	for _, c := range []string{cursors[2], ""} {
		page, err := list(c, 10)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]int64{pending, last}, seqs(page)); diff != "" {
			t.Errorf("List after %q (-want +got):\n%s", c, diff)
		}
	}

	// Everything delivered and deleted: a first read finds nothing, and its cursor is good.
	d.exec(`UPDATE events SET delivered_at = $2 WHERE seq = $1`, pending, ago(40*day))
	if deleted, err := j.Pass(ctx); err != nil || deleted["events"] != 2 {
		t.Fatalf("second pass = %v, %v; want the 2 events left deleted", deleted, err)
	}
	first, err := feed.List(ctx, "", 10, webhooks.EventFilter{})
	if err != nil || len(first.Events) != 0 {
		t.Fatalf("a first read of an emptied feed = %+v, %v", first, err)
	}
	if _, err := feed.List(ctx, first.Next, 10, webhooks.EventFilter{}); err != nil {
		t.Errorf("List after a first read's cursor = %v, want nothing wrong", err)
	}
	if _, err := feed.List(ctx, cursors[2], 10, webhooks.EventFilter{}); !errors.Is(err, webhooks.ErrCursorExpired) {
		t.Errorf("List after the third event, the two after it deleted = %v, want ErrCursorExpired", err)
	}
}
