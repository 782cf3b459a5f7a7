package http_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"

	gatewayhttp "github.com/placetopay-gateway/gateway/internal/http"
	"github.com/placetopay-gateway/gateway/internal/http/contract"
	"github.com/placetopay-gateway/gateway/internal/idempotency"
	"github.com/placetopay-gateway/gateway/internal/orders"
	"github.com/placetopay-gateway/gateway/internal/pgtest"
	"github.com/placetopay-gateway/gateway/internal/tokens"
)

const (
	apiKey      = "test-key-0123456789abcdef"
	otherAPIKey = "test-key-fedcba9876543210"
	shopOrigin  = "https://shop.example"
)

// env is one gateway on a fresh database, served over real HTTP on loopback.
type env struct {
	pool *pgxpool.Pool
	reg  *prometheus.Registry
	idem *idempotency.Store
	srv  *gatewayhttp.Server
	ts   *httptest.Server
}

// newEnv starts a server that accepts apiKey and otherAPIKey and allows shopOrigin.
func newEnv(t *testing.T) *env {
	t.Helper()
	return newEnvWith(t, gatewayhttp.Config{APIKeys: []string{apiKey, otherAPIKey}, CORSOrigins: []string{shopOrigin}}, zap.NewNop())
}

func newEnvWith(t *testing.T, cfg gatewayhttp.Config, log *zap.Logger) *env {
	t.Helper()
	return newEnvOn(t, pgtest.Pool(t), cfg, log)
}

// newEnvOn is newEnvWith on pool, for tests that wire more of the domain on the same database.
func newEnvOn(t *testing.T, pool *pgxpool.Pool, cfg gatewayhttp.Config, log *zap.Logger) *env {
	t.Helper()
	svc := orders.NewService(orders.NewStore(pool, zap.NewNop()), zap.NewNop())
	e := &env{pool: pool, reg: prometheus.NewRegistry(), idem: idempotency.NewStore(pool, time.Minute, tokens.Generate())}
	e.srv = gatewayhttp.NewServer(cfg, svc, e.idem, log, e.reg)
	e.ts = httptest.NewServer(e.srv.Handler())
	t.Cleanup(e.ts.Close)
	// Every answer a handler test reads is checked against the OpenAPI document (TestMain).
	client := e.ts.Client()
	client.Transport = contract.Transport{Next: client.Transport}
	return e
}

// response is a whole HTTP response, body read.
type response struct {
	status int
	header http.Header
	body   []byte
}

// do sends one request; a non-empty body is sent with its Content-Length.
func (e *env) do(t *testing.T, method, path, body string, header http.Header) response {
	t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(context.Background(), method, e.ts.URL+path, r)
	if err != nil {
		t.Fatal(err)
	}
	return e.send(t, req, header)
}

func (e *env) send(t *testing.T, req *http.Request, header http.Header) response {
	t.Helper()
	for k, vs := range header {
		req.Header[k] = vs
	}
	res, err := e.ts.Client().Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL.Path, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatalf("%s %s: read body: %v", req.Method, req.URL.Path, err)
	}
	return response{status: res.StatusCode, header: res.Header, body: b}
}

// auth returns the headers of a JSON request made with key; extra holds name, value pairs.
func auth(key string, extra ...string) http.Header {
	h := http.Header{}
	if key != "" {
		h.Set("Authorization", "Bearer "+key)
	}
	h.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(extra); i += 2 {
		h.Set(extra[i], extra[i+1])
	}
	return h
}

func (r response) decode(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("decode %s: %v", r.body, err)
	}
}

// problem is the RFC 9457 body the gateway answers errors with.
type problem struct {
	Type   string `json:"type"`
	Title  string `json:"title"`
	Status int    `json:"status"`
	Detail string `json:"detail"`
	Code   string `json:"code"`
	Field  string `json:"field"`
}

// wantProblem checks that r is a problem+json response with status, code and field.
func (r response) wantProblem(t *testing.T, status int, code, field string) problem {
	t.Helper()
	if r.status != status {
		t.Fatalf("status = %d, want %d; body %s", r.status, status, r.body)
	}
	if ct := r.header.Get("Content-Type"); ct != "application/problem+json" {
		t.Errorf("Content-Type = %q, want application/problem+json", ct)
	}
	var p problem
	r.decode(t, &p)
	want := problem{Type: "about:blank", Title: http.StatusText(status), Status: status, Detail: p.Detail, Code: code, Field: field}
	if d := cmp.Diff(want, p); d != "" {
		t.Errorf("problem (-want +got):\n%s", d)
	}
	if p.Detail == "" {
		t.Errorf("problem has no detail: %s", r.body)
	}
	if status == http.StatusUnauthorized {
		if got := r.header.Get("WWW-Authenticate"); got != `Bearer realm="gateway"` {
			t.Errorf("WWW-Authenticate = %q", got)
		}
	}
	return p
}

func (r response) wantStatus(t *testing.T, status int) {
	t.Helper()
	if r.status != status {
		t.Fatalf("status = %d, want %d; body %s", r.status, status, r.body)
	}
}

type money struct {
	Currency string `json:"currency"`
	Total    string `json:"total"`
}

// order is an Order as the merchant API shows it.
type order struct {
	ID             string            `json:"id"`
	Reference      string            `json:"reference"`
	Description    string            `json:"description"`
	Status         string            `json:"status"`
	Amount         money             `json:"amount"`
	PaidAmount     money             `json:"paidAmount"`
	RefundedAmount money             `json:"refundedAmount"`
	Buyer          map[string]any    `json:"buyer"`
	Items          []map[string]any  `json:"items"`
	ReturnURL      string            `json:"returnUrl"`
	ClientSecret   string            `json:"clientSecret"`
	Sessions       []json.RawMessage `json:"sessions"`
	Payments       []json.RawMessage `json:"payments"`
	CreatedAt      time.Time         `json:"createdAt"`
	UpdatedAt      time.Time         `json:"updatedAt"`
}

// createOrder creates an order from body with apiKey and returns it.
func (e *env) createOrder(t *testing.T, body string) order {
	t.Helper()
	r := e.do(t, http.MethodPost, "/v1/orders", body, auth(apiKey))
	r.wantStatus(t, http.StatusCreated)
	var o order
	r.decode(t, &o)
	return o
}

// usd returns a create body for total USD with reference ref (none when empty).
func usd(ref, total string) string {
	if ref == "" {
		return fmt.Sprintf(`{"description":"test","amount":{"currency":"USD","total":%q}}`, total)
	}
	return fmt.Sprintf(`{"reference":%q,"description":"test","amount":{"currency":"USD","total":%q}}`, ref, total)
}

func (e *env) count(t *testing.T, query string, args ...any) int {
	t.Helper()
	var n int
	if err := e.pool.QueryRow(context.Background(), query, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}

func (e *env) orderCount(t *testing.T) int {
	t.Helper()
	return e.count(t, "SELECT count(*) FROM orders")
}
