package http_test

import (
	"net"
	"net/http"
	"testing"

	dto "github.com/prometheus/client_model/go"

	gatewayhttp "github.com/placetopay-gateway/gateway/internal/http"
)

// rateLimited returns gateway_http_rate_limited_total{route}.
func rateLimited(t *testing.T, e *env, route string) float64 {
	t.Helper()
	families, err := e.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() != "gateway_http_rate_limited_total" {
			continue
		}
		if f.GetType() != dto.MetricType_COUNTER {
			t.Errorf("gateway_http_rate_limited_total is a %v", f.GetType())
		}
		for _, m := range f.GetMetric() {
			if len(m.GetLabel()) == 1 && m.GetLabel()[0].GetValue() == route {
				return m.GetCounter().GetValue()
			}
		}
	}
	return 0
}

// The routes that need no API key answer one client address at most GATEWAY_RATE_LIMIT
// requests a minute, then 429 with Retry-After; the client is the TCP peer, whatever
// X-Forwarded-For says. API-key calls and PlacetoPay's notifications are not limited.
func TestUnauthenticatedRoutesAreLimitedPerClientAddress(t *testing.T) {
	// 6 a minute: a burst of one, and one more every 10 seconds.
	e := newMoneyEnv(t, gatewayhttp.Config{RateLimit: gatewayhttp.RateLimit{PerMinute: 6}})
	o := e.createOrder(t, usd("", "1.00"))
	secret := http.Header{"X-Client-Secret": {o.ClientSecret}}

	e.do(t, http.MethodGet, "/return/"+o.ID, "", nil).wantStatus(t, http.StatusOK)
	limited := []struct {
		route, path string
		header      http.Header
	}{
		{"/return/:id", "/return/" + o.ID, nil},
		{"/v1/orders/:id", "/v1/orders/" + o.ID, secret},
		{"/v1/orders/:id", "/v1/orders/" + o.ID + "?refresh=true", secret},
		{"/demo", "/demo", nil},
		{"/demo/orders/:ref", "/demo/orders/DEMO-X", nil},
		{"/return/:id", "/return/" + o.ID, http.Header{"X-Forwarded-For": {"203.0.113.9"}}},
	}
	for _, l := range limited {
		r := e.do(t, http.MethodGet, l.path, "", l.header)
		r.wantProblem(t, http.StatusTooManyRequests, "rate_limited", "")
		if got := r.header.Get("Retry-After"); got != "10" {
			t.Errorf("%s: Retry-After = %q, want 10", l.path, got)
		}
	}
	if n := rateLimited(t, e.env, "/return/:id"); n != 2 {
		t.Errorf("gateway_http_rate_limited_total{route=/return/:id} = %v, want 2", n)
	}
	if n := rateLimited(t, e.env, "/v1/orders/:id"); n != 2 {
		t.Errorf("gateway_http_rate_limited_total{route=/v1/orders/:id} = %v, want 2", n)
	}

	// The merchant's own calls and PlacetoPay's notifications go on.
	for range 20 {
		e.do(t, http.MethodGet, "/v1/orders/"+o.ID+"?refresh=true", "", auth(apiKey)).wantStatus(t, http.StatusOK)
		e.do(t, http.MethodPost, "/webhooks/placetopay", `{"requestId":1}`, auth("")).wantStatus(t, http.StatusBadRequest)
	}
}

// Behind a trusted proxy the client is the nearest untrusted address of X-Forwarded-For; an
// IPv6 client is its /64, since one host may hold a whole /64.
func TestRateLimitBehindATrustedProxy(t *testing.T) {
	_, loopback, _ := net.ParseCIDR("127.0.0.0/8")
	e := newMoneyEnv(t, gatewayhttp.Config{RateLimit: gatewayhttp.RateLimit{PerMinute: 6, TrustedProxies: []*net.IPNet{loopback}}})
	o := e.createOrder(t, usd("", "1.00"))
	get := func(xff string) int {
		return e.do(t, http.MethodGet, "/return/"+o.ID, "", http.Header{"X-Forwarded-For": {xff}}).status
	}
	steps := []struct {
		xff  string
		want int
	}{
		{"203.0.113.7", http.StatusOK},
		{"203.0.113.7", http.StatusTooManyRequests},
		{"198.51.100.1, 203.0.113.7", http.StatusTooManyRequests}, // what the client claims is not believed
		{"203.0.113.8", http.StatusOK},
		{"2001:db8::1", http.StatusOK},
		{"2001:db8::2", http.StatusTooManyRequests},
		{"2001:db8:0:1::1", http.StatusOK},
	}
	for _, s := range steps {
		if got := get(s.xff); got != s.want {
			t.Errorf("X-Forwarded-For %s: %d, want %d", s.xff, got, s.want)
		}
	}
}
