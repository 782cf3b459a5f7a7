package http_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"

	"github.com/placetopay-gateway/gateway/internal/autopay"
	gatewayhttp "github.com/placetopay-gateway/gateway/internal/http"
	"github.com/placetopay-gateway/gateway/internal/orders"
	"github.com/placetopay-gateway/gateway/internal/pgtest"
	"github.com/placetopay-gateway/gateway/internal/placetopay"
	"github.com/placetopay-gateway/gateway/internal/webhooks"
)

// fakeProvider opens sessions and answers every query PENDING (listing the transactions a test
// gave it), counting the queries; it never answers a transaction action.
type fakeProvider struct {
	mu      sync.Mutex
	next    int64
	queries map[int64]int
	locale  string // of the last session opened
	// listed are the transactions a session's queries show, by requestId (none when absent).
	listed map[int64][]orders.ProviderPayment
	// statuses are the sessions' statuses the queries show, by requestId (PENDING when absent).
	statuses map[int64]orders.ProviderStatus
}

// settle makes the queries of session requestID show status.
func (f *fakeProvider) settle(requestID int64, status orders.ProviderStatus) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.statuses == nil {
		f.statuses = map[int64]orders.ProviderStatus{}
	}
	f.statuses[requestID] = status
}

// list makes the queries of session requestID show payments.
func (f *fakeProvider) list(requestID int64, payments ...orders.ProviderPayment) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.listed == nil {
		f.listed = map[int64][]orders.ProviderPayment{}
	}
	f.listed[requestID] = payments
}

var _ orders.Provider = (*fakeProvider)(nil)

func (f *fakeProvider) CreateSession(_ context.Context, req orders.SessionRequest) (orders.CreatedSession, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.next++
	f.locale = req.Locale
	return orders.CreatedSession{RequestID: 1000 + f.next, ProcessURL: "https://checkout.test/session/x"}, nil
}

func (f *fakeProvider) QuerySession(_ context.Context, requestID int64) (orders.ProviderSession, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.queries == nil {
		f.queries = map[int64]int{}
	}
	f.queries[requestID]++
	status := orders.ProviderPending
	if s, ok := f.statuses[requestID]; ok {
		status = s
	}
	return orders.ProviderSession{RequestID: requestID, Status: status, Payments: f.listed[requestID]}, nil
}

func (f *fakeProvider) CancelSession(context.Context, int64) error { return nil }

func (f *fakeProvider) TransactionAction(context.Context, int64, string, *orders.Money) (orders.ProviderPayment, error) {
	return orders.ProviderPayment{}, errors.New("fake provider: no transaction actions")
}

// queried returns how many times the session was queried.
func (f *fakeProvider) queried(requestID int64) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.queries[requestID]
}

// lastLocale is the locale of the last session opened.
func (f *fakeProvider) lastLocale() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.locale
}

// moneyEnv is an env that also serves the money path (on fakeProvider), the demo shop and
// autopay (whose PlacetoPay is never called by the tests that use it).
type moneyEnv struct {
	*env
	provider *fakeProvider
	money    *gatewayhttp.MoneyPath
}

// newMoneyEnv starts a server with cfg plus the money path, the demo shop and autopay.
func newMoneyEnv(t *testing.T, cfg gatewayhttp.Config) *moneyEnv {
	t.Helper()
	return newMoneyEnvOn(t, pgtest.Pool(t), &fakeProvider{}, cfg)
}

// newMoneyEnvOn is newMoneyEnv on pool and prov: several calls on one pool are replicas.
func newMoneyEnvOn(t *testing.T, pool *pgxpool.Pool, prov *fakeProvider, cfg gatewayhttp.Config) *moneyEnv {
	t.Helper()
	store, log := orders.NewStore(pool, zap.NewNop()), zap.NewNop()
	ocfg := orders.Config{PublicURL: "http://gateway.test", ProbeInterval: time.Minute}
	metrics, waker := orders.NewMetrics(nil), orders.NewWaker()
	rec := orders.NewReconciler(store, prov, nil, ocfg, log, metrics)
	money := &gatewayhttp.MoneyPath{
		Checkouts:  orders.NewCheckouts(store, prov, rec, waker, ocfg, log),
		Reconciler: rec,
		Actions:    orders.NewActions(store, prov, rec, waker, ocfg, log, metrics),
	}
	pp, err := placetopay.New(placetopay.Config{BaseURL: "http://127.0.0.1:9", AutopayURL: "http://127.0.0.1:9",
		Credentials: placetopay.Credentials{Login: "login", SecretKey: "secret"}})
	if err != nil {
		t.Fatal(err)
	}
	cfg.Money, cfg.Demo, cfg.PublicURL = money, true, "http://gateway.test"
	cfg.Inbox = webhooks.NewInbox("secret", webhooks.AllSignatures, orders.NewNotifications(store, waker, log), prometheus.NewRegistry())
	cfg.Autopay = autopay.NewService(autopay.NewStore(pool), pp, "secret", log)
	if cfg.APIKeys == nil {
		cfg.APIKeys = []string{apiKey}
	}
	return &moneyEnv{env: newEnvOn(t, pool, cfg, log), provider: prov, money: money}
}

// checkout creates an order of total USD with an open session and returns the order and the
// session's requestId.
func (e *moneyEnv) checkout(t *testing.T, total string) (order, int64) {
	t.Helper()
	o := e.createOrder(t, usd("", total))
	r := e.do(t, http.MethodPost, "/v1/orders/"+o.ID+"/checkout", "{}", auth(apiKey))
	r.wantStatus(t, http.StatusCreated)
	var s struct {
		RequestID int64 `json:"requestId"`
	}
	r.decode(t, &s)
	return o, s.RequestID
}

// demoPay presses the demo shop's pay button with header and returns the order's reference
// and the cookie the shop left for it ("demo_<ref>=<value>"), without following the shop's
// redirect to PlacetoPay.
func (e *moneyEnv) demoPay(t *testing.T, header http.Header) (ref, cookie string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, e.ts.URL+"/demo/pay", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header = header.Clone()
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("POST /demo/pay = %d, want 303", res.StatusCode)
	}
	for _, c := range res.Cookies() {
		if r, ok := strings.CutPrefix(c.Name, "demo_"); ok {
			return r, c.Name + "=" + c.Value
		}
	}
	t.Fatalf("POST /demo/pay left no demo_ cookie: %v", res.Cookies())
	return "", ""
}
