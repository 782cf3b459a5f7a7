package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/placetopay-gateway/gateway/internal/apikeys"
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
// full scope. Once printed, no key (one from the command line, one from POST
// /admin/api/keys, each used, listed and revoked) appears again: not in either gateway's
// log, `gateway keys list`, any /v1 or /admin answer but the one that created it, an audit
// row or the audit CSV.
func TestKeysCommandsAcrossTwoGateways(t *testing.T) {
	dbURL := pgtest.URL(t)
	var gateways []struct{ public, admin, devKey string }
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
		gateways = append(gateways, struct{ public, admin, devKey string }{"http://" + addrs["public"], "http://" + addrs["admin"], devKey})
		logs = append(logs, l)
	}
	// answers keeps every answer's headers and body, to look for keys in at the end.
	var answers []string
	send := func(base, key, method, path, body string) (int, []byte) {
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
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		return resp.StatusCode, b
	}
	call := func(base, key, method, path, body string) int {
		t.Helper()
		status, b := send(base, key, method, path, body)
		answers = append(answers, fmt.Sprintf("%s %s: %d %s", method, path, status, b))
		return status
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
	lists := out
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
	lists += out
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

	// A key an admin makes through the operator API, used, listed and revoked there.
	out, err = operatorsCmd(t, dbURL, "add", "--email", "root@shop.test", "--role", "admin")
	tok := apiToken.FindStringSubmatch(out)
	if err != nil || tok == nil {
		t.Fatalf("operators add: %q, %v", out, err)
	}
	admin := tok[1]
	status, body := send(gateways[0].admin, admin, http.MethodPost, "/admin/api/keys", `{"name":"back office","scope":"full"}`)
	var made struct {
		Key struct {
			ID string `json:"id"`
		} `json:"key"`
		Secret string `json:"secret"`
	}
	if err := json.Unmarshal(body, &made); status != http.StatusCreated || err != nil || !apikeys.Recognise(made.Secret) {
		t.Fatalf("POST /admin/api/keys: %d %s", status, body)
	}
	apiMade := made.Secret
	for _, g := range gateways {
		if got := call(g.public, apiMade, http.MethodGet, "/v1/orders", ""); got != http.StatusOK {
			t.Errorf("key made by the operator API, GET /v1/orders: %d", got)
		}
		if got := call(g.public, apiMade, http.MethodPost, "/v1/orders", `{"description":"no amount"}`); got != http.StatusUnprocessableEntity {
			t.Errorf("key made by the operator API, POST /v1/orders without an amount: %d, want 422", got)
		}
		if got := call(g.public, checkoutKey, http.MethodPost, "/v1/orders/"+uuid.NewString()+"/cancel", "{}"); got != http.StatusForbidden {
			t.Errorf("checkout key, cancel: %d, want 403", got)
		}
	}
	if got := call(gateways[1].admin, admin, http.MethodGet, "/admin/api/keys", ""); got != http.StatusOK {
		t.Errorf("GET /admin/api/keys: %d", got)
	}
	if got := call(gateways[1].admin, admin, http.MethodPost, "/admin/api/keys/"+made.Key.ID+"/revoke", `{"reason":"rotated"}`); got != http.StatusOK {
		t.Errorf("revoke through the operator API: %d", got)
	}
	if got := call(gateways[0].admin, admin, http.MethodPost, "/admin/api/keys/"+made.Key.ID+"/revoke", `{"reason":"again"}`); got != http.StatusConflict {
		t.Errorf("second revoke through the operator API: %d, want 409", got)
	}
	for _, path := range []string{"/admin/api/keys", "/admin/api/audit", "/admin/api/audit.csv"} {
		if got := call(gateways[0].admin, admin, http.MethodGet, path, ""); got != http.StatusOK {
			t.Errorf("GET %s: %d", path, got)
		}
	}
	listed, err := keysCmd(t, dbURL, "list")
	if err != nil || !strings.Contains(listed, made.Secret[:16]+"…") {
		t.Fatalf("list after the operator API's key: %q, %v", listed, err)
	}
	var auditRows string
	if err := pool.QueryRow(context.Background(), `SELECT coalesce(string_agg(row_to_json(audit_log)::text, E'\n'), '') FROM audit_log`).Scan(&auditRows); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(auditRows, "api_key:"+made.Secret[:16]) {
		t.Fatalf("no audit row names the operator API's key by its prefix:\n%s", auditRows)
	}

	// Where a key must not be: the full key, or the secret part after its public prefix.
	places := map[string]string{"gateway keys list": lists + listed, "the audit log": auditRows}
	for i, l := range logs {
		places[fmt.Sprintf("gateway %d's log", i+1)] = l.String()
	}
	for i, a := range answers {
		places[fmt.Sprintf("answer %d", i+1)] = a
	}
	for where, text := range places {
		for _, k := range []string{readKey, checkoutKey, apiMade} {
			if strings.Contains(text, k[16:]) {
				t.Errorf("%s holds the key %s…: %.400s", where, k[:16], text)
			}
		}
	}
}
