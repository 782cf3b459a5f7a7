package webhooks_test

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"
	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/placetopay-gateway/gateway/internal/webhooks"
)

// testSecret returns a fresh Standard Webhooks secret.
func testSecret(t *testing.T) string {
	t.Helper()
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		t.Fatal(err)
	}
	return "whsec_" + base64.StdEncoding.EncodeToString(key)
}

// insertOrder stores a bare pending order and returns its id.
func insertOrder(t *testing.T, pool *pgxpool.Pool) uuid.UUID {
	t.Helper()
	id := uuid.Must(uuid.NewV7())
	_, err := pool.Exec(context.Background(),
		`INSERT INTO orders (id, reference, currency, total_minor, client_secret_hash) VALUES ($1, $2, 'USD', 1000, $3)`,
		id, "ref-"+id.String()[24:], make([]byte, 32))
	if err != nil {
		t.Fatalf("insert order: %v", err)
	}
	return id
}

// storedEvent is an events row as the tests look at it.
type storedEvent struct {
	seq int64
	id  uuid.UUID
}

// insertEvent stores an event of orderID, committed at once.
func insertEvent(t *testing.T, pool *pgxpool.Pool, orderID uuid.UUID, typ string) storedEvent {
	t.Helper()
	ev := storedEvent{id: uuid.Must(uuid.NewV7())}
	err := pool.QueryRow(context.Background(),
		`INSERT INTO events (id, type, order_id, data) VALUES ($1, $2, $3, $4) RETURNING seq`,
		ev.id, typ, orderID, fmt.Sprintf(`{"orderId":%q,"status":"cancelled"}`, orderID)).Scan(&ev.seq)
	if err != nil {
		t.Fatalf("insert event: %v", err)
	}
	return ev
}

// fakeClock is a settable clock, safe for concurrent use.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// received is one request the merchant endpoint saw.
type received struct {
	header http.Header
	body   []byte
}

// merchant is a merchant's webhook endpoint on loopback. respond decides each answer from
// the request and how many requests came before it; it may hijack the connection.
type merchant struct {
	srv     *httptest.Server
	mu      sync.Mutex
	reqs    []received
	respond func(w http.ResponseWriter, r *http.Request, n int, id string)
}

func newMerchant(t *testing.T, respond func(w http.ResponseWriter, r *http.Request, n int, id string)) *merchant {
	t.Helper()
	m := &merchant{respond: respond}
	m.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			t.Errorf("merchant: read body: %v", err)
		}
		m.mu.Lock()
		n := len(m.reqs)
		m.reqs = append(m.reqs, received{header: r.Header.Clone(), body: body})
		m.mu.Unlock()
		m.respond(w, r, n, r.Header.Get("webhook-id"))
	}))
	t.Cleanup(m.srv.Close)
	return m
}

// requests returns what the endpoint received so far.
func (m *merchant) requests() []received {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]received(nil), m.reqs...)
}

// answer replies with status.
func answer(status int) func(w http.ResponseWriter, r *http.Request, n int, id string) {
	return func(w http.ResponseWriter, _ *http.Request, _ int, _ string) { w.WriteHeader(status) }
}

// hangUp closes the connection without answering.
func hangUp(t *testing.T, w http.ResponseWriter) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		t.Errorf("hijack: %v", err)
		return
	}
	_ = conn.Close()
}

// verify checks r's signature with the official library: Verify, which also checks that the
// timestamp is within five minutes of now, or VerifyIgnoringTimestamp when the deliverer
// runs on a fake clock far from now.
func verify(t *testing.T, secret string, r received, checkTime bool) {
	t.Helper()
	var wh *standardwebhooks.Webhook
	var err error
	if len(secret) > 6 && secret[:6] == "whsec_" {
		wh, err = standardwebhooks.NewWebhook(secret)
	} else {
		wh, err = standardwebhooks.NewWebhookRaw([]byte(secret))
	}
	if err != nil {
		t.Fatal(err)
	}
	if checkTime {
		err = wh.Verify(r.body, r.header)
	} else {
		err = wh.VerifyIgnoringTimestamp(r.body, r.header)
	}
	if err != nil {
		t.Errorf("signature of %s does not verify: %v (headers %v)", r.header.Get("webhook-id"), err, r.header)
	}
}

// newTestDeliverer returns a deliverer to m's URL (with a query token that must never be
// logged) on pool, logging to an observer.
func newTestDeliverer(t *testing.T, pool *pgxpool.Pool, m *merchant, secret string, clock func() time.Time) (*webhooks.Deliverer, *observer.ObservedLogs) {
	t.Helper()
	core, logs := observer.New(zap.DebugLevel)
	d, err := webhooks.NewDeliverer(pool, webhooks.Endpoint{URL: m.srv.URL + "/hooks?token=url-token-s3cr3t", Secret: secret}, m.srv.Client(), zap.New(core), clock, nil)
	if err != nil {
		t.Fatalf("NewDeliverer: %v", err)
	}
	return d, logs
}

// passUntil runs delivery passes until done reports true, failing after a generous deadline.
func passUntil(t *testing.T, d *webhooks.Deliverer, done func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !done() {
		if time.Now().After(deadline) {
			t.Fatal("deliveries did not finish within 30s")
		}
		if _, err := d.DeliverDue(context.Background()); err != nil {
			t.Fatalf("DeliverDue: %v", err)
		}
	}
}

// count runs a count query.
func count(t *testing.T, pool *pgxpool.Pool, query string, args ...any) int {
	t.Helper()
	var n int
	if err := pool.QueryRow(context.Background(), query, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}

// attemptRow is an event_deliveries row.
type attemptRow struct {
	eventSeq    int64
	attemptedAt time.Time
	statusCode  *int32
	errText     *string
	durationMs  int32
}

func attemptsOf(t *testing.T, pool *pgxpool.Pool) []attemptRow {
	t.Helper()
	rows, err := pool.Query(context.Background(),
		`SELECT event_seq, attempted_at, status_code, error, duration_ms FROM event_deliveries ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []attemptRow
	for rows.Next() {
		var a attemptRow
		if err := rows.Scan(&a.eventSeq, &a.attemptedAt, &a.statusCode, &a.errText, &a.durationMs); err != nil {
			t.Fatal(err)
		}
		out = append(out, a)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// insertEnrolment stores a bare autopay enrolment and returns its id.
func insertEnrolment(t *testing.T, pool *pgxpool.Pool) uuid.UUID {
	t.Helper()
	id := uuid.Must(uuid.NewV7())
	_, err := pool.Exec(context.Background(), `INSERT INTO autopays (id, reference, description, charge_type, recurring, return_url)
		VALUES ($1, $2, 'plan', 'MINIMUM_BALANCE', '{"type":"MINIMUM_BALANCE","periodicity":"M","interval":1,"nextPayment":"2099-01-01"}',
		'https://shop.test/back')`, id, "ap-"+id.String()[24:])
	if err != nil {
		t.Fatalf("insert enrolment: %v", err)
	}
	return id
}

// insertEnrolmentEvent stores an autopay event of enrolment id, committed at once.
func insertEnrolmentEvent(t *testing.T, pool *pgxpool.Pool, id uuid.UUID, typ string) storedEvent {
	t.Helper()
	ev := storedEvent{id: uuid.Must(uuid.NewV7())}
	err := pool.QueryRow(context.Background(),
		`INSERT INTO events (id, type, autopay_id, data) VALUES ($1, $2, $3, $4) RETURNING seq`,
		ev.id, typ, id, fmt.Sprintf(`{"enrolmentId":%q,"status":"active"}`, id)).Scan(&ev.seq)
	if err != nil {
		t.Fatalf("insert event: %v", err)
	}
	return ev
}
