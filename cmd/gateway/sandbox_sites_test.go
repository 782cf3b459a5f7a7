package main

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/placetopay-gateway/gateway/internal/placetopay"
	"github.com/placetopay-gateway/gateway/internal/placetopay/sandbox"
)

// TestRunSandboxActsAsSeveralSites: `gateway sandbox` with SANDBOX_SITES takes each site's
// login with its own secret, refuses a site's login with another secret as PlacetoPay does
// (401, Authentication failed 102), sends a site's notifications to its URL signed with its
// secret, and never logs a secret.
func TestRunSandboxActsAsSeveralSites(t *testing.T) {
	notified := make(chan []byte, 4)
	shop := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		notified <- b
	}))
	defer shop.Close()
	const usSecret, euSecret = "us-secret-0123456789", "eu-secret-9876543210"
	logs, addrs, stop := startRun(t, []string{"sandbox"}, []string{
		"SANDBOX_ADDR=127.0.0.1:0", "SANDBOX_LOGIN=main-login", "SANDBOX_SECRET_KEY=main-secret-0123456789",
		"SANDBOX_SITES=us-login:" + usSecret + ":" + shop.URL + "/webhooks/placetopay/us, eu-login:" + euSecret,
	}, "sandbox")
	base := "http://" + addrs["sandbox"]

	requestIDs := map[string]int64{}
	for _, site := range []struct{ login, secret string }{{"main-login", "main-secret-0123456789"}, {"us-login", usSecret}, {"eu-login", euSecret}} {
		code, body := postJSON(t, base+"/api/session", sessionRequest(t, site.login, site.secret))
		id, _ := body["requestId"].(float64)
		if code != http.StatusOK || id == 0 {
			t.Fatalf("POST /api/session as %s = %d %v, want 200 and a requestId", site.login, code, body)
		}
		requestIDs[site.login] = int64(id)
	}
	for _, tc := range []struct{ name, login, secret string }{
		{"a site's login with another site's secret", "us-login", euSecret},
		{"a site's login with the default secret", "eu-login", "main-secret-0123456789"},
		{"a site's login with a wrong secret", "us-login", "not-it"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, body := postJSON(t, base+"/api/session", sessionRequest(t, tc.login, tc.secret))
			if code != http.StatusUnauthorized || authMessage(body) != "Authentication failed 102" {
				t.Errorf("POST /api/session = %d %v, want 401 Authentication failed 102", code, body)
			}
		})
	}

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	control := sandbox.Control{BaseURL: base, HTTP: testClient}
	if _, err := control.Pay(ctx, requestIDs["us-login"], "4110760000000081"); err != nil {
		t.Fatal(err)
	}
	select {
	case b := <-notified:
		n, _, err := placetopay.VerifyNotification(b, usSecret)
		if err != nil || int64(n.RequestID) != requestIDs["us-login"] {
			t.Errorf("notification %s: %v, want one for request %d signed with the us site's secret", b, err, requestIDs["us-login"])
		}
	case <-ctx.Done():
		t.Fatal("the us site's notification never came to its URL")
	}

	e, ok := findLog(t, logs.String(), "PlacetoPay sandbox")
	logins, _ := e["siteLogins"].([]any)
	if !ok || len(logins) != 2 || logins[0] != "us-login" || logins[1] != "eu-login" {
		t.Errorf("sandbox log line %v, want siteLogins [us-login eu-login]", e)
	}
	for _, secret := range []string{usSecret, euSecret, "main-secret-0123456789"} {
		if strings.Contains(logs.String(), secret) {
			t.Errorf("the log shows a configured secret (%s…)", secret[:3])
		}
	}
	if err := stop(); err != nil {
		t.Fatalf("run returned %v after cancellation, want nil", err)
	}
}

// TestSandboxSitesAreReadStrictly: a malformed SANDBOX_SITES stops `gateway sandbox` with one
// line naming the variable and never the secret; `gateway serve` refuses it, its embedded
// sandbox taking GATEWAY_SITES_FILE's sites.
func TestSandboxSitesAreReadStrictly(t *testing.T) {
	for _, tc := range []struct{ name, value, want string }{
		{"no secret", "us-login", "site 1 is not login:secretKey"},
		{"empty secret", "us-login:", "site 1 (login \"us-login\"): the secret key"},
		{"empty site", "us-login:SeCrEt-1,,eu-login:SeCrEt-2", "site 2 is not login:secretKey"},
		{"trailing comma", "us-login:SeCrEt-1,", "site 2 is not login:secretKey"},
		{"empty login", ":SeCrEt-1", "site 1: the login"},
		{"long login", strings.Repeat("l", 33) + ":SeCrEt-1", "site 1: the login"},
		{"login with a space", "us login:SeCrEt-1", "site 1: the login"},
		{"the default login", "main-login:SeCrEt-1", "SANDBOX_LOGIN's already"},
		{"a login twice", "us-login:SeCrEt-1,us-login:SeCrEt-2", "site 2: login \"us-login\" is given twice"},
		{"secret with a space", "us-login:SeCrEt 1", "the secret key must not be empty nor hold spaces"},
		{"not an http URL", "us-login:SeCrEt-1:ftp://shop.example/notify", "the notification URL must be an absolute http or https URL"},
		{"a secret with a colon", "us-login:SeCrEt:1", "the notification URL must be an absolute http or https URL"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := run(context.Background(), []string{"gateway", "sandbox"}, []string{
				"SANDBOX_ADDR=127.0.0.1:0", "SANDBOX_LOGIN=main-login", "SANDBOX_SITES=" + tc.value}, io.Discard)
			if err == nil || !strings.Contains(err.Error(), "SANDBOX_SITES") || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "\n") {
				t.Fatalf("gateway sandbox with SANDBOX_SITES=%s: %v, want one line naming SANDBOX_SITES and saying %q", tc.value, err, tc.want)
			}
			if strings.Contains(err.Error(), "SeCrEt") {
				t.Errorf("the error shows a secret: %v", err)
			}
		})
	}
	err := run(context.Background(), []string{"gateway", "serve"}, []string{"SANDBOX_SITES=us-login:SeCrEt-1"}, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "SANDBOX_SITES") || !strings.Contains(err.Error(), "GATEWAY_SITES_FILE") {
		t.Errorf("gateway serve with SANDBOX_SITES: %v, want a refusal pointing at GATEWAY_SITES_FILE", err)
	}
}

// TestSandboxHelpExplainsSites: `gateway sandbox -h` lists SANDBOX_SITES, `gateway serve -h`
// does not (it refuses it).
func TestSandboxHelpExplainsSites(t *testing.T) {
	var sb, serve strings.Builder
	if err := run(context.Background(), []string{"gateway", "sandbox", "-h"}, nil, &sb); err != nil || !strings.Contains(sb.String(), "SANDBOX_SITES") {
		t.Errorf("gateway sandbox -h = %q, %v; want SANDBOX_SITES explained", sb.String(), err)
	}
	if err := run(context.Background(), []string{"gateway", "serve", "-h"}, nil, &serve); err != nil || strings.Contains(serve.String(), "SANDBOX_SITES") {
		t.Errorf("gateway serve -h lists SANDBOX_SITES, which serve refuses: %v", err)
	}
}
