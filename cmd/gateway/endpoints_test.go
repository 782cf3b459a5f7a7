package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"
	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/placetopay-gateway/gateway/internal/pgtest"
)

var printedSecret = regexp.MustCompile(`secret: (whsec_[A-Za-z0-9+/]{43}=)\n`)

// TestEndpointsCommandsAndServeDeliverToThem: an endpoint made with `gateway endpoints
// create` gets the events a running gateway writes, signed with the printed secret, beside
// the default endpoint (MERCHANT_WEBHOOK_URL), which list shows first, read-only; the
// secret never appears in list or the log, and every change is in the audit log.
func TestEndpointsCommandsAndServeDeliverToThem(t *testing.T) {
	dbURL := pgtest.URL(t)
	tokenKey := "GATEWAY_TOKEN_KEY=k1:" + strings.Repeat("ab", 32)
	var mu sync.Mutex
	var got [][]byte
	var headers []http.Header
	rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		got, headers = append(got, body), append(headers, r.Header.Clone())
		mu.Unlock()
	}))
	defer rcv.Close()
	def := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	defer def.Close()
	env := []string{"DATABASE_URL=" + dbURL, "USER=ops", tokenKey, "MERCHANT_WEBHOOK_URL=" + def.URL, "MERCHANT_WEBHOOK_SECRET=whsec_" + strings.Repeat("A", 43) + "="}
	cmd := func(args ...string) (string, error) {
		var out bytes.Buffer
		err := run(context.Background(), append([]string{"gateway", "endpoints"}, args...), env, &out)
		return out.String(), err
	}
	l, addrs, stop := startRun(t, nil, append(env, "GATEWAY_ADDR=127.0.0.1:0", "GATEWAY_ADMIN_ADDR=127.0.0.1:0", "SANDBOX_ADDR=127.0.0.1:0"), "public", "admin")
	defer func() { _ = stop() }()
	waitReady(t, addrs["admin"], time.Now().Add(60*time.Second))

	out, err := cmd("create", "--url", rcv.URL, "--events", "order.paid")
	m := printedSecret.FindStringSubmatch(out)
	if err != nil || m == nil {
		t.Fatalf("endpoints create: %q, %v", out, err)
	}
	secret := m[1]
	out, err = cmd("list")
	if err != nil || strings.Contains(out, secret) || !strings.Contains(out, "default") || !strings.Contains(out, "order.paid") {
		t.Fatalf("endpoints list: %q, %v", out, err)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 3 || !strings.HasPrefix(lines[1], "default") {
		t.Fatalf("list: want the header, the default endpoint, then the new one:\n%s", out)
	}
	if _, err := cmd("disable", "--id", "default", "--reason", "x"); err == nil {
		t.Error("the default endpoint was disabled")
	}

	// An order.paid event written now reaches the endpoint, signed with the secret.
	ctx := context.Background()
	pool, err := pgxpool.New(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	order := uuid.New()
	if _, err := pool.Exec(ctx, `INSERT INTO orders (id, reference, currency, total_minor, client_secret_hash) VALUES ($1, 'EP-1', 'USD', 1000, $2)`, order, make([]byte, 32)); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `INSERT INTO events (id, type, order_id, data) VALUES ($1, 'order.paid', $2, '{}')`, uuid.New(), order); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		mu.Lock()
		n := len(got)
		mu.Unlock()
		if n > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the endpoint got nothing; log:\n%s", l)
		}
		time.Sleep(50 * time.Millisecond)
	}
	wh, _ := standardwebhooks.NewWebhook(secret)
	mu.Lock()
	if err := wh.Verify(got[0], headers[0]); err != nil {
		t.Errorf("signature: %v", err)
	}
	mu.Unlock()

	id := strings.Fields(lines[2])[0]
	for _, args := range [][]string{
		{"rotate", "--id", id, "--overlap", "1h"},
		{"disable", "--id", id, "--reason", "maintenance"},
		{"enable", "--id", id},
		{"replay", "--id", id, "--since", time.Now().Add(-time.Hour).UTC().Format(time.RFC3339)},
	} {
		if out, err := cmd(args...); err != nil {
			t.Fatalf("endpoints %v: %q, %v", args, out, err)
		}
	}
	var audits int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM audit_log WHERE action LIKE 'webhook_endpoint.%' AND actor_kind = 'cli'`).Scan(&audits); err != nil || audits != 5 {
		t.Errorf("audit rows = %d, %v; want 5", audits, err)
	}
	if strings.Contains(l.String(), secret) {
		t.Error("the secret is in the log")
	}
}

// TestEndpointsCreateRefusesInternalAddresses: without GATEWAY_ENDPOINT_ALLOW_PRIVATE (as in
// production), `gateway endpoints create` refuses a URL reaching the gateway's own networks
// with an error naming url, and stores nothing; development's default takes loopback.
func TestEndpointsCreateRefusesInternalAddresses(t *testing.T) {
	dbURL := pgtest.URL(t)
	env := []string{"DATABASE_URL=" + dbURL, "USER=ops", "GATEWAY_TOKEN_KEY=k1:" + strings.Repeat("ab", 32)}
	create := func(extra []string, u string) (string, error) {
		var out bytes.Buffer
		err := run(context.Background(), []string{"gateway", "endpoints", "create", "--url", u}, append(env, extra...), &out)
		return out.String(), err
	}
	strict := []string{"GATEWAY_ENDPOINT_ALLOW_PRIVATE=false"}
	for _, u := range []string{"http://169.254.169.254/latest/meta-data/", "http://127.0.0.1:9090/admin/api", "http://[::1]/hooks", "https://192.168.0.10/hooks"} {
		if out, err := create(strict, u); err == nil || !strings.Contains(err.Error(), "url") || !strings.Contains(err.Error(), "must not reach the gateway's own networks") {
			t.Errorf("endpoints create --url %s = %q, %v; want a refusal naming url", u, out, err)
		}
	}
	pool, err := pgxpool.New(context.Background(), dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	var n int
	if err := pool.QueryRow(context.Background(), `SELECT count(*) FROM webhook_endpoints`).Scan(&n); err != nil || n != 0 {
		t.Fatalf("%d endpoints stored after refusals (%v), want 0", n, err)
	}
	if out, err := create(nil, "http://127.0.0.1:9999/hooks"); err != nil || !printedSecret.MatchString(out) {
		t.Errorf("development's default refuses loopback: %q, %v", out, err)
	}
}

// TestEndpointsEnableReplaySince: `gateway endpoints enable --replay-since` enables and
// queues again the events since then, and says how many; a time that is not RFC 3339 is
// refused and leaves the endpoint disabled.
func TestEndpointsEnableReplaySince(t *testing.T) {
	dbURL := pgtest.URL(t)
	env := []string{"DATABASE_URL=" + dbURL, "USER=ops", "GATEWAY_TOKEN_KEY=k1:" + strings.Repeat("ab", 32)}
	cmd := func(args ...string) (string, error) {
		var out bytes.Buffer
		err := run(context.Background(), append([]string{"gateway", "endpoints"}, args...), env, &out)
		return out.String(), err
	}
	if _, err := cmd("create", "--url", "http://127.0.0.1:9999/hooks"); err != nil {
		t.Fatal(err)
	}
	pool, err := pgxpool.New(context.Background(), dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	var id string
	if err := pool.QueryRow(context.Background(), `SELECT id::text FROM webhook_endpoints`).Scan(&id); err != nil {
		t.Fatal(err)
	}
	if _, err := cmd("disable", "--id", id, "--reason", "moving"); err != nil {
		t.Fatal(err)
	}
	since := time.Now().UTC().Add(-time.Second).Format(time.RFC3339)
	if _, err := pool.Exec(context.Background(), `WITH o AS (INSERT INTO orders (id, reference, currency, total_minor, client_secret_hash)
		VALUES ($1, 'r-1', 'USD', 1000, $2) RETURNING id) INSERT INTO events (id, type, order_id, data) SELECT $3, 'order.failed', id, '{}' FROM o`,
		uuid.New(), make([]byte, 32), uuid.New()); err != nil {
		t.Fatal(err)
	}
	if out, err := cmd("enable", "--id", id, "--replay-since", "yesterday"); err == nil || !strings.Contains(err.Error(), "--replay-since") {
		t.Errorf("enable --replay-since yesterday = %q, %v; want a refusal naming the flag", out, err)
	}
	out, err := cmd("enable", "--id", id, "--replay-since", since)
	if err != nil || !strings.Contains(out, "enabled; 1 event(s) since "+since+" queued again") {
		t.Errorf("enable --replay-since = %q, %v; want it enabled with the one event queued again", out, err)
	}
}
