package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/placetopay-gateway/gateway/internal/pgtest"
)

// TestServeDeletesRowsPastTheirRetention: with the default windows, serve deletes raw
// notifications and delivery attempts older than 90 days, events delivered or given up more
// than 30 days ago (with their attempts), and idempotency keys done, or abandoned in
// flight, more than three days ago; it keeps everything younger, every event still to be
// delivered, a notification a recurring charge names, and the merchant's accounting record
// (orders, sessions, payments, refunds, the timeline), however old. A feed cursor from before
// the deleted events is then answered 410 Gone.
func TestServeDeletesRowsPastTheirRetention(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dbURL := pgtest.URL(t)
	pool, err := pgxpool.New(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	exec := func(sql string, args ...any) {
		t.Helper()
		if _, err := pool.Exec(ctx, sql, args...); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}
	count := func(sql string, args ...any) int {
		t.Helper()
		var n int
		if err := pool.QueryRow(ctx, sql, args...).Scan(&n); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
		return n
	}
	ago := func(d time.Duration) time.Time { return time.Now().Add(-d) }
	const day = 24 * time.Hour

	// The accounting record of one old order: never deleted.
	order, session, payment, recurring := uuid.New(), uuid.New(), uuid.New(), uuid.New()
	old := ago(400 * day)
	exec(`INSERT INTO orders (id, reference, currency, total_minor, paid_minor, refunded_minor, status, client_secret_hash, created_at, updated_at)
		VALUES ($1, 'RET-1', 'USD', 2500, 2500, 500, 'partially_refunded', $2, $3, $3)`, order, make([]byte, 32), old)
	exec(`INSERT INTO checkout_sessions (id, order_id, attempt, request_id, status, currency, total_minor, expires_at, created_at)
		VALUES ($1, $2, 'closed', 7001, 'APPROVED', 'USD', 2500, $3, $3)`, session, order, old)
	exec(`INSERT INTO payments (id, order_id, session_id, internal_reference, status, currency, amount_minor, created_at)
		VALUES ($1, $2, $3, 8001, 'APPROVED', 'USD', 2500, $4)`, payment, order, session, old)
	exec(`INSERT INTO payments (id, order_id, session_id, internal_reference, kind, status, currency, amount_minor, confirmed, created_at)
		VALUES ($1, $2, $3, 8002, 'recurring', 'APPROVED', 'USD', 2500, false, $4)`, recurring, order, session, old)
	exec(`INSERT INTO refunds (id, order_id, payment_id, currency, amount_minor, status, created_at) VALUES ($1, $2, $3, 'USD', 500, 'succeeded', $4)`,
		uuid.New(), order, payment, old)
	exec(`INSERT INTO order_timeline (order_id, kind, created_at) VALUES ($1, 'created', $2)`, order, old)

	// Notifications: 2,500 old ones (several batches), one old one a recurring charge names,
	// one recent.
	exec(`INSERT INTO notifications (kind, status, signature_algorithm, dedupe_key, body, received_at)
		SELECT 'checkout', 'APPROVED', 'sha256', sha256(i::text::bytea), '{}', $1 FROM generate_series(1, 2500) i`, ago(100*day))
	var named int64
	if err := pool.QueryRow(ctx, `INSERT INTO notifications (kind, status, signature_algorithm, dedupe_key, body, received_at)
		VALUES ('recurring', 'APPROVED', 'sha256', 'named', '{}', $1) RETURNING id`, ago(100*day)).Scan(&named); err != nil {
		t.Fatal(err)
	}
	exec(`INSERT INTO recurring_charges (payment_id, order_id, session_id, notification_id) VALUES ($1, $2, $3, $4)`, recurring, order, session, named)
	exec(`INSERT INTO notifications (kind, status, signature_algorithm, dedupe_key, body, received_at)
		VALUES ('checkout', 'APPROVED', 'sha256', 'recent', '{}', $1)`, ago(day))

	// Events: delivered and given up long ago (deleted, attempts too); still pending however
	// old, and delivered lately (kept).
	data, _ := json.Marshal(map[string]any{"orderId": order, "reference": "RET-1", "status": "paid", "previousStatus": "pending",
		"amount": map[string]string{"currency": "USD", "total": "25.00"}, "paidAmount": map[string]string{"currency": "USD", "total": "25.00"},
		"refundedAmount": map[string]string{"currency": "USD", "total": "0.00"}})
	event := func(created time.Time, delivered, failed *time.Time) int64 {
		t.Helper()
		var seq int64
		if err := pool.QueryRow(ctx, `INSERT INTO events (id, type, order_id, data, created_at, delivered_at, failed_at)
			VALUES ($1, 'order.paid', $2, $3, $4, $5, $6) RETURNING seq`, uuid.New(), order, data, created, delivered, failed).Scan(&seq); err != nil {
			t.Fatal(err)
		}
		return seq
	}
	attempt := func(seq int64, at time.Time) {
		t.Helper()
		exec(`INSERT INTO event_deliveries (event_seq, attempted_at, status_code, duration_ms) VALUES ($1, $2, 200, 5)`, seq, at)
	}
	delivered, gaveUp := event(ago(50*day), new(ago(40*day)), nil), event(ago(50*day), nil, new(ago(40*day)))
	attempt(delivered, ago(40*day))
	attempt(gaveUp, ago(41*day))
	pending := event(ago(200*day), nil, nil)
	attempt(pending, ago(100*day)) // past the deliveries' window
	attempt(pending, ago(day))
	recent := event(ago(2*day), new(ago(day)), nil)
	attempt(recent, ago(day))

	// Idempotency keys: done and abandoned in flight long ago (deleted); done lately, and in
	// flight under a live lease however old (kept).
	key := func(name, state string, created, lockedUntil time.Time) {
		t.Helper()
		var status *int
		var headers, body []byte
		if state == "done" {
			status, headers, body = new(201), []byte(`{}`), []byte(`{}`)
		}
		exec(`INSERT INTO idempotency_keys (owner, key, method, path, request_hash, state, lock_token, locked_until,
			response_status, response_headers, response_body, created_at) VALUES ('o', $1, 'POST', '/v1/orders', $2, $3, $4, $5, $6, $7, $8, $9)`,
			name, make([]byte, 32), state, uuid.New(), lockedUntil, status, headers, body, created)
	}
	key("done-old", "done", ago(4*day), ago(4*day))
	key("abandoned", "in_flight", ago(4*day), ago(4*day))
	key("done-recent", "done", ago(time.Hour), ago(time.Hour))
	key("in-flight-live", "in_flight", ago(4*day), time.Now().Add(time.Hour))

	// The retention takes only events older than every running transaction on the server,
	// which another test may hold open a moment: the first pass runs at start.
	for deadline := time.Now().Add(30 * time.Second); count(`SELECT count(*) FROM events WHERE tx_id >= pg_snapshot_xmin(pg_current_snapshot())`) > 0; {
		if time.Now().After(deadline) {
			t.Fatal("events still not settled after 30s: a transaction is held open on the server")
		}
		time.Sleep(20 * time.Millisecond)
	}

	const apiKey = "retention-test-key-0123456789"
	logs, addrs, _ := startRun(t, nil, []string{
		"DATABASE_URL=" + dbURL, "GATEWAY_ADDR=127.0.0.1:0", "GATEWAY_ADMIN_ADDR=127.0.0.1:0", "SANDBOX_ADDR=127.0.0.1:0",
		"GATEWAY_API_KEYS=" + apiKey,
	}, "public", "admin")
	waitReady(t, addrs["admin"], time.Now().Add(60*time.Second))

	deadline := time.Now().Add(30 * time.Second)
	for count(`SELECT count(*) FROM notifications`)+count(`SELECT count(*) FROM events`)+count(`SELECT count(*) FROM idempotency_keys`) != 2+2+2 {
		if time.Now().After(deadline) {
			t.Fatalf("after 30s: %d notifications, %d events, %d idempotency keys; want 2, 2, 2", count(`SELECT count(*) FROM notifications`),
				count(`SELECT count(*) FROM events`), count(`SELECT count(*) FROM idempotency_keys`))
		}
		time.Sleep(100 * time.Millisecond)
	}
	if n := count(`SELECT count(*) FROM notifications WHERE id = $1 OR dedupe_key = 'recent'`, named); n != 2 {
		t.Errorf("the named and the recent notification: %d kept, want both", n)
	}
	if n := count(`SELECT count(*) FROM events WHERE seq = ANY($1)`, []int64{pending, recent}); n != 2 {
		t.Errorf("the pending and the recent event: %d kept, want both", n)
	}
	if n := count(`SELECT count(*) FROM event_deliveries WHERE event_seq = ANY($1) AND attempted_at > now() - interval '2 days'`, []int64{pending, recent}); n != 2 ||
		count(`SELECT count(*) FROM event_deliveries`) != 2 {
		t.Errorf("event_deliveries: %d rows, want the 2 recent attempts only", count(`SELECT count(*) FROM event_deliveries`))
	}
	if n := count(`SELECT count(*) FROM idempotency_keys WHERE key IN ('done-recent', 'in-flight-live')`); n != 2 {
		t.Errorf("recent and live idempotency keys: %d kept, want 2", n)
	}
	for table, want := range map[string]int{"orders": 1, "checkout_sessions": 1, "payments": 2, "refunds": 1, "order_timeline": 1, "recurring_charges": 1} {
		if n := count(`SELECT count(*) FROM ` + table); n != want {
			t.Errorf("%s: %d rows, want %d: the accounting record is never deleted", table, n, want)
		}
	}

	m := scrape(t, "http://"+addrs["admin"])
	for table, want := range map[string]float64{"notifications": 2500, "events": 2, "event_deliveries": 3, "idempotency_keys": 2} {
		if got, ok := value(m, "gateway_retention_deleted_rows_total", map[string]string{"table": table}); !ok || got != want {
			t.Errorf("gateway_retention_deleted_rows_total{table=%q} = %v (%v), want %v", table, got, ok, want)
		}
	}
	if !strings.Contains(logs.String(), `"GATEWAY_RETENTION_EVENTS":"30d"`) || !strings.Contains(logs.String(), `"GATEWAY_RETENTION_IDEMPOTENCY":"3d"`) {
		t.Errorf("the start log does not show the default windows (30d for events, 3d for idempotency keys)")
	}

	// A cursor from before the deleted events: 410, saying why. The feed read from its
	// start lists what is kept.
	get := func(query string) (int, []byte) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, "http://"+addrs["public"]+"/v1/events"+query, nil)
		req.Header.Set("Authorization", "Bearer "+apiKey)
		resp, err := testClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, body
	}
	before := base64.RawURLEncoding.EncodeToString([]byte("e1:0.0"))
	if code, body := get("?after=" + before); code != http.StatusGone || !strings.Contains(string(body), `"code":"gone"`) ||
		!strings.Contains(string(body), "retention") {
		t.Errorf("GET /v1/events after a cursor from before the deleted events = %d %s, want 410 gone naming the retention", code, body)
	}
	code, body := get("")
	var page struct {
		Data []struct {
			ID string `json:"id"`
		} `json:"data"`
	}
	if err := json.Unmarshal(body, &page); code != http.StatusOK || err != nil || len(page.Data) != 2 {
		t.Errorf("GET /v1/events from the start = %d %s, want the 2 kept events", code, body)
	}
}
