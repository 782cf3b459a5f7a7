package sandbox_test

// The cross tests: the real placetopay.Client against a real sandbox, over real HTTP. They
// use only the two packages' exported surfaces, the sandbox's control API and its
// documented behaviour, so a disagreement between the two shows up here as a failure.

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/placetopay-gateway/gateway/internal/placetopay"
	"github.com/placetopay-gateway/gateway/internal/placetopay/sandbox"
)

const (
	crossLogin  = "c0ffee0123456789abcdef0123456789"
	crossSecret = "x7Kq2Lm9Pz4Rt8Vw"
)

// crossEpoch is the base of the sandbox clock: time only moves when a test advances it.
var crossEpoch = time.Date(2026, 3, 2, 15, 4, 5, 0, time.UTC)

// Documented test cards (docs/placetopay.md#test-cards, sandbox/cards.go) by what they do.
const (
	visaApprove        = "4110760000000081"
	visaDeny           = "4110760000000016"
	visaPendingApprove = "4110760000000073"
	visaPendingReject  = "4048370000000037"
	masterApprove      = "5367680000000005"
	amexApprove        = "377222581193005"
	dinersApprove      = "36545400000008"
)

// env is a sandbox served by httptest and a client pointed at it.
type env struct {
	t      *testing.T
	sb     *sandbox.Sandbox
	clock  *sandbox.Clock
	url    string
	client *placetopay.Client
	// apiCalls counts requests to the PlacetoPay APIs (/api/ and /autopay/), not the
	// control API or the hosted pages.
	apiCalls atomic.Int64
}

// newEnv starts a sandbox whose clock stands still at crossEpoch, and a client whose clock
// is the sandbox's, so that advancing the sandbox clock keeps the client's seeds valid.
func newEnv(t *testing.T, edit ...func(*sandbox.Config)) *env {
	t.Helper()
	clock := sandbox.NewClock(func() time.Time { return crossEpoch })
	cfg := sandbox.Config{
		Login: crossLogin, SecretKey: crossSecret, Clock: clock,
		IDStart: 7000, TickInterval: 10 * time.Millisecond,
	}
	for _, f := range edit {
		f(&cfg)
	}
	sb, err := sandbox.New(cfg)
	if err != nil {
		t.Fatalf("sandbox.New: %v", err)
	}
	e := &env{t: t, sb: sb, clock: clock}
	h := sb.Handler()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/api/") || strings.HasPrefix(r.URL.Path, "/autopay/") {
			e.apiCalls.Add(1)
		}
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(func() {
		srv.Close()
		sb.Close()
	})
	e.url = srv.URL
	e.client = e.newClient(nil)
	return e
}

// newClient is a client for the sandbox's site; edit changes its config.
func (e *env) newClient(edit func(*placetopay.Config)) *placetopay.Client {
	e.t.Helper()
	cfg := placetopay.Config{
		BaseURL: e.url, AutopayURL: e.url,
		Credentials: placetopay.Credentials{Login: crossLogin, SecretKey: crossSecret},
		Clock:       e.clock.Base, MaxAttempts: 1, Timeout: 10 * time.Second,
	}
	if edit != nil {
		edit(&cfg)
	}
	c, err := placetopay.New(cfg)
	if err != nil {
		e.t.Fatalf("placetopay.New: %v", err)
	}
	return c
}

// The control API's views, as the tests read them.

type ctlTx struct {
	InternalReference int64                 `json:"internalReference"`
	RequestID         int64                 `json:"requestId"`
	Kind              string                `json:"kind"`
	Reference         string                `json:"reference"`
	Status            placetopay.Status     `json:"status"`
	Amount            placetopay.AmountBase `json:"amount"`
	Card              string                `json:"card"`
	Refunded          bool                  `json:"refunded"`
	RefundedTotal     placetopay.Decimal    `json:"refundedTotal"`
}

type ctlNotification struct {
	Seq        int             `json:"seq"`
	RequestID  int64           `json:"requestId"`
	Status     string          `json:"status"`
	Body       json.RawMessage `json:"body"`
	Faults     []string        `json:"faults"`
	Outcome    string          `json:"outcome"`
	Deliveries []struct {
		Status int    `json:"status"`
		Error  string `json:"error"`
	} `json:"deliveries"`
}

type ctlSession struct {
	RequestID     int64             `json:"requestId"`
	Kind          string            `json:"kind"`
	Status        placetopay.Status `json:"status"`
	Reference     string            `json:"reference"`
	Attempts      map[string]int    `json:"attempts"`
	Payments      []ctlTx           `json:"payments"` // oldest first
	Token         map[string]string `json:"token"`
	AutopayID     string            `json:"autopayId"`
	Notifications []ctlNotification `json:"notifications"`
}

// last is the newest payment of the session.
func (s ctlSession) last(t *testing.T) ctlTx {
	t.Helper()
	if len(s.Payments) == 0 {
		t.Fatalf("session %d has no payments", s.RequestID)
	}
	return s.Payments[len(s.Payments)-1]
}

// control calls the control API, fails unless it answers wantCode, and decodes into out.
func (e *env) control(method, path string, body any, wantCode int, out any) {
	e.t.Helper()
	var rd io.Reader
	if body != nil {
		raw, err := json.Marshal(body)
		if err != nil {
			e.t.Fatal(err)
		}
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequestWithContext(e.t.Context(), method, e.url+path, rd)
	if err != nil {
		e.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	if resp.StatusCode != wantCode {
		e.t.Fatalf("%s %s: HTTP %d, want %d: %s", method, path, resp.StatusCode, wantCode, raw)
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			e.t.Fatalf("%s %s: decode %s: %v", method, path, raw, err)
		}
	}
}

// pay applies a test card to a session through the control API.
func (e *env) pay(id int64, card string) ctlSession {
	e.t.Helper()
	var s ctlSession
	e.control(http.MethodPost, fmt.Sprintf("/sandbox/sessions/%d/pay", id), map[string]string{"card": card}, http.StatusOK, &s)
	return s
}

// payPart pays amount of a partial session.
func (e *env) payPart(id int64, card, amount string) ctlSession {
	e.t.Helper()
	var s ctlSession
	e.control(http.MethodPost, fmt.Sprintf("/sandbox/sessions/%d/pay", id), map[string]string{"card": card, "amount": amount}, http.StatusOK, &s)
	return s
}

// ctlSession reads the sandbox's own view of a session.
func (e *env) ctlSession(id int64) ctlSession {
	e.t.Helper()
	var s ctlSession
	e.control(http.MethodGet, fmt.Sprintf("/sandbox/sessions/%d", id), nil, http.StatusOK, &s)
	return s
}

// advance moves the sandbox clock (and so the client's) forward.
func (e *env) advance(d string) {
	e.t.Helper()
	e.control(http.MethodPost, "/sandbox/clock", map[string]string{"advance": d}, http.StatusOK, nil)
}

// approvals lists every transaction the sandbox approved.
func (e *env) approvals() []ctlTx {
	e.t.Helper()
	var out struct {
		Data []ctlTx `json:"data"`
	}
	e.control(http.MethodGet, "/sandbox/approvals", nil, http.StatusOK, &out)
	return out.Data
}

// notifications lists every notification the sandbox decided.
func (e *env) notifications() []ctlNotification {
	e.t.Helper()
	var out struct {
		Data []ctlNotification `json:"data"`
	}
	e.control(http.MethodGet, "/sandbox/notifications", nil, http.StatusOK, &out)
	return out.Data
}

// Requests.

func payer() *placetopay.Person {
	return &placetopay.Person{
		Document: "1040035000", DocumentType: "CC", Name: "Ada", Surname: "Lovelace",
		Email: "ada@example.com", Mobile: "3006108300",
	}
}

// basicRequest is a create-session request for a payment of total USD.
func basicRequest(ref string, total placetopay.Decimal) placetopay.CreateSessionRequest {
	return placetopay.CreateSessionRequest{
		Locale: "es_CO",
		Payer:  payer(),
		Payment: &placetopay.PaymentRequest{
			Reference: ref, Description: "Cross test " + ref,
			Amount: placetopay.Amount{Currency: "USD", Total: total},
		},
		IPAddress: "127.0.0.1", UserAgent: "cross-test/1.0",
		ReturnURL: "https://shop.example/return/" + ref,
	}
}

// create opens a session through the client.
func (e *env) create(req placetopay.CreateSessionRequest) *placetopay.CreateSessionResponse {
	e.t.Helper()
	resp, err := e.client.CreateSession(e.t.Context(), req)
	if err != nil {
		e.t.Fatalf("CreateSession: %v", err)
	}
	if resp.Status.Status != placetopay.StatusOK || resp.Status.Reason != "PC" {
		e.t.Fatalf("CreateSession status = %+v, want OK/PC", resp.Status)
	}
	return resp
}

// query reads a session through the client.
func (e *env) query(id placetopay.Int64) *placetopay.SessionInformation {
	e.t.Helper()
	info, err := e.client.QuerySession(e.t.Context(), int64(id))
	if err != nil {
		e.t.Fatalf("QuerySession(%d): %v", id, err)
	}
	if info.RequestID != id {
		e.t.Fatalf("QuerySession(%d).RequestID = %d", id, info.RequestID)
	}
	return info
}

// Assertions.

// statusOf is "STATUS/reason", for compact comparisons.
func statusOf(s placetopay.Status) string { return s.Status + "/" + string(s.Reason) }

func wantStatus(t *testing.T, what string, got placetopay.Status, want string) {
	t.Helper()
	if statusOf(got) != want {
		t.Errorf("%s status = %s (%q), want %s", what, statusOf(got), got.Message, want)
	}
}

// wantAPIError checks that err is an *APIError with the HTTP status and reason, a
// message containing msg, and a date; it returns the error.
func wantAPIError(t *testing.T, err error, httpStatus int, reason, msg string) *placetopay.APIError {
	t.Helper()
	var e *placetopay.APIError
	if !errors.As(err, &e) {
		t.Fatalf("err = %v (%T), want *placetopay.APIError", err, err)
	}
	if e.HTTPStatus != httpStatus || e.Reason() != reason || e.Status.Status != placetopay.StatusFailed {
		t.Errorf("APIError HTTP %d, %s/%s, want HTTP %d, FAILED/%s (%v)", e.HTTPStatus, e.Status.Status, e.Reason(), httpStatus, reason, e)
	}
	if !strings.Contains(string(e.Status.Message), msg) || e.Status.Message == "" {
		t.Errorf("APIError message %q, want it to contain %q", e.Status.Message, msg)
	}
	if _, perr := e.Status.Time(); perr != nil {
		t.Errorf("APIError status date %q: %v", e.Status.Date, perr)
	}
	if e.Operation == "" {
		t.Errorf("APIError has no Operation: %v", e)
	}
	return e
}

var (
	sixDigits    = regexp.MustCompile(`^[0-9]{6}$`)
	twelveDigits = regexp.MustCompile(`^[0-9]{12}$`)
)

// sameValue compares decimals by value, exactly, in hundredths: the sandbox writes 40.00 as
// 40 (and PlacetoPay sends both forms, docs/placetopay.md#payload-quirks), so their text may differ.
var sameValue = cmp.Comparer(func(a, b placetopay.Decimal) bool {
	x, errA := a.Minor(2)
	y, errB := b.Minor(2)
	return errA == nil && errB == nil && x == y
})

// txWant is what a transaction in a query must say.
type txWant struct {
	status, reason string
	ref            int64
	reference      string
	total          placetopay.Decimal
	currency       string
	franchise      string
	method         string
	lastDigits     string
	refunded       bool
}

// checkTx compares a queried transaction with what the test expects, field by field.
func checkTx(t *testing.T, got placetopay.Transaction, w txWant) {
	t.Helper()
	type view struct {
		Status, Reason, Reference, Franchise, Method, LastDigits string
		Ref                                                      int64
		From, To                                                 placetopay.AmountBase
		Factor                                                   placetopay.Decimal
		Refunded                                                 bool
	}
	amount := placetopay.AmountBase{Currency: w.currency, Total: w.total}
	want := view{
		Status: w.status, Reason: w.reason, Reference: w.reference, Franchise: w.franchise,
		Method: w.method, LastDigits: w.lastDigits, Ref: w.ref, From: amount, To: amount, Factor: "1", Refunded: w.refunded,
	}
	last, _ := got.ProcessorFields.Lookup("lastDigits")
	have := view{
		Status: got.Status.Status, Reason: string(got.Status.Reason), Reference: string(got.Reference),
		Franchise: got.Franchise, Method: got.PaymentMethod, LastDigits: last, Ref: int64(got.InternalReference),
		Refunded: got.Refunded,
	}
	if got.Amount != nil {
		have.From, have.To, have.Factor = got.Amount.From, got.Amount.To, got.Amount.Factor
	}
	if d := cmp.Diff(want, have, sameValue); d != "" {
		t.Errorf("transaction %d (-want +got):\n%s", got.InternalReference, d)
	}
	switch got.Status.Status {
	case placetopay.StatusApproved, placetopay.StatusPendingConfirmation:
		if !sixDigits.MatchString(string(got.Authorization)) || got.Authorization == "000000" {
			t.Errorf("transaction %d authorization = %q, want 6 digits, not 000000", got.InternalReference, got.Authorization)
		}
	default:
		if got.Authorization != "000000" {
			t.Errorf("transaction %d (%s) authorization = %q, want 000000", got.InternalReference, got.Status.Status, got.Authorization)
		}
	}
	if !twelveDigits.MatchString(string(got.Receipt)) {
		t.Errorf("transaction %d receipt = %q, want 12 digits", got.InternalReference, got.Receipt)
	}
	if _, err := got.Status.Time(); err != nil {
		t.Errorf("transaction %d status date %q: %v", got.InternalReference, got.Status.Date, err)
	}
}

// receiver is a merchant's notification endpoint.
type receiver struct {
	url    string
	mu     sync.Mutex
	bodies [][]byte
	ch     chan []byte
}

func newReceiver(t *testing.T) *receiver {
	t.Helper()
	rec := &receiver{ch: make(chan []byte, 100)}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		rec.mu.Lock()
		rec.bodies = append(rec.bodies, b)
		rec.mu.Unlock()
		rec.ch <- b
		w.WriteHeader(http.StatusOK)
	}))
	t.Cleanup(srv.Close)
	rec.url = srv.URL + "/webhooks/placetopay"
	return rec
}

// next waits for the next notification; the wait is a deadline, not a measurement.
func (rec *receiver) next(t *testing.T) []byte {
	t.Helper()
	select {
	case b := <-rec.ch:
		return b
	case <-time.After(10 * time.Second):
		t.Fatal("no notification within 10s")
		return nil
	}
}

// all returns every notification received so far.
func (rec *receiver) all() [][]byte {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	return append([][]byte(nil), rec.bodies...)
}
