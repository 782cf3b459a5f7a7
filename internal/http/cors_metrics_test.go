package http_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	dto "github.com/prometheus/client_model/go"
	"go.uber.org/zap"

	gatewayhttp "github.com/placetopay-gateway/gateway/internal/http"
)

func TestCORS(t *testing.T) {
	e := newEnv(t)
	o := e.createOrder(t, usd("", "1.00"))
	unconfigured := newEnvWith(t, gatewayhttp.Config{APIKeys: []string{apiKey}}, zap.NewNop())
	uo := unconfigured.createOrder(t, usd("", "1.00"))

	tests := []struct {
		name   string
		env    *env
		id     string
		origin string
		allow  bool
	}{
		{"allowed origin", e, o.ID, shopOrigin, true},
		{"other origin", e, o.ID, "https://evil.example", false},
		{"allowed host over http", e, o.ID, "http://shop.example", false},
		{"allowed origin as a subdomain", e, o.ID, "https://shop.example.evil.example", false},
		{"allowed origin with a port", e, o.ID, "https://shop.example:8443", false},
		{"null origin", e, o.ID, "null", false},
		{"no origins configured", unconfigured, uo.ID, shopOrigin, false},
		{"no origins configured, any origin", unconfigured, uo.ID, "https://evil.example", false},
	}
	for _, tt := range tests {
		t.Run(tt.name+"/preflight", func(t *testing.T) {
			r := tt.env.do(t, http.MethodOptions, "/v1/orders/"+tt.id, "", http.Header{
				"Origin":                         {tt.origin},
				"Access-Control-Request-Method":  {"GET"},
				"Access-Control-Request-Headers": {"X-Client-Secret, Authorization"},
			})
			if r.status >= 300 {
				t.Errorf("preflight status = %d", r.status)
			}
			got := r.header.Get("Access-Control-Allow-Origin")
			if !tt.allow {
				if got != "" || r.header.Get("Access-Control-Allow-Headers") != "" {
					t.Errorf("preflight from %s allowed: %v", tt.origin, r.header)
				}
				return
			}
			if got != tt.origin {
				t.Errorf("Access-Control-Allow-Origin = %q, want %q", got, tt.origin)
			}
			if h := r.header.Get("Access-Control-Allow-Headers"); !strings.Contains(strings.ToLower(h), "x-client-secret") {
				t.Errorf("Access-Control-Allow-Headers = %q, want X-Client-Secret", h)
			}
			if h := r.header.Get("Access-Control-Allow-Headers"); strings.Contains(strings.ToLower(h), "authorization") {
				t.Errorf("browsers may send API keys: Access-Control-Allow-Headers = %q", h)
			}
			if m := r.header.Get("Access-Control-Allow-Methods"); m != "GET" {
				t.Errorf("Access-Control-Allow-Methods = %q, want GET", m)
			}
			if c := r.header.Get("Access-Control-Allow-Credentials"); c != "" {
				t.Errorf("Access-Control-Allow-Credentials = %q", c)
			}
		})
		t.Run(tt.name+"/GET", func(t *testing.T) {
			secret := o.ClientSecret
			if tt.env == unconfigured {
				secret = uo.ClientSecret
			}
			r := tt.env.do(t, http.MethodGet, "/v1/orders/"+tt.id, "", http.Header{"Origin": {tt.origin}, "X-Client-Secret": {secret}})
			r.wantStatus(t, http.StatusOK)
			got := r.header.Get("Access-Control-Allow-Origin")
			if tt.allow && got != tt.origin || !tt.allow && got != "" {
				t.Errorf("Access-Control-Allow-Origin = %q, allowed %v", got, tt.allow)
			}
		})
	}
}

// counter returns gateway_http_requests_total for one label set, 0 when absent.
func counter(t *testing.T, e *env, route, method, class string) float64 {
	t.Helper()
	for _, s := range requestSeries(t, e) {
		if s.labels["route"] == route && s.labels["method"] == method && s.labels["status_class"] == class {
			return s.value
		}
	}
	return 0
}

type series struct {
	labels map[string]string
	value  float64
}

func requestSeries(t *testing.T, e *env) []series {
	t.Helper()
	families, err := e.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var out []series
	for _, f := range families {
		if f.GetName() != "gateway_http_requests_total" {
			continue
		}
		if f.GetType() != dto.MetricType_COUNTER {
			t.Errorf("gateway_http_requests_total is a %v", f.GetType())
		}
		for _, m := range f.GetMetric() {
			s := series{labels: map[string]string{}, value: m.GetCounter().GetValue()}
			for _, l := range m.GetLabel() {
				s.labels[l.GetName()] = l.GetValue()
			}
			out = append(out, s)
		}
	}
	return out
}

func TestMetrics(t *testing.T) {
	e := newEnv(t)
	a := e.createOrder(t, usd("", "1.00"))
	b := e.createOrder(t, usd("", "2.00"))
	for _, id := range []string{a.ID, b.ID, a.ID} {
		e.do(t, http.MethodGet, "/v1/orders/"+id, "", auth(apiKey)).wantStatus(t, http.StatusOK)
	}
	e.do(t, http.MethodGet, "/v1/orders/"+uuid.Must(uuid.NewV7()).String(), "", auth(apiKey)).wantStatus(t, http.StatusNotFound)
	e.do(t, http.MethodGet, "/v1/orders/"+a.ID, "", nil).wantStatus(t, http.StatusUnauthorized)
	e.do(t, http.MethodPost, "/v1/orders", `{`, auth(apiKey)).wantStatus(t, http.StatusBadRequest)
	e.do(t, http.MethodPost, "/v1/orders/"+a.ID+"/cancel", "", auth(apiKey)).wantStatus(t, http.StatusOK)
	e.do(t, http.MethodGet, "/no/such/"+a.ID, "", nil).wantStatus(t, http.StatusNotFound)

	tests := []struct {
		route, method, class string
		want                 float64
	}{
		{"/v1/orders/:id", "GET", "2xx", 3},
		{"/v1/orders/:id", "GET", "4xx", 2}, // a 404 and a 401
		{"/v1/orders", "POST", "2xx", 2},
		{"/v1/orders", "POST", "4xx", 1},
		{"/v1/orders/:id/cancel", "POST", "2xx", 1},
		{"unmatched", "GET", "4xx", 1},
	}
	for _, tt := range tests {
		if got := counter(t, e, tt.route, tt.method, tt.class); got != tt.want {
			t.Errorf("gateway_http_requests_total{route=%q,method=%q,status_class=%q} = %v, want %v", tt.route, tt.method, tt.class, got, tt.want)
		}
	}
	routes := []string{"/v1/orders", "/v1/orders/:id", "/v1/orders/:id/cancel", "unmatched"}
	for _, s := range requestSeries(t, e) {
		if d := cmp.Diff([]string{"method", "route", "status_class"}, sortedKeys(s.labels)); d != "" {
			t.Errorf("labels (-want +got):\n%s", d)
		}
		if !slices.Contains(routes, s.labels["route"]) {
			t.Errorf("route label %q is not a route template", s.labels["route"])
		}
	}
	families, err := e.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, f := range families {
		if f.GetName() == "gateway_http_request_duration_seconds" {
			found = true
			for _, m := range f.GetMetric() {
				for _, l := range m.GetLabel() {
					if l.GetName() == "route" && !slices.Contains(routes, l.GetValue()) {
						t.Errorf("duration route label %q", l.GetValue())
					}
				}
			}
		}
	}
	if !found {
		t.Error("no gateway_http_request_duration_seconds")
	}
}

// Request metrics take no label from what a client may choose freely: a method outside the
// standard ones is "other", a path no route matches is "unmatched", so random or huge methods
// and paths add no series.
func TestMetricLabelsStayBoundedWhateverTheRequestSays(t *testing.T) {
	e := newEnv(t)
	o := e.createOrder(t, usd("", "1.00"))
	for i := range 200 {
		method := fmt.Sprintf("M%dX", i)
		if i == 0 {
			method = strings.Repeat("A", 8000)
		}
		for _, path := range []string{"/v1/orders/" + o.ID, fmt.Sprintf("/random/%d", i)} {
			e.do(t, method, path, "", auth(apiKey))
		}
	}
	e.do(t, http.MethodGet, "/v1/orders/"+o.ID, "", auth(apiKey)).wantStatus(t, http.StatusOK)

	standard := []string{"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "CONNECT", "TRACE", "other"}
	routes := []string{"/v1/orders", "/v1/orders/:id", "unmatched"}
	all := requestSeries(t, e)
	for _, s := range all {
		if !slices.Contains(standard, s.labels["method"]) {
			t.Errorf("method label %.40q is not a standard method or \"other\"", s.labels["method"])
		}
		if !slices.Contains(routes, s.labels["route"]) {
			t.Errorf("route label %.40q is not a route template or \"unmatched\"", s.labels["route"])
		}
		if c := s.labels["status_class"]; !slices.Contains([]string{"1xx", "2xx", "3xx", "4xx", "5xx", "other"}, c) {
			t.Errorf("status_class label %q", c)
		}
	}
	if len(all) > 10 {
		t.Errorf("%d series of gateway_http_requests_total after 400 requests with random methods, want a handful", len(all))
	}
	if got := counter(t, e, "/v1/orders/:id", "other", "4xx"); got != 200 {
		t.Errorf("gateway_http_requests_total{route=/v1/orders/:id,method=other,status_class=4xx} = %v, want 200", got)
	}
	if got := counter(t, e, "/v1/orders/:id", "GET", "2xx"); got != 1 {
		t.Errorf("gateway_http_requests_total{route=/v1/orders/:id,method=GET,status_class=2xx} = %v, want 1", got)
	}
}

func sortedKeys(m map[string]string) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func TestAdminHandler(t *testing.T) {
	e := newEnv(t)
	e.createOrder(t, usd("", "1.00"))
	var readyErr atomic.Pointer[error]
	ready := func(context.Context) error {
		if p := readyErr.Load(); p != nil {
			return *p
		}
		return nil
	}
	admin := &env{ts: httptest.NewServer(gatewayhttp.NewAdminHandler(ready, promhttp.HandlerFor(e.reg, promhttp.HandlerOpts{})))}
	t.Cleanup(admin.ts.Close)

	tests := []struct {
		name, path string
		down       error
		status     int
		want       map[string]string
	}{
		{"healthz", "/healthz", nil, http.StatusOK, map[string]string{"status": "ok"}},
		{"healthz while not ready", "/healthz", errors.New("database unreachable"), http.StatusOK, map[string]string{"status": "ok"}},
		{"ready", "/readyz", nil, http.StatusOK, map[string]string{"status": "ready"}},
		{"not ready", "/readyz", errors.New("database unreachable"), http.StatusServiceUnavailable,
			map[string]string{"status": "unavailable", "reason": "database unreachable"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			readyErr.Store(&tt.down)
			r := admin.do(t, http.MethodGet, tt.path, "", nil)
			r.wantStatus(t, tt.status)
			var got map[string]string
			r.decode(t, &got)
			if d := cmp.Diff(tt.want, got); d != "" {
				t.Errorf("body (-want +got):\n%s", d)
			}
		})
	}
	t.Run("no profiles unless asked for", func(t *testing.T) {
		admin.do(t, http.MethodGet, "/debug/pprof/", "", nil).wantStatus(t, http.StatusNotFound)
	})
	t.Run("profiles with WithProfiling, admin routes unchanged", func(t *testing.T) {
		readyErr.Store(new(error))
		prof := &env{ts: httptest.NewServer(gatewayhttp.WithProfiling(gatewayhttp.NewAdminHandler(ready, promhttp.HandlerFor(e.reg, promhttp.HandlerOpts{}))))}
		t.Cleanup(prof.ts.Close)
		r := prof.do(t, http.MethodGet, "/debug/pprof/heap?debug=1", "", nil)
		r.wantStatus(t, http.StatusOK)
		if !strings.Contains(string(r.body), "heap profile") {
			t.Errorf("/debug/pprof/heap?debug=1 = %.200s, want a heap profile", r.body)
		}
		prof.do(t, http.MethodGet, "/readyz", "", nil).wantStatus(t, http.StatusOK)
		prof.do(t, http.MethodGet, "/metrics", "", nil).wantStatus(t, http.StatusOK)
	})
	t.Run("metrics", func(t *testing.T) {
		r := admin.do(t, http.MethodGet, "/metrics", "", nil)
		r.wantStatus(t, http.StatusOK)
		if want := `gateway_http_requests_total{method="POST",route="/v1/orders",status_class="2xx"} 1`; !strings.Contains(string(r.body), want) {
			t.Errorf("/metrics lacks %s:\n%s", want, r.body)
		}
	})
}
