package http_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/pb33f/libopenapi"
	validator "github.com/pb33f/libopenapi-validator"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.uber.org/zap"

	"github.com/placetopay-gateway/gateway/internal/endpoints"
	gatewayhttp "github.com/placetopay-gateway/gateway/internal/http"
	"github.com/placetopay-gateway/gateway/internal/operators"
	"github.com/placetopay-gateway/gateway/internal/orders"
	"github.com/placetopay-gateway/gateway/internal/pgtest"
	"github.com/placetopay-gateway/gateway/internal/tokens"
)

// adminContract validates every answer of the operator API against admin-openapi.yaml.
type adminContract struct {
	t    *testing.T
	next http.RoundTripper
}

var (
	adminValidatorOnce sync.Once
	adminValidator     validator.Validator
	adminValidatorErr  error
	adminValidatorMu   sync.Mutex
)

func (a adminContract) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := a.next.RoundTrip(req)
	if err != nil || !strings.HasPrefix(req.URL.Path, "/admin/api/") {
		return resp, err
	}
	adminValidatorOnce.Do(func() {
		doc, err := libopenapi.NewDocument(gatewayhttp.AdminOpenAPIDocument)
		if err != nil {
			adminValidatorErr = err
			return
		}
		v, errs := validator.NewValidator(doc)
		if len(errs) > 0 {
			adminValidatorErr = errs[0]
			return
		}
		adminValidator = v
	})
	if adminValidatorErr != nil {
		return resp, fmt.Errorf("admin-openapi.yaml does not load: %w", adminValidatorErr)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body = io.NopCloser(bytes.NewReader(body))
	vreq := req.Clone(context.Background())
	vreq.Body = http.NoBody
	vresp := *resp
	vresp.Body = io.NopCloser(bytes.NewReader(body))
	adminValidatorMu.Lock()
	ok, errs := adminValidator.ValidateHttpResponse(vreq, &vresp)
	adminValidatorMu.Unlock()
	if !ok {
		for _, e := range errs {
			line := req.Method + " " + req.URL.Path + " " + resp.Status + ": " + e.Message + ": " + e.Reason
			for _, f := range e.SchemaValidationErrors {
				line += "; " + f.FieldPath + " " + f.Reason
			}
			a.t.Errorf("admin contract: %s (body %.300s)", line, body)
		}
	}
	return resp, nil
}

// consoleEnv is a moneyEnv with the admin listener and its operator API beside it.
type consoleEnv struct {
	*moneyEnv
	ops   *operators.Service
	admin *httptest.Server
	reg   *prometheus.Registry
}

func newConsoleEnv(t *testing.T) *consoleEnv {
	t.Helper()
	return newConsoleEnvOn(t, pgtest.Pool(t), gatewayhttp.Config{})
}

// newConsoleEnvOn is newConsoleEnv on pool with cfg; cfg.Keys (the stored API keys), when
// set, serves both listeners.
func newConsoleEnvOn(t *testing.T, pool *pgxpool.Pool, cfg gatewayhttp.Config) *consoleEnv {
	t.Helper()
	keys := cfg.Keys
	m := newMoneyEnvOn(t, pool, &fakeProvider{}, cfg)
	reg := prometheus.NewRegistry()
	ops := operators.NewService(m.pool, tokens.Generate(), false, nil)
	h := gatewayhttp.NewAdmin(gatewayhttp.AdminConfig{
		Ready: func(context.Context) error { return nil }, Metrics: promhttp.HandlerFor(reg, promhttp.HandlerOpts{}),
		Console: &gatewayhttp.Console{Operators: ops, Keys: keys, Orders: orders.NewService(orders.NewStore(m.pool, zap.NewNop()), zap.NewNop()),
			Money: m.money, Idempotency: m.idem, Log: zap.NewNop(), Registerer: reg,
			// As serve wires it: internal addresses are refused in production only.
			Endpoints: endpoints.NewService(m.pool, endpoints.Config{Keys: tokens.Generate(), EventTypes: orders.EventTypes(), DefaultURL: "https://shop.test/hooks?token=t",
				AllowPrivate: !cfg.Production})},
	})
	ts := httptest.NewServer(h)
	t.Cleanup(ts.Close)
	ts.Client().Transport = adminContract{t: t, next: ts.Client().Transport}
	return &consoleEnv{moneyEnv: m, ops: ops, admin: ts, reg: reg}
}

// operator adds and enrolls an operator and returns their API token.
func (c *consoleEnv) operator(t *testing.T, email string, role operators.Role) string {
	t.Helper()
	a, err := c.ops.Add(context.Background(), email, role)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.ops.Enroll(context.Background(), operators.EnrollParams{Token: a.EnrollmentToken, Password: "correct horse battery"}); err != nil {
		t.Fatal(err)
	}
	return a.APIToken
}

// call sends one request to the admin listener.
func (c *consoleEnv) call(t *testing.T, method, path, body string, header http.Header) response {
	t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(context.Background(), method, c.admin.URL+path, r)
	if err != nil {
		t.Fatal(err)
	}
	for k, vs := range header {
		req.Header[k] = vs
	}
	res, err := c.admin.Client().Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return response{status: res.StatusCode, header: res.Header, body: b}
}

func (c *consoleEnv) auditRows(t *testing.T, orderID string) int {
	t.Helper()
	return c.count(t, `SELECT count(*) FROM audit_log WHERE order_id = $1`, orderID)
}
