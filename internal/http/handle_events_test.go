package http_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"
	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"

	gatewayhttp "github.com/placetopay-gateway/gateway/internal/http"
	"github.com/placetopay-gateway/gateway/internal/retention"
	"github.com/placetopay-gateway/gateway/internal/webhooks"
)

// eventLog lets newEventsEnv hand the server an EventLister before the database exists.
type eventLog struct{ log *webhooks.EventLog }

func (l *eventLog) List(ctx context.Context, after string, limit int, f webhooks.EventFilter) (webhooks.EventPage, error) {
	return l.log.List(ctx, after, limit, f)
}

// newEventsEnv is newEnv with GET /v1/events served from the env's database.
func newEventsEnv(t *testing.T) *env {
	t.Helper()
	events := &eventLog{}
	e := newEnvWith(t, gatewayhttp.Config{APIKeys: []string{apiKey}, Events: events}, zap.NewNop())
	events.log = webhooks.NewEventLog(e.pool)
	return e
}

type event struct {
	ID        string         `json:"id"`
	Type      string         `json:"type"`
	OrderID   string         `json:"orderId"`
	Data      map[string]any `json:"data"`
	CreatedAt time.Time      `json:"createdAt"`
}

type eventsPage struct {
	Data       []event `json:"data"`
	NextCursor *string `json:"nextCursor"`
}

// listEvents reads one page; query is the raw query string.
func (e *env) listEvents(t *testing.T, query string) eventsPage {
	t.Helper()
	r := e.do(t, http.MethodGet, "/v1/events?"+query, "", auth(apiKey))
	r.wantStatus(t, http.StatusOK)
	if cc := r.header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("Cache-Control = %q, want no-store", cc)
	}
	var p eventsPage
	r.decode(t, &p)
	if p.Data == nil || p.NextCursor == nil || *p.NextCursor == "" {
		t.Fatalf("page %s: want data an array and nextCursor a non-empty string", r.body)
	}
	return p
}

// after is the query string of a read after cursor with limit (0 for the default).
func after(cursor string, limit int) string {
	q := url.Values{}
	if cursor != "" {
		q.Set("after", cursor)
	}
	if limit > 0 {
		q.Set("limit", fmt.Sprint(limit))
	}
	return q.Encode()
}

// cancelOrder creates an order and cancels it over the API: one order.cancelled event.
func (e *env) cancelOrder(t *testing.T) order {
	t.Helper()
	o := e.createOrder(t, usd("", "10.00"))
	e.do(t, http.MethodPost, "/v1/orders/"+o.ID+"/cancel", "", auth(apiKey)).wantStatus(t, http.StatusOK)
	return o
}

// waitForEvents reads from the start until n events are listed (events commit in
// transactions that may still be settling), within a generous deadline.
func (e *env) waitForEvents(t *testing.T, n int) []event {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		p := e.listEvents(t, after("", 100))
		if len(p.Data) == n {
			return p.Data
		}
		if len(p.Data) > n || time.Now().After(deadline) {
			t.Fatalf("listed %d events, want %d", len(p.Data), n)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// storedEventIDs returns every event id in the feed's order, (tx_id, seq).
func (e *env) storedEventIDs(t *testing.T) []string {
	t.Helper()
	rows, err := e.pool.Query(context.Background(), `SELECT id::text FROM events ORDER BY tx_id, seq`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	return ids
}

// failedData is the data of an order.failed event of o, as the gateway writes it: for tests
// that put events straight into the outbox (answers are still checked against the document).
func failedData(t *testing.T, o order) []byte {
	t.Helper()
	zero := money{Currency: o.Amount.Currency, Total: "0.00"}
	b, err := json.Marshal(map[string]any{"orderId": o.ID, "reference": o.Reference, "status": "failed",
		"previousStatus": "pending", "amount": o.Amount, "paidAmount": zero, "refundedAmount": zero})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func ids(events []event) []string {
	out := make([]string, 0, len(events))
	for _, ev := range events {
		out = append(out, ev.ID)
	}
	return out
}

func TestEventsNeedAnAPIKey(t *testing.T) {
	e := newEventsEnv(t)
	e.do(t, http.MethodGet, "/v1/events", "", nil).wantProblem(t, http.StatusUnauthorized, "unauthorized", "")
	e.do(t, http.MethodGet, "/v1/events", "", auth(otherAPIKey)).wantProblem(t, http.StatusUnauthorized, "unauthorized", "")
}

func TestEventsRejectABadQuery(t *testing.T) {
	e := newEventsEnv(t)
	b64 := base64.RawURLEncoding.EncodeToString
	for _, tc := range []struct{ query, field string }{
		{"limit=0", "limit"},
		{"limit=101", "limit"},
		{"limit=-1", "limit"},
		{"limit=ten", "limit"},
		{"limit=1.5", "limit"},
		{"after=%21%21", "after"},
		{"after=" + b64([]byte("e1:12")), "after"},
		{"after=" + b64([]byte("e1:x.1")), "after"},
		{"after=" + b64([]byte("e1:-1.5")), "after"},
		{"after=" + b64([]byte("e0:1.5")), "after"},
	} {
		t.Run(tc.query, func(t *testing.T) {
			e.do(t, http.MethodGet, "/v1/events?"+tc.query, "", auth(apiKey)).wantProblem(t, http.StatusUnprocessableEntity, "invalid", tc.field)
		})
	}
}

// TestEventsPageOldestFirst: pages follow one another through nextCursor; an empty page at
// the end hands back the cursor it was read after, so polling goes on without gaps or repeats.
func TestEventsPageOldestFirst(t *testing.T) {
	e := newEventsEnv(t)
	empty := e.listEvents(t, "")
	if len(empty.Data) != 0 {
		t.Fatalf("a new feed lists %d events", len(empty.Data))
	}
	var cancelled []order
	for range 5 {
		cancelled = append(cancelled, e.cancelOrder(t))
	}
	all := e.waitForEvents(t, 5)
	for i, ev := range all {
		if ev.Type != "order.cancelled" || ev.OrderID != cancelled[i].ID || ev.Data["status"] != "cancelled" ||
			ev.Data["previousStatus"] != "pending" || ev.CreatedAt.IsZero() || uuid.Validate(ev.ID) != nil {
			t.Errorf("event %d = %+v, want order.cancelled of order %s", i, ev, cancelled[i].ID)
		}
	}
	if d := cmp.Diff(e.storedEventIDs(t), ids(all)); d != "" {
		t.Errorf("feed order (-stored +listed):\n%s", d)
	}

	// The empty first page's cursor is the start of the feed.
	if got := e.listEvents(t, after(*empty.NextCursor, 0)); cmp.Diff(ids(all), ids(got.Data)) != "" {
		t.Errorf("after the empty feed's cursor: %v, want %v", ids(got.Data), ids(all))
	}

	var paged []string
	cursor := ""
	for _, want := range []int{2, 2, 1, 0, 0} {
		p := e.listEvents(t, after(cursor, 2))
		if len(p.Data) != want {
			t.Fatalf("page after %q has %d events, want %d", cursor, len(p.Data), want)
		}
		if want == 0 && *p.NextCursor != cursor {
			t.Errorf("an empty page's nextCursor = %q, want the cursor it was read after, %q", *p.NextCursor, cursor)
		}
		paged = append(paged, ids(p.Data)...)
		cursor = *p.NextCursor
	}
	if d := cmp.Diff(ids(all), paged); d != "" {
		t.Errorf("paged (-all +paged):\n%s", d)
	}

	// Polling on with the last cursor yields exactly the new event.
	newer := e.cancelOrder(t)
	deadline := time.Now().Add(30 * time.Second)
	for {
		p := e.listEvents(t, after(cursor, 2))
		if len(p.Data) == 1 && p.Data[0].OrderID == newer.ID {
			break
		}
		if len(p.Data) != 0 || time.Now().After(deadline) {
			t.Fatalf("after the last cursor: %+v, want only order %s's event", p.Data, newer.ID)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestEventsDefaultLimitIs50(t *testing.T) {
	e := newEventsEnv(t)
	o := e.createOrder(t, usd("", "10.00"))
	_, err := e.pool.Exec(context.Background(), `INSERT INTO events (id, type, order_id, data)
		SELECT gen_random_uuid(), 'order.failed', $1, $2 FROM generate_series(1, 60)`, o.ID, failedData(t, o))
	if err != nil {
		t.Fatal(err)
	}
	e.waitForEvents(t, 60)
	if p := e.listEvents(t, ""); len(p.Data) != 50 {
		t.Errorf("default page has %d events, want 50", len(p.Data))
	}
	if p := e.listEvents(t, "limit=100"); len(p.Data) != 60 {
		t.Errorf("limit=100 page has %d events, want 60", len(p.Data))
	}
}

// TestEventsWaitForOlderTransactions proves the xmin filter: an event committed while an
// older transaction that wrote an event is still open is held back until that one ends, so
// a reader's cursor can never pass the older event.
func TestEventsWaitForOlderTransactions(t *testing.T) {
	ctx := context.Background()
	e := newEventsEnv(t)
	first := e.createOrder(t, usd("", "10.00"))

	held, err := e.pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = held.Rollback(ctx) }()
	var heldSeq int64
	if err := held.QueryRow(ctx, `INSERT INTO events (id, type, order_id, data) VALUES (gen_random_uuid(), 'order.failed', $1, $2) RETURNING seq`,
		first.ID, failedData(t, first)).Scan(&heldSeq); err != nil {
		t.Fatal(err)
	}
	later := e.cancelOrder(t) // commits an event with a higher seq while held is open

	p := e.listEvents(t, "")
	if len(p.Data) != 0 {
		t.Fatalf("listed %+v while an older transaction that wrote an event is open; want nothing yet", p.Data)
	}
	cursor := *p.NextCursor
	if err := held.Commit(ctx); err != nil {
		t.Fatal(err)
	}

	both := e.waitForEvents(t, 2)
	if both[0].OrderID != first.ID || both[1].OrderID != later.ID {
		t.Errorf("listed orders %s, %s; want %s (held) then %s", both[0].OrderID, both[1].OrderID, first.ID, later.ID)
	}
	var laterSeq int64
	if err := e.pool.QueryRow(ctx, `SELECT seq FROM events WHERE order_id = $1`, later.ID).Scan(&laterSeq); err != nil {
		t.Fatal(err)
	}
	if heldSeq >= laterSeq {
		t.Errorf("held seq %d, later seq %d: the test meant the held event to come first", heldSeq, laterSeq)
	}
	if got := e.listEvents(t, after(cursor, 0)); cmp.Diff(ids(both), ids(got.Data)) != "" {
		t.Errorf("after the cursor read while held was open: %v, want %v", ids(got.Data), ids(both))
	}
}

// TestEventsNoGapsOrRepeatsUnderConcurrentWriters: while writers commit (and roll back)
// events in transactions held open for random times, a reader polling with after=nextCursor
// sees every committed event exactly once, in the feed's order.
func TestEventsNoGapsOrRepeatsUnderConcurrentWriters(t *testing.T) {
	ctx := context.Background()
	e := newEventsEnv(t)
	type failedOrder struct {
		id   string
		data []byte
	}
	var orders []failedOrder
	for range 4 {
		o := e.createOrder(t, usd("", "10.00"))
		orders = append(orders, failedOrder{o.ID, failedData(t, o)})
	}
	const writers, perWriter = 6, 20
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for i := range perWriter {
				tx, err := e.pool.Begin(ctx)
				if err != nil {
					t.Error(err)
					return
				}
				time.Sleep(time.Duration(rand.IntN(5)) * time.Millisecond)
				o := orders[(w+i)%len(orders)]
				_, err = tx.Exec(ctx, `INSERT INTO events (id, type, order_id, data) VALUES (gen_random_uuid(), 'order.failed', $1, $2)`,
					o.id, o.data)
				if err != nil {
					t.Error(err)
					_ = tx.Rollback(ctx)
					return
				}
				time.Sleep(time.Duration(rand.IntN(25)) * time.Millisecond) // held open
				if i%7 == 3 {
					err = tx.Rollback(ctx) // never appears
				} else {
					err = tx.Commit(ctx)
				}
				if err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	writing := make(chan struct{})
	go func() { wg.Wait(); close(writing) }()

	seen := map[string]bool{}
	var order []string
	cursor := ""
	deadline := time.Now().Add(60 * time.Second)
	done := false
	for {
		p := e.listEvents(t, after(cursor, 7))
		for _, ev := range p.Data {
			if seen[ev.ID] {
				t.Fatalf("event %s listed twice", ev.ID)
			}
			seen[ev.ID] = true
			order = append(order, ev.ID)
		}
		cursor = *p.NextCursor
		if !done {
			select {
			case <-writing:
				done = true
				deadline = time.Now().Add(15 * time.Second) // to drain what is left
			default:
			}
		} else if len(order) >= e.count(t, `SELECT count(*) FROM events`) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("read %d of %d events", len(order), e.count(t, `SELECT count(*) FROM events`))
		}
		if len(p.Data) < 7 {
			time.Sleep(3 * time.Millisecond)
		}
	}
	stored := e.storedEventIDs(t)
	if d := cmp.Diff(stored, order); d != "" {
		t.Errorf("polled events differ from the committed ones (-stored +polled):\n%s", d)
	}
	rolledBack := 0
	for i := range perWriter {
		if i%7 == 3 {
			rolledBack++
		}
	}
	if want := writers * (perWriter - rolledBack); len(stored) != want {
		t.Errorf("%d events committed, want %d", len(stored), want)
	}
}

// TestEventsCursorBehindDeletedEventsIsGone: once the retention deletes delivered events, a
// cursor behind one of them is a 410 that says why and what to do; the feed read from its
// start lists what is kept, and reading on from there is fine.
func TestEventsCursorBehindDeletedEventsIsGone(t *testing.T) {
	ctx := context.Background()
	e := newEventsEnv(t)
	first, second, third := e.cancelOrder(t), e.cancelOrder(t), e.cancelOrder(t)
	all := e.waitForEvents(t, 3)
	afterFirst := *e.listEvents(t, after("", 1)).NextCursor
	if _, err := e.pool.Exec(ctx, `UPDATE events SET delivered_at = now() - interval '40 days' WHERE order_id = ANY($1)`,
		[]string{first.ID, second.ID}); err != nil {
		t.Fatal(err)
	}
	job := retention.New(e.pool, retention.Windows{Notifications: time.Hour, EventDeliveries: time.Hour, Events: 30 * 24 * time.Hour,
		IdempotencyKeys: time.Hour}, zap.NewNop(), prometheus.NewRegistry())
	if deleted, err := job.Pass(ctx); err != nil || deleted["events"] != 2 {
		t.Fatalf("retention pass = %v, %v; want the first two orders' events deleted", deleted, err)
	}

	p := e.do(t, http.MethodGet, "/v1/events?"+after(afterFirst, 0), "", auth(apiKey)).wantProblem(t, http.StatusGone, "gone", "after")
	if !strings.Contains(p.Detail, "GATEWAY_RETENTION_EVENTS") || !strings.Contains(p.Detail, "from the start") {
		t.Errorf("410 detail %q, want the retention named and what to do", p.Detail)
	}
	got := e.listEvents(t, "")
	if len(got.Data) != 1 || got.Data[0].ID != all[2].ID || got.Data[0].OrderID != third.ID {
		t.Fatalf("the feed from the start lists %v, want only the third order's event", ids(got.Data))
	}
	if next := e.listEvents(t, after(*got.NextCursor, 0)); len(next.Data) != 0 {
		t.Errorf("after the last event: %v, want nothing", ids(next.Data))
	}
}
