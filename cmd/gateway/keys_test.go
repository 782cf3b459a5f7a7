package main

import (
	"bytes"
	"context"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/placetopay-gateway/gateway/internal/pgtest"
)

func keysCmd(t *testing.T, dbURL string, args ...string) (string, error) {
	t.Helper()
	var out bytes.Buffer
	err := run(context.Background(), append([]string{"gateway", "keys"}, args...), []string{"DATABASE_URL=" + dbURL, "USER=ops"}, &out)
	return out.String(), err
}

var printedKey = regexp.MustCompile(`api key: (sk_test_[0-9A-Za-z]{49})\n`)

// TestKeysCommandsAcrossTwoGateways: keys made with `gateway keys create` work on two
// gateways on one database with no restart, within their scope; `gateway keys revoke`
// stops a key on both within a second; GATEWAY_API_KEYS (here the development key) keeps
// full scope; and no key appears in either gateway's log or in `gateway keys list`.
func TestKeysCommandsAcrossTwoGateways(t *testing.T) {
	dbURL := pgtest.URL(t)
	var gateways []struct{ public, devKey string }
	var logs []*syncBuffer
	for range 2 {
		l, addrs, _ := startRun(t, nil, []string{
			"DATABASE_URL=" + dbURL, "GATEWAY_ADDR=127.0.0.1:0", "GATEWAY_ADMIN_ADDR=127.0.0.1:0", "SANDBOX_ADDR=127.0.0.1:0",
		}, "public", "admin")
		waitReady(t, addrs["admin"], time.Now().Add(60*time.Second))
		entry, ok := findLog(t, l.String(), "development API key (GATEWAY_API_KEYS is empty, so one was generated for this run)")
		if !ok {
			t.Fatalf("no development API key line; log:\n%s", l)
		}
		devKey, _ := entry["apiKey"].(string)
		gateways = append(gateways, struct{ public, devKey string }{"http://" + addrs["public"], devKey})
		logs = append(logs, l)
	}
	call := func(base, key, method, path, body string) int {
		t.Helper()
		req, err := http.NewRequest(method, base+path, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+key)
		if body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		resp, err := testClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}

	out, err := keysCmd(t, dbURL, "create", "--name", "reporting", "--scope", "read")
	m := printedKey.FindStringSubmatch(out)
	if err != nil || m == nil {
		t.Fatalf("keys create printed no key: %q, %v", out, err)
	}
	readKey := m[1]
	out, err = keysCmd(t, dbURL, "create", "--name", "storefront", "--scope", "checkout")
	if err != nil || printedKey.FindStringSubmatch(out) == nil {
		t.Fatalf("keys create: %q, %v", out, err)
	}
	checkoutKey := printedKey.FindStringSubmatch(out)[1]
	if _, err := keysCmd(t, dbURL, "create", "--name", "x", "--scope", "admin"); err == nil || !strings.Contains(err.Error(), "--scope") {
		t.Errorf("bad scope: %v", err)
	}
	if _, err := keysCmd(t, dbURL, "create", "--scope", "read"); err == nil || !strings.Contains(err.Error(), "required") {
		t.Errorf("no name: %v", err)
	}

	order := `{"description":"keys","amount":{"currency":"USD","total":"10.00"}}`
	for _, g := range gateways {
		if got := call(g.public, readKey, http.MethodGet, "/v1/orders", ""); got != http.StatusOK {
			t.Errorf("read key, GET /v1/orders: %d", got)
		}
		if got := call(g.public, readKey, http.MethodPost, "/v1/orders", order); got != http.StatusForbidden {
			t.Errorf("read key, POST /v1/orders: %d, want 403", got)
		}
		if got := call(g.public, checkoutKey, http.MethodPost, "/v1/orders", order); got != http.StatusCreated {
			t.Errorf("checkout key, POST /v1/orders: %d, want 201", got)
		}
		if got := call(g.public, g.devKey, http.MethodPost, "/v1/orders", order); got != http.StatusCreated {
			t.Errorf("development key, POST /v1/orders: %d, want 201", got)
		}
	}

	out, err = keysCmd(t, dbURL, "list")
	prefix := readKey[:16]
	if err != nil || !regexp.MustCompile(regexp.QuoteMeta(prefix)+`…\s+reporting\s+read\s+active\s+\S+\s+20\d\d-`).MatchString(out) {
		t.Fatalf("list = %q, %v", out, err)
	}
	if strings.Contains(out, readKey[16:]) || strings.Contains(out, checkoutKey[16:]) {
		t.Errorf("list shows a key: %q", out)
	}
	if _, err := keysCmd(t, dbURL, "revoke", "--id", prefix); err == nil || !strings.Contains(err.Error(), "--reason") {
		t.Errorf("revoke without a reason: %v", err)
	}
	if out, err = keysCmd(t, dbURL, "revoke", "--id", prefix, "--reason", "left the team"); err != nil || !strings.Contains(out, "revoked") {
		t.Fatalf("revoke = %q, %v", out, err)
	}
	revoked := time.Now()
	for i, g := range gateways {
		for call(g.public, readKey, http.MethodGet, "/v1/orders", "") != http.StatusUnauthorized {
			if time.Since(revoked) > time.Second {
				t.Fatalf("gateway %d still accepts the revoked key after a second", i+1)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	out, _ = keysCmd(t, dbURL, "list")
	if !regexp.MustCompile(regexp.QuoteMeta(prefix) + `…\s+reporting\s+read\s+revoked `).MatchString(out) {
		t.Errorf("list after revoke = %q", out)
	}
	if _, err := keysCmd(t, dbURL, "revoke", "--id", prefix, "--reason", "again"); err == nil {
		t.Error("revoking twice succeeded")
	}

	// The command line's actions are audited, naming the user it ran as.
	pool, err := pgxpool.New(context.Background(), dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	var rows int
	if err := pool.QueryRow(context.Background(), `SELECT count(*) FROM audit_log WHERE actor_kind = 'cli' AND actor_id = 'ops'
		AND action IN ('api_key.create', 'api_key.revoke')`).Scan(&rows); err != nil {
		t.Fatal(err)
	}
	if rows != 3 {
		t.Errorf("%d cli audit rows, want 3 (two creates, one revoke)", rows)
	}
	for i, l := range logs {
		for _, k := range []string{readKey, checkoutKey} {
			if strings.Contains(l.String(), k[16:]) {
				t.Errorf("gateway %d logged a key", i+1)
			}
		}
	}
}
