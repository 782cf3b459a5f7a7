package http_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	gatewayhttp "github.com/placetopay-gateway/gateway/internal/http"
)

const apiPolicy = "default-src 'none'; frame-ancestors 'none'"

// wantAPIHeaders checks the headers every answer that is not a page carries.
func wantAPIHeaders(t *testing.T, r response) {
	t.Helper()
	want := map[string]string{
		"X-Content-Type-Options":  "nosniff",
		"Referrer-Policy":         "no-referrer",
		"Content-Security-Policy": apiPolicy,
	}
	for name, v := range want {
		if got := r.header.Get(name); got != v {
			t.Errorf("%s = %q, want %q", name, got, v)
		}
	}
}

var (
	inlineTag   = regexp.MustCompile(`<(script|style)\b([^>]*)>`)
	styleAttr   = regexp.MustCompile(`\sstyle=`)
	policyNonce = regexp.MustCompile(`'nonce-([A-Za-z0-9+/=_-]+)'`)
)

// wantPageHeaders checks a page's headers, and that its policy lets in exactly its own inline
// styles and scripts (by nonce), nothing else: no inline style attribute, no 'unsafe-inline'.
func wantPageHeaders(t *testing.T, r response) string {
	t.Helper()
	if got := r.header.Get("X-Content-Type-Options"); got != "nosniff" {
		t.Errorf("X-Content-Type-Options = %q", got)
	}
	if got := r.header.Get("Referrer-Policy"); got != "strict-origin-when-cross-origin" {
		t.Errorf("Referrer-Policy = %q", got)
	}
	csp := r.header.Get("Content-Security-Policy")
	for _, want := range []string{"default-src 'none'", "frame-ancestors 'none'", "base-uri 'none'"} {
		if !strings.Contains(csp, want) {
			t.Errorf("Content-Security-Policy %q lacks %s", csp, want)
		}
	}
	if strings.Contains(csp, "unsafe-") {
		t.Errorf("Content-Security-Policy %q allows unsafe sources", csp)
	}
	m := policyNonce.FindStringSubmatch(csp)
	tags := inlineTag.FindAllStringSubmatch(string(r.body), -1)
	if len(tags) > 0 && m == nil {
		t.Fatalf("the page has inline %v but the policy %q has no nonce", tags, csp)
	}
	for _, tag := range tags {
		if !strings.Contains(tag[2], `nonce="`+m[1]+`"`) {
			t.Errorf("<%s%s> does not carry the policy's nonce", tag[1], tag[2])
		}
	}
	if styleAttr.MatchString(string(r.body)) {
		t.Error("the page has a style attribute, which a nonce cannot allow")
	}
	if m == nil {
		return ""
	}
	return m[1]
}

// Every answer tells browsers not to sniff it, not to frame it and what to send as referrer;
// JSON answers allow nothing to load; pages allow only their own inline styles and scripts.
func TestBrowserSecurityHeaders(t *testing.T) {
	e := newMoneyEnv(t, gatewayhttp.Config{})
	o := e.createOrder(t, usd("", "1.00"))

	t.Run("JSON answers", func(t *testing.T) {
		for _, r := range []response{
			e.do(t, http.MethodGet, "/v1/orders", "", auth(apiKey)),
			e.do(t, http.MethodGet, "/v1/orders/"+o.ID, "", nil),
			e.do(t, http.MethodGet, "/v1/orders/"+o.ID, "", http.Header{"X-Client-Secret": {o.ClientSecret}}),
			e.do(t, http.MethodPost, "/v1/orders", `{`, auth(apiKey)),
			e.do(t, http.MethodGet, "/no/such/route", "", nil),
			e.do(t, http.MethodGet, "/openapi.yaml", "", nil),
		} {
			wantAPIHeaders(t, r)
			if hsts := r.header.Get("Strict-Transport-Security"); hsts != "" {
				t.Errorf("Strict-Transport-Security %q outside production", hsts)
			}
		}
	})
	t.Run("pages", func(t *testing.T) {
		pages := map[string]string{
			"return": "/return/" + o.ID,
			"shop":   "/demo",
			"order":  "/demo/orders/DEMO-REF",
		}
		for name, path := range pages {
			t.Run(name, func(t *testing.T) {
				first := e.do(t, http.MethodGet, path, "", nil)
				first.wantStatus(t, http.StatusOK)
				again := e.do(t, http.MethodGet, path, "", nil)
				if n := wantPageHeaders(t, first); n != "" && n == wantPageHeaders(t, again) {
					t.Errorf("two loads of %s share the nonce %q", path, n)
				}
			})
		}
		order := e.do(t, http.MethodGet, pages["order"], "", nil)
		if csp := order.header.Get("Content-Security-Policy"); !strings.Contains(csp, "connect-src 'self'") {
			t.Errorf("the order page polls the gateway, but its policy is %q", csp)
		}
	})
	t.Run("admin listener", func(t *testing.T) {
		admin := &env{ts: httptest.NewServer(gatewayhttp.NewAdminHandler(func(ctx context.Context) error { return nil },
			promhttp.HandlerFor(e.reg, promhttp.HandlerOpts{})))}
		t.Cleanup(admin.ts.Close)
		for _, path := range []string{"/healthz", "/readyz", "/metrics"} {
			wantAPIHeaders(t, admin.do(t, http.MethodGet, path, "", nil))
		}
	})
}

// Production answers, pages and errors alike, keep browsers on https.
func TestProductionAnswersCarryStrictTransportSecurity(t *testing.T) {
	e := newMoneyEnv(t, gatewayhttp.Config{Production: true})
	o := e.createOrder(t, usd("", "1.00"))
	for _, r := range []response{
		e.do(t, http.MethodGet, "/v1/orders/"+o.ID, "", auth(apiKey)),
		e.do(t, http.MethodGet, "/v1/orders/"+o.ID, "", nil),
		e.do(t, http.MethodGet, "/return/"+o.ID, "", nil),
		e.do(t, http.MethodGet, "/no/such/route", "", nil),
	} {
		if got := r.header.Get("Strict-Transport-Security"); got != "max-age=31536000" {
			t.Errorf("Strict-Transport-Security = %q, want max-age=31536000", got)
		}
	}
}
