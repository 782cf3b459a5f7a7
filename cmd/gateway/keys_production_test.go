package main

import (
	"context"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/placetopay-gateway/gateway/internal/pgtest"
)

// prodRunEnv is a production gateway on dbURL with no GATEWAY_API_KEYS, whose PlacetoPay
// is an address nothing answers on (starting calls no PlacetoPay).
func prodRunEnv(dbURL string) []string {
	return append(without(prodEnv(), "GATEWAY_API_KEYS"), "DATABASE_URL="+dbURL, "USER=ops",
		"PLACETOPAY_BASE_URL=https://127.0.0.1:9", "GATEWAY_ADDR=127.0.0.1:0", "GATEWAY_ADMIN_ADDR=127.0.0.1:0")
}

// TestProductionWithoutConfiguredKeysNeedsAStoredOne: GATEWAY_API_KEYS empty is a valid
// production configuration (no key is made up, as development does); run refuses to start
// while the database holds no active live key, naming the command that makes one, whether
// it holds none, only revoked ones or only test keys; with one, it starts, says so, and the
// key works on /v1.
func TestProductionWithoutConfiguredKeysNeedsAStoredOne(t *testing.T) {
	cfg, err := loadConfig(without(prodEnv(), "GATEWAY_API_KEYS"))
	if err != nil || len(cfg.APIKeys) != 0 || cfg.generatedKey != "" {
		t.Fatalf("loadConfig without GATEWAY_API_KEYS in production: %q, generated %q, %v", cfg.APIKeys, cfg.generatedKey, err)
	}
	dbURL := pgtest.URL(t)
	environ := prodRunEnv(dbURL)
	refused := func(when string) {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		err := run(ctx, []string{"gateway"}, environ, io.Discard)
		if err == nil || !strings.Contains(err.Error(), "gateway keys create") || !strings.Contains(err.Error(), "GATEWAY_API_KEYS") {
			t.Fatalf("%s: run = %v, want a refusal naming GATEWAY_API_KEYS and gateway keys create", when, err)
		}
	}
	refused("no stored key")

	// A test key is no key for production; a revoked live key neither.
	if out, err := keysCmd(t, dbURL, "create", "--name", "laptop", "--scope", "full"); err != nil || !strings.Contains(out, "sk_test_") {
		t.Fatalf("development keys create: %q, %v", out, err)
	}
	refused("only a test key stored")
	prodKeys := func(args ...string) string {
		t.Helper()
		var out strings.Builder
		if err := run(context.Background(), append([]string{"gateway", "keys"}, args...), environ, &out); err != nil {
			t.Fatalf("keys %s: %v", args[0], err)
		}
		return out.String()
	}
	live := regexp.MustCompile(`api key: (sk_live_[0-9A-Za-z]{49})\n`)
	old := live.FindStringSubmatch(prodKeys("create", "--name", "old shop", "--scope", "full"))
	if old == nil {
		t.Fatal("production keys create printed no live key")
	}
	prodKeys("revoke", "--id", old[1][:16], "--reason", "replaced")
	refused("only a revoked live key stored")

	m := live.FindStringSubmatch(prodKeys("create", "--name", "shop", "--scope", "read"))
	if m == nil {
		t.Fatal("production keys create printed no live key")
	}
	logs, addrs, stop := startRun(t, nil, environ, "public", "admin")
	waitReady(t, addrs["admin"], time.Now().Add(60*time.Second))
	entry, ok := findLog(t, logs.String(), "GATEWAY_API_KEYS is empty: /v1 takes the API keys stored in the database (gateway keys)")
	if !ok || entry["activeKeys"] != float64(1) {
		t.Errorf("no start line counting one stored key (%v); log:\n%s", entry, logs)
	}
	req, _ := http.NewRequest(http.MethodGet, "http://"+addrs["public"]+"/v1/orders", nil)
	req.Header.Set("Authorization", "Bearer "+m[1])
	resp, err := testClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("GET /v1/orders with the stored key: %d", resp.StatusCode)
	}
	if err := stop(); err != nil {
		t.Errorf("stop: %v", err)
	}
	if strings.Contains(logs.String(), m[1][16:]) {
		t.Error("the gateway logged the key")
	}
}
