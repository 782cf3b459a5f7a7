package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/placetopay-gateway/gateway/internal/pgtest"
	"github.com/placetopay-gateway/gateway/internal/placetopay"
)

// postJSON posts body to url and decodes the JSON answer.
func postJSON(t *testing.T, url string, body any) (int, map[string]any) {
	t.Helper()
	raw, err := json.Marshal(body)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := testClient.Post(url, "application/json", bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var got map[string]any
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatalf("POST %s: %d %s is not JSON", url, resp.StatusCode, b)
	}
	return resp.StatusCode, got
}

func authMessage(body map[string]any) string {
	status, _ := body["status"].(map[string]any)
	msg, _ := status["message"].(string)
	return msg
}

// sessionRequest is a create-session request authenticated with login and secret.
func sessionRequest(t *testing.T, login, secret string) map[string]any {
	t.Helper()
	a := placetopay.Authenticator{Credentials: placetopay.Credentials{Login: login, SecretKey: secret}}
	auth, err := a.Auth()
	if err != nil {
		t.Fatal(err)
	}
	return map[string]any{
		"auth":      auth,
		"payment":   map[string]any{"reference": "CMD-1", "amount": map[string]any{"currency": "USD", "total": 10}},
		"returnUrl": "https://shop.example/return", "ipAddress": "127.0.0.1", "userAgent": "cmd-test",
	}
}

func TestRunSandbox(t *testing.T) {
	logs, addrs, stop := startRun(t, []string{"sandbox"}, []string{
		"SANDBOX_ADDR=127.0.0.1:0", "SANDBOX_LOGIN=cmd-login", "SANDBOX_SECRET_KEY=cmd-secret-0123456789",
	}, "sandbox")
	base := "http://" + addrs["sandbox"]

	for _, tc := range []struct {
		name string
		body any
		want string
	}{
		{"no auth", map[string]any{}, "Authentication failed 100"},
		{"unknown login", sessionRequest(t, "someone", "cmd-secret-0123456789"), "Authentication failed 101"},
		{"wrong secret", sessionRequest(t, "cmd-login", "not-it"), "Authentication failed 102"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, body := postJSON(t, base+"/api/session", tc.body)
			if code != http.StatusUnauthorized || authMessage(body) != tc.want {
				t.Errorf("POST /api/session = %d %v, want 401 %q", code, body, tc.want)
			}
		})
	}
	code, body := postJSON(t, base+"/api/session", sessionRequest(t, "cmd-login", "cmd-secret-0123456789"))
	if url, _ := body["processUrl"].(string); code != http.StatusOK || !strings.HasPrefix(url, base+"/session/") {
		t.Errorf("POST /api/session with the configured credentials = %d %v, want 200 and a processUrl on %s", code, body, base)
	}

	e, ok := findLog(t, logs.String(), "PlacetoPay sandbox")
	if !ok || e["login"] != "cmd-login" || e["signature"] != "sha256" {
		t.Errorf("sandbox log line %v, want the login and the signature", e)
	}
	if strings.Contains(logs.String(), "cmd-secret-0123456789") {
		t.Error("the log shows a configured secret")
	}
	if err := stop(); err != nil {
		t.Fatalf("run returned %v after cancellation, want nil", err)
	}
	if _, ok := findLog(t, logs.String(), "stopped"); !ok {
		t.Errorf("no stopped line; log:\n%s", logs)
	}
}

func TestRunHelpListsSandbox(t *testing.T) {
	var out syncBuffer
	if err := run(context.Background(), []string{"gateway", "help"}, nil, &out); err != nil || !strings.Contains(out.String(), "sandbox") {
		t.Errorf("help = %q, %v; want the sandbox command listed", out.String(), err)
	}
	if err := run(context.Background(), []string{"gateway", "sandbox", "now"}, nil, io.Discard); err == nil || !strings.Contains(err.Error(), "usage") {
		t.Errorf("gateway sandbox now = %v, want the usage", err)
	}
}

func TestRunSandboxGeneratesADevelopmentSecret(t *testing.T) {
	logs, addrs, _ := startRun(t, []string{"sandbox"}, []string{"SANDBOX_ADDR=127.0.0.1:0"}, "sandbox")
	e, _ := findLog(t, logs.String(), "PlacetoPay sandbox")
	secret, _ := e["devSecretKey"].(string)
	login, _ := e["login"].(string)
	if !strings.HasPrefix(secret, "sandbox_dev_") || login != "sandbox-dev-login" {
		t.Fatalf("log line %v, want the default login and a generated sandbox_dev_ secret", e)
	}
	if code, body := postJSON(t, "http://"+addrs["sandbox"]+"/api/session", sessionRequest(t, login, secret)); code != http.StatusOK {
		t.Errorf("the logged development credentials do not authenticate: %d %v", code, body)
	}
}

func TestRunSandboxInvalidConfiguration(t *testing.T) {
	both := []string{"sandbox", "serve"} // serve reads them before it touches the database
	for _, tc := range []struct {
		setting, variable string
		commands          []string
	}{
		{"SANDBOX_SIGNATURE=md5", "SANDBOX_SIGNATURE", both},
		{"SANDBOX_ADDR=nonsense", "SANDBOX_ADDR", both},
		{"SANDBOX_NOTIFY_URL=ftp://merchant.example/notify", "SANDBOX_NOTIFY_URL", both},
		{"SANDBOX_PUBLIC_URL=localhost:8090", "SANDBOX_PUBLIC_URL", both},
		{"SANDBOX_LOGIN=" + strings.Repeat("l", 33), "SANDBOX_LOGIN", both},
		{"SANDBOX_LATENCY=p50=2s,p99=1s", "SANDBOX_LATENCY", both},
		{"SANDBOX_LATENCY=600ms", "SANDBOX_LATENCY", both},
		{"GATEWAY_ENV=production", "SANDBOX_SECRET_KEY", []string{"sandbox"}}, // no generated secret to log
	} {
		for _, cmd := range tc.commands {
			t.Run(cmd+" "+tc.setting, func(t *testing.T) {
				err := run(context.Background(), []string{"gateway", cmd}, []string{tc.setting}, io.Discard)
				if err == nil || !strings.Contains(err.Error(), tc.variable) || strings.Contains(err.Error(), "\n") {
					t.Errorf("run(%s) = %v, want one line naming %s", tc.setting, err, tc.variable)
				}
			})
		}
	}
}

func TestLoadSandboxConfigDefaults(t *testing.T) {
	c, err := loadSandboxConfig(nil, "http://localhost:8080/webhooks/placetopay")
	if err != nil {
		t.Fatal(err)
	}
	got := fmt.Sprint(c.Addr, " ", c.PublicURL, " ", c.Login, " ", c.Signature, " ", c.NotifyURL, " ", c.generatedSecret)
	if want := ":8090 http://localhost:8090 sandbox-dev-login sha256 http://localhost:8080/webhooks/placetopay true"; got != want {
		t.Errorf("defaults %q, want %q", got, want)
	}
	c, err = loadSandboxConfig([]string{"SANDBOX_ADDR=127.0.0.1:9999", "SANDBOX_NOTIFY_URL=https://shop.example/ptp", "SANDBOX_SIGNATURE=sha1",
		"SANDBOX_LATENCY=p99=2s,p50=600ms"}, "http://unused")
	if err != nil {
		t.Fatal(err)
	}
	if got := c.PublicURL + " " + c.NotifyURL + " " + c.Signature + " " + c.latency.String(); got != "http://localhost:9999 https://shop.example/ptp sha1 p50=600ms,p99=2s" {
		t.Errorf("settings %q", got)
	}
}

func TestRunServeEmbedsTheSandbox(t *testing.T) {
	dbURL := pgtest.URL(t)
	logs, addrs, _ := startRun(t, []string{"serve"}, []string{
		"DATABASE_URL=" + dbURL, "GATEWAY_ADDR=127.0.0.1:0", "GATEWAY_ADMIN_ADDR=127.0.0.1:0",
		"SANDBOX_ADDR=127.0.0.1:0", "GATEWAY_PUBLIC_URL=https://gateway.example/",
	}, "public", "admin", "sandbox")
	e, ok := findLog(t, logs.String(), "development mode: no PlacetoPay credentials are set, so the embedded PlacetoPay sandbox stands in for PlacetoPay")
	if !ok {
		t.Fatalf("no line about the embedded sandbox; log:\n%s", logs)
	}
	if e["notifyUrl"] != "https://gateway.example/webhooks/placetopay" || e["login"] != "sandbox-dev-login" || e["devSecretKey"] == nil {
		t.Errorf("sandbox line %v, want the webhook URL of GATEWAY_PUBLIC_URL, the login and the development secret", e)
	}
	code, body := postJSON(t, "http://"+addrs["sandbox"]+"/api/session", map[string]any{})
	if code != http.StatusUnauthorized || authMessage(body) != "Authentication failed 100" {
		t.Errorf("embedded sandbox POST /api/session = %d %v, want 401 Authentication failed 100", code, body)
	}
}

func TestRunServeWithPlacetoPayCredentialsHasNoSandbox(t *testing.T) {
	dbURL := pgtest.URL(t)
	logs, _, _ := startRun(t, []string{"serve"}, []string{
		"DATABASE_URL=" + dbURL, "GATEWAY_ADDR=127.0.0.1:0", "GATEWAY_ADMIN_ADDR=127.0.0.1:0",
		"PLACETOPAY_BASE_URL=https://checkout-test.placetopay.com", "PLACETOPAY_LOGIN=l", "PLACETOPAY_SECRET_KEY=s",
		"SANDBOX_SIGNATURE=not-read-without-the-sandbox",
	}, "public", "admin")
	waitUntil(t, "the ready line", func() bool { _, ok := findLog(t, logs.String(), "ready"); return ok })
	for _, e := range logEntries(t, logs.String()) {
		if e["listener"] == "sandbox" || strings.Contains(fmt.Sprint(e["msg"]), "sandbox") {
			t.Errorf("a sandbox with real PlacetoPay credentials: %v", e)
		}
	}
}
