package main

// The acceptance harness of the money path: real gateway processes (run() in goroutines)
// on one freshly migrated Postgres database, the real PlacetoPay sandbox over HTTP, and a
// loopback relay that carries the sandbox's notifications to a gateway whose address is only
// known once it listens (the gateway needs PLACETOPAY_BASE_URL at start, the sandbox
// NotifyURL at creation).

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/placetopay-gateway/gateway/internal/http/contract"
	"github.com/placetopay-gateway/gateway/internal/pgtest"
	"github.com/placetopay-gateway/gateway/internal/placetopay"
	"github.com/placetopay-gateway/gateway/internal/placetopay/sandbox"
)

const (
	placetopayLogin     = "moneypath-site"
	placetopaySecretKey = "moneypath-secret-024h1IlD"
	merchantAPIKey      = "sk_test_moneypath_0123456789abcdef"
	// gatewayPublicURL is GATEWAY_PUBLIC_URL: only used to build return URLs.
	gatewayPublicURL = "http://gateway.moneypath.test"
	shopReturnURL    = "https://shop.moneypath.test/thanks"
)

// Test cards of the sandbox (internal/placetopay/sandbox/cards.go, docs/placetopay.md#test-cards).
const (
	cardApprove        = "4110760000000081"
	cardDeny           = "4110760000000016"
	cardPendingApprove = "4110760000000073"
	cardPendingReject  = "4048370000000037"
)

// harnessConfig shapes one harness.
type harnessConfig struct {
	// sandbox is the sandbox's configuration; Login, SecretKey and NotifyURL are the
	// harness's.
	sandbox sandbox.Config
	// probeInterval is GATEWAY_PROBE_INTERVAL (1m when zero).
	probeInterval time.Duration
	// instances is how many gateways run on the one database (1 when zero).
	instances int
	// proxy puts a placetopayProxy between the gateways and the sandbox, to make PlacetoPay's
	// answers say something the sandbox cannot be made to say.
	proxy bool
	// downInstance adds one more gateway, on the same database, whose PLACETOPAY_BASE_URL
	// is a closed port: PlacetoPay is down for it. It is not in gateways.
	downInstance bool
	// env, when set, adds variables to every gateway's environment; it gets the sandbox's URL.
	env func(sandboxURL string) []string
	// publicRelay makes GATEWAY_PUBLIC_URL the relay's URL, so that URLs the gateway sends
	// PlacetoPay to call back (a recurrence's notificationUrl) reach the first gateway.
	publicRelay bool
	// sites are more PlacetoPay sites, on the one sandbox (each a login of its own) and in
	// the gateways' GATEWAY_SITES_FILE; defaultCurrencies restricts the default site.
	sites             []harnessSite
	defaultCurrencies []string
}

// harnessSite is one more PlacetoPay site of a harness.
type harnessSite struct {
	name, login, secret string
	currencies          []string
}

// runningGateway is one gateway the harness started with startRun.
type runningGateway struct {
	url   string // the public listener, http://127.0.0.1:port
	admin string // the admin listener, http://127.0.0.1:port
	logs  *syncBuffer
	stop  func() error // stops it before the test ends; run at cleanup anyway
}

// harness is one test's world: its database, its sandbox, the gateways on them and the relay
// that carries the sandbox's notifications to the first gateway.
type harness struct {
	t          *testing.T
	sandboxURL string          // the sandbox server: PlacetoPay API and control API
	sandbox    sandbox.Control // its control API
	proxy      *placetopayProxy
	db         *pgxpool.Pool
	dbURL      string
	gateways   []*runningGateway
	down       *runningGateway
	// notifyTo is where the relay forwards the sandbox's notifications.
	notifyTo atomic.Pointer[string]
}

// harnessClient never follows redirects: the return page's 303 is what is checked.
var harnessClient = &http.Client{
	Timeout:       20 * time.Second,
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	// Every gateway answer read through it is checked against the OpenAPI document (TestMain).
	Transport: contract.Transport{Next: &http.Transport{MaxIdleConnsPerHost: 64, MaxConnsPerHost: 0}},
}

func newHarness(t *testing.T, cfg harnessConfig) *harness {
	t.Helper()
	dbURL := pgtest.URL(t)
	pool, err := pgxpool.New(context.Background(), dbURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	h := &harness{t: t, db: pool, dbURL: dbURL}

	relay := httptest.NewServer(http.HandlerFunc(h.relay))
	t.Cleanup(relay.Close)

	sc := cfg.sandbox
	sc.Login, sc.SecretKey = placetopayLogin, placetopaySecretKey
	sc.NotifyURL = relay.URL + "/webhooks/placetopay"
	for _, s := range cfg.sites {
		sc.Sites = append(sc.Sites, sandbox.Site{Login: s.login, SecretKey: s.secret, NotifyURL: relay.URL + "/webhooks/placetopay/" + s.name})
	}
	sb, err := sandbox.New(sc)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(sb.Handler())
	t.Cleanup(srv.Close)
	t.Cleanup(sb.Close) // runs before srv.Close: deliveries in flight finish first
	h.sandboxURL, h.sandbox = srv.URL, sandbox.Control{BaseURL: srv.URL, HTTP: harnessClient}

	ppURL := srv.URL
	if cfg.proxy {
		h.proxy = newPlacetopayProxy(t, srv.URL)
		ppURL = h.proxy.srv.URL
	}
	interval := cfg.probeInterval
	if interval == 0 {
		interval = time.Minute
	}
	publicURL := gatewayPublicURL
	if cfg.publicRelay {
		publicURL = relay.URL
	}
	env := func(base string) []string {
		vars := []string{
			"DATABASE_URL=" + dbURL,
			"GATEWAY_ADDR=127.0.0.1:0",
			"GATEWAY_ADMIN_ADDR=127.0.0.1:0",
			"GATEWAY_API_KEYS=" + merchantAPIKey,
			"GATEWAY_PUBLIC_URL=" + publicURL,
			"PLACETOPAY_BASE_URL=" + base,
			"PLACETOPAY_LOGIN=" + placetopayLogin,
			"PLACETOPAY_SECRET_KEY=" + placetopaySecretKey,
			"GATEWAY_PROBE_INTERVAL=" + interval.String(),
		}
		if cfg.env != nil {
			vars = append(vars, cfg.env(srv.URL)...)
		}
		if len(cfg.sites) > 0 {
			vars = append(vars, writeSitesFile(t, srv.URL, cfg.sites, cfg.defaultCurrencies)...)
		}
		return vars
	}
	start := func(base string) *runningGateway {
		logs, addrs, stop := startRun(t, nil, env(base), "public", "admin")
		waitReady(t, addrs["admin"], time.Now().Add(30*time.Second))
		g := &runningGateway{url: "http://" + addrs["public"], admin: "http://" + addrs["admin"], logs: logs, stop: stop}
		t.Cleanup(func() {
			// Before the gateway stops (this runs first): a connection the client dialled but
			// never used would hold its graceful shutdown for 5 s (net/http treats a new
			// connection as active that long).
			harnessClient.CloseIdleConnections()
			if t.Failed() {
				out := logs.String()
				if len(out) > 6000 {
					out = "…" + out[len(out)-6000:]
				}
				t.Logf("gateway %s log tail:\n%s", g.url, out)
			}
		})
		return g
	}
	n := max(cfg.instances, 1)
	for range n {
		h.gateways = append(h.gateways, start(ppURL))
	}
	if cfg.downInstance {
		h.down = start(closedPortURL(t))
	}
	target := h.gateways[0].url + "/webhooks/placetopay"
	h.notifyTo.Store(&target)
	// Last, before the gateways stop: the whole events feed is read through harnessClient, so that
	// every event the test's flows wrote is checked against the document (TestMain).
	t.Cleanup(h.readEvents)
	return h
}

// readEvents reads the events feed to its end from the first gateway still answering. It
// reports nothing itself: what matters is that harnessClient validates each page.
func (h *harness) readEvents() {
	var stored int
	if err := h.db.QueryRow(context.Background(), `SELECT count(*) FROM events`).Scan(&stored); err != nil {
		return
	}
	for _, g := range h.gateways {
		if readFeed(g, stored) {
			return
		}
	}
}

// readFeed reads g's events feed page by page until it has listed want events, or for 10 s
// (the feed holds an event back while an older transaction, of any test, is still open);
// false when g did not answer (a test may have stopped it).
func readFeed(g *runningGateway, want int) bool {
	cursor, listed := "", 0
	for deadline := time.Now().Add(10 * time.Second); listed < want && time.Now().Before(deadline); {
		req, err := http.NewRequest(http.MethodGet, g.url+"/v1/events?limit=100&after="+url.QueryEscape(cursor), nil)
		if err != nil {
			return false
		}
		req.Header.Set("Authorization", "Bearer "+merchantAPIKey)
		resp, err := harnessClient.Do(req)
		if err != nil {
			return false
		}
		var page struct {
			Data       []json.RawMessage `json:"data"`
			NextCursor string            `json:"nextCursor"`
		}
		err = json.NewDecoder(resp.Body).Decode(&page)
		resp.Body.Close()
		if err != nil || resp.StatusCode != http.StatusOK {
			return false
		}
		if len(page.Data) == 0 {
			time.Sleep(20 * time.Millisecond)
		}
		listed += len(page.Data)
		cursor = page.NextCursor
	}
	return true
}

// closedPortURL returns the URL of a port nothing listens on.
func closedPortURL(t *testing.T) string {
	t.Helper()
	srv := httptest.NewServer(http.NotFoundHandler())
	u := srv.URL
	srv.Close()
	return u
}

// relay forwards one notification to the gateway and answers with the gateway's answer, so
// that the sandbox records what the gateway said.
func (h *harness) relay(w http.ResponseWriter, r *http.Request) {
	target := h.notifyTo.Load()
	if target == nil {
		http.Error(w, "no gateway yet", http.StatusServiceUnavailable)
		return
	}
	if site, ok := strings.CutPrefix(r.URL.Path, "/webhooks/placetopay/"); ok {
		// Another site's notification: to that site's endpoint of the same gateway.
		forward(w, r, *target+"/"+site)
		return
	}
	forward(w, r, *target)
}

// sendOn sends r's method, headers and body to url and returns the answer, read whole.
func sendOn(r *http.Request, url string) (*http.Response, []byte, error) {
	body, _ := io.ReadAll(r.Body)
	req, err := http.NewRequestWithContext(r.Context(), r.Method, url, bytes.NewReader(body))
	if err != nil {
		return nil, nil, err
	}
	req.Header = r.Header.Clone()
	resp, err := harnessClient.Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	return resp, out, err
}

// forward sends r to url and copies the answer back.
func forward(w http.ResponseWriter, r *http.Request, url string) {
	resp, out, err := sendOn(r, url)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	w.Header().Set("Content-Type", resp.Header.Get("Content-Type"))
	w.WriteHeader(resp.StatusCode)
	_, _ = w.Write(out)
}

// placetopayProxy stands between the gateways and the sandbox and can rewrite the payments of a
// session's query answers.
type placetopayProxy struct {
	srv    *httptest.Server
	target string
	mu     sync.Mutex
	edit   map[int64]func(payment map[string]any)
	// loseCollects is how many /api/collect answers to lose after PlacetoPay processed them.
	loseCollects atomic.Int32
	// lose, when set, names the paths whose answers are lost: the request reaches the
	// sandbox, then the connection is closed without an answer (an unknown outcome).
	lose func(path string) bool
	// creates counts the session creations (POST /api/session) that went through.
	creates atomic.Int64
	// transactions counts the transaction actions (POST /api/transaction) that went through.
	transactions atomic.Int64
	// answer, when set, sees (and may change) every JSON answer of 200 before the gateway
	// does, with the path it answers.
	answer func(path string, doc map[string]any)
	// sessionRequests are the bodies of the session creations (POST /api/session), as the
	// gateway sent them, oldest first.
	sessionRequests [][]byte
}

// sessionRequest returns the body of the last session creation the gateway sent, byte for
// byte; nil when there was none.
func (p *placetopayProxy) sessionRequest() []byte {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.sessionRequests) == 0 {
		return nil
	}
	return p.sessionRequests[len(p.sessionRequests)-1]
}

// onAnswer installs f as the proxy's answer hook; nil removes it.
func (p *placetopayProxy) onAnswer(f func(path string, doc map[string]any)) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.answer = f
}

// loseAnswers makes the answers of the paths lose matches get lost; nil stops it.
func (p *placetopayProxy) loseAnswers(lose func(path string) bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.lose = lose
}

// retarget sends every later call to target instead: another PlacetoPay, or another site.
func (p *placetopayProxy) retarget(target string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.target = target
}

func newPlacetopayProxy(t *testing.T, target string) *placetopayProxy {
	p := &placetopayProxy{target: target, edit: map[int64]func(map[string]any){}}
	p.srv = httptest.NewServer(http.HandlerFunc(p.serve))
	t.Cleanup(p.srv.Close)
	return p
}

// rewrite makes every query answer of session requestID pass its payments through edit;
// nil stops rewriting.
func (p *placetopayProxy) rewrite(requestID int64, edit func(payment map[string]any)) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if edit == nil {
		delete(p.edit, requestID)
		return
	}
	p.edit[requestID] = edit
}

func (p *placetopayProxy) serve(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodPost && r.URL.Path == "/api/session" {
		p.creates.Add(1)
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		p.mu.Lock()
		p.sessionRequests = append(p.sessionRequests, body)
		p.mu.Unlock()
	}
	if r.Method == http.MethodPost && r.URL.Path == "/api/transaction" {
		p.transactions.Add(1)
	}
	p.mu.Lock()
	target := p.target
	p.mu.Unlock()
	resp, out, err := sendOn(r, target+r.URL.RequestURI())
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	if r.URL.Path == "/api/collect" && p.loseCollects.Add(-1) >= 0 {
		http.Error(w, "upstream connection lost", http.StatusBadGateway)
		return
	}
	p.mu.Lock()
	lose := p.lose
	p.mu.Unlock()
	if lose != nil && lose(r.URL.Path) {
		if conn, _, err := http.NewResponseController(w).Hijack(); err == nil {
			conn.Close()
			return
		}
	}
	p.mu.Lock()
	hook := p.answer
	p.mu.Unlock()
	if hook != nil && resp.StatusCode == http.StatusOK {
		var doc map[string]any
		dec := json.NewDecoder(bytes.NewReader(out))
		dec.UseNumber()
		if err := dec.Decode(&doc); err == nil {
			hook(r.URL.Path, doc)
			out, _ = json.Marshal(doc)
		}
	}
	var edit func(map[string]any)
	if rest, ok := strings.CutPrefix(r.URL.Path, "/api/session/"); ok && resp.StatusCode == http.StatusOK {
		if id, err := strconv.ParseInt(rest, 10, 64); err == nil {
			p.mu.Lock()
			edit = p.edit[id]
			p.mu.Unlock()
		}
	}
	if edit != nil {
		var doc map[string]any
		dec := json.NewDecoder(bytes.NewReader(out))
		dec.UseNumber()
		if err := dec.Decode(&doc); err == nil {
			if list, ok := doc["payment"].([]any); ok {
				for _, item := range list {
					if pay, ok := item.(map[string]any); ok {
						edit(pay)
					}
				}
			}
			out, _ = json.Marshal(doc)
		}
	}
	for k, v := range resp.Header {
		if k != "Content-Length" {
			w.Header()[k] = v
		}
	}
	w.WriteHeader(resp.StatusCode)
	_, _ = w.Write(out)
}

// --- the merchant API ---

type moneyJSON struct {
	Currency string `json:"currency"`
	Total    string `json:"total"`
}

// orderJSON is an order as the merchant API shows it.
type orderJSON struct {
	ID             string    `json:"id"`
	Reference      string    `json:"reference"`
	Status         string    `json:"status"`
	Amount         moneyJSON `json:"amount"`
	PaidAmount     moneyJSON `json:"paidAmount"`
	RefundedAmount moneyJSON `json:"refundedAmount"`
	Sessions       []struct {
		RequestID  *int64 `json:"requestId"`
		ProcessURL string `json:"processUrl"`
		Status     string `json:"status"`
	} `json:"sessions"`
	Payments []struct {
		InternalReference int64     `json:"internalReference"`
		Status            string    `json:"status"`
		Amount            moneyJSON `json:"amount"`
		Refunded          bool      `json:"refunded"`
		RefundedAmount    moneyJSON `json:"refundedAmount"`
	} `json:"payments"`
}

type checkoutJSON struct {
	RequestID  int64     `json:"requestId"`
	ProcessURL string    `json:"processUrl"`
	ExpiresAt  time.Time `json:"expiresAt"`
	Status     string    `json:"status"`
}

// call sends one merchant API request with the API key and returns the status and body.
func (h *harness) call(g *runningGateway, method, path string, body any) (int, []byte) {
	h.t.Helper()
	var rd io.Reader
	if body != nil {
		raw, err := json.Marshal(body)
		if err != nil {
			h.t.Fatal(err)
		}
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, g.url+path, rd)
	if err != nil {
		h.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+merchantAPIKey)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := harnessClient.Do(req)
	if err != nil {
		h.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, out
}

func (h *harness) decode(raw []byte, v any) {
	h.t.Helper()
	if err := json.Unmarshal(raw, v); err != nil {
		h.t.Fatalf("decode %s: %v", raw, err)
	}
}

// createOrder creates a USD order of total; returnURL may be empty.
func (h *harness) createOrder(g *runningGateway, total, returnURL string) orderJSON {
	h.t.Helper()
	body := map[string]any{"description": "money path acceptance", "amount": map[string]string{"currency": "USD", "total": total}}
	if returnURL != "" {
		body["returnUrl"] = returnURL
	}
	code, raw := h.call(g, http.MethodPost, "/v1/orders", body)
	if code != http.StatusCreated {
		h.t.Fatalf("POST /v1/orders = %d %s, want 201", code, raw)
	}
	var o orderJSON
	h.decode(raw, &o)
	return o
}

// checkout asks for a checkout session; body may be nil.
func (h *harness) checkout(g *runningGateway, orderID string, body any) (int, []byte) {
	h.t.Helper()
	return h.call(g, http.MethodPost, "/v1/orders/"+orderID+"/checkout", body)
}

func (h *harness) mustCheckout(g *runningGateway, orderID string) checkoutJSON {
	h.t.Helper()
	code, raw := h.checkout(g, orderID, nil)
	if code != http.StatusCreated {
		h.t.Fatalf("checkout of %s = %d %s, want 201", orderID, code, raw)
	}
	var s checkoutJSON
	h.decode(raw, &s)
	if s.RequestID == 0 || s.ProcessURL == "" {
		h.t.Fatalf("checkout of %s = %s, want a requestId and a processUrl", orderID, raw)
	}
	return s
}

// order reads an order; refresh asks the gateway to query PlacetoPay first.
func (h *harness) order(g *runningGateway, id string, refresh bool) orderJSON {
	h.t.Helper()
	path := "/v1/orders/" + id
	if refresh {
		path += "?refresh=true"
	}
	code, raw := h.call(g, http.MethodGet, path, nil)
	if code != http.StatusOK {
		h.t.Fatalf("GET %s = %d %s, want 200", path, code, raw)
	}
	var o orderJSON
	h.decode(raw, &o)
	return o
}

// waitStatus polls GET /v1/orders/{id}, without refresh, until the order is in want, and
// returns it and how long that took. It fails at the deadline.
func (h *harness) waitStatus(g *runningGateway, id, want string, within time.Duration) (orderJSON, time.Duration) {
	h.t.Helper()
	start := time.Now()
	deadline := start.Add(within)
	for {
		o := h.order(g, id, false)
		if o.Status == want {
			return o, time.Since(start)
		}
		if time.Now().After(deadline) {
			h.t.Fatalf("order %s is %s after %s, want %s", id, o.Status, within, want)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// --- the sandbox ---

// placetopayClient is a PlacetoPay client of the harness's site at the sandbox: what a test
// uses to act at PlacetoPay behind the gateway's back.
func (h *harness) placetopayClient() *placetopay.Client {
	h.t.Helper()
	c, err := placetopay.New(placetopay.Config{BaseURL: h.sandboxURL,
		Credentials: placetopay.Credentials{Login: placetopayLogin, SecretKey: placetopaySecretKey}})
	if err != nil {
		h.t.Fatal(err)
	}
	return c
}

// pay applies a test card to the session, as the shopper on the hosted page.
func (h *harness) pay(requestID int64, card string) {
	h.t.Helper()
	if _, err := h.sandbox.Pay(h.t.Context(), requestID, card); err != nil {
		h.t.Fatalf("pay %d with %s: %v", requestID, card, err)
	}
}

// payPart pays amount of a partial session with the approving card.
func (h *harness) payPart(requestID int64, amount string) {
	h.t.Helper()
	if _, err := h.sandbox.PayPart(h.t.Context(), requestID, cardApprove, placetopay.Decimal(amount)); err != nil {
		h.t.Fatalf("pay %s of %d: %v", amount, requestID, err)
	}
}

func (h *harness) sandboxSession(requestID int64) sandbox.SessionRecord {
	h.t.Helper()
	s, err := h.sandbox.Session(h.t.Context(), requestID)
	if err != nil {
		h.t.Fatal(err)
	}
	return s
}

// advance moves the sandbox clock. The gateway's tranKey seeds use the real time and the
// sandbox refuses seeds more than 5 minutes off its clock, so a harness advances it by
// less than that in total.
func (h *harness) advance(d time.Duration) {
	h.t.Helper()
	if err := h.sandbox.Advance(h.t.Context(), d); err != nil {
		h.t.Fatal(err)
	}
}

// dropNotifications sets the sandbox's notification drop rate (1: none is sent).
func (h *harness) dropNotifications(rate float64) {
	h.t.Helper()
	if err := h.sandbox.SetFaults(h.t.Context(), sandbox.Faults{Drop: rate}); err != nil {
		h.t.Fatal(err)
	}
}

// sandboxNotifications returns the notifications the sandbox decided for requestID.
func (h *harness) sandboxNotifications(requestID int64) []sandbox.NotificationRecord {
	h.t.Helper()
	list, err := h.sandbox.Notifications(h.t.Context())
	if err != nil {
		h.t.Fatal(err)
	}
	var out []sandbox.NotificationRecord
	for _, n := range list {
		if n.RequestID == requestID {
			out = append(out, n)
		}
	}
	return out
}

// --- the database ---

func (h *harness) count(query string, args ...any) int {
	h.t.Helper()
	var n int
	if err := h.db.QueryRow(context.Background(), query, args...).Scan(&n); err != nil {
		h.t.Fatalf("%s: %v", query, err)
	}
	return n
}

// transitionsTo counts the order's timeline transitions into status.
func (h *harness) transitionsTo(orderID, status string) int {
	h.t.Helper()
	return h.count(`SELECT count(*) FROM order_timeline WHERE order_id = $1 AND kind = 'transition' AND to_status = $2`, orderID, status)
}

// eventsOf counts the order's outbox events of type typ.
func (h *harness) eventsOf(orderID, typ string) int {
	h.t.Helper()
	return h.count(`SELECT count(*) FROM events WHERE order_id = $1 AND type = $2`, orderID, typ)
}

// waitDB polls query (a boolean) until it is true.
func (h *harness) waitDB(what string, within time.Duration, query string, args ...any) {
	h.t.Helper()
	deadline := time.Now().Add(within)
	for {
		var ok bool
		if err := h.db.QueryRow(context.Background(), query, args...).Scan(&ok); err != nil {
			h.t.Fatalf("%s: %v", query, err)
		}
		if ok {
			return
		}
		if time.Now().After(deadline) {
			h.t.Fatalf("%s: not true after %s", what, within)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// sendAtOnce sends n requests that newRequest makes, all at once, and returns their status
// codes (0 for a request that got no answer).
func sendAtOnce(n int, newRequest func() *http.Request) []int {
	codes := make([]int, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp, err := harnessClient.Do(newRequest())
			if err != nil {
				return
			}
			resp.Body.Close()
			codes[i] = resp.StatusCode
		}()
	}
	wg.Wait()
	return codes
}

// getOrder is GET /v1/orders/{id} for goroutines: it reports errors instead of failing.
func getOrder(g *runningGateway, id string) (orderJSON, error) {
	req, err := http.NewRequest(http.MethodGet, g.url+"/v1/orders/"+id, nil)
	if err != nil {
		return orderJSON{}, err
	}
	req.Header.Set("Authorization", "Bearer "+merchantAPIKey)
	resp, err := harnessClient.Do(req)
	if err != nil {
		return orderJSON{}, err
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return orderJSON{}, fmt.Errorf("GET /v1/orders/%s = %d %s", id, resp.StatusCode, raw)
	}
	var o orderJSON
	err = json.Unmarshal(raw, &o)
	return o, err
}
