package sandbox_test

// The cross tests: the real placetopay.Client against a real sandbox, over real HTTP. They
// use only the two packages' exported surfaces, the sandbox's control API and its
// documented behaviour, so a disagreement between the two shows up here as a failure.

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
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
	t       *testing.T
	sb      *sandbox.Sandbox
	clock   *sandbox.Clock
	url     string
	client  *placetopay.Client
	control sandbox.Control
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
	e.control = sandbox.Control{BaseURL: srv.URL}
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

// lastPayment is the newest payment of a session, as the sandbox shows it.
func lastPayment(t *testing.T, s sandbox.SessionRecord) sandbox.TransactionRecord {
	t.Helper()
	if len(s.Payments) == 0 {
		t.Fatalf("session %d has no payments", s.RequestID)
	}
	return s.Payments[len(s.Payments)-1]
}

// pay applies a test card to a session through the control API.
func (e *env) pay(id int64, card string) sandbox.SessionRecord {
	e.t.Helper()
	s, err := e.control.Pay(e.t.Context(), id, card)
	if err != nil {
		e.t.Fatal(err)
	}
	return s
}

// payPart pays amount of a partial session.
func (e *env) payPart(id int64, card string, amount placetopay.Decimal) sandbox.SessionRecord {
	e.t.Helper()
	s, err := e.control.PayPart(e.t.Context(), id, card, amount)
	if err != nil {
		e.t.Fatal(err)
	}
	return s
}

// wantRefused fails the test unless err is the control API's refusal with the HTTP status.
func wantRefused(t *testing.T, err error, code int) {
	t.Helper()
	var refused *sandbox.ControlError
	if !errors.As(err, &refused) || refused.StatusCode != code {
		t.Fatalf("err = %v, want the control API to answer %d", err, code)
	}
}

// advance moves the sandbox clock (and so the client's) forward.
func (e *env) advance(d time.Duration) {
	e.t.Helper()
	if err := e.control.Advance(e.t.Context(), d); err != nil {
		e.t.Fatal(err)
	}
}

// approvals lists every transaction the sandbox approved.
func (e *env) approvals() []sandbox.TransactionRecord {
	e.t.Helper()
	list, err := e.control.Approvals(e.t.Context())
	if err != nil {
		e.t.Fatal(err)
	}
	return list
}

// notifications lists every notification the sandbox decided.
func (e *env) notifications() []sandbox.NotificationRecord {
	e.t.Helper()
	list, err := e.control.Notifications(e.t.Context())
	if err != nil {
		e.t.Fatal(err)
	}
	return list
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
// message containing msg, a date and an operation.
func wantAPIError(t *testing.T, err error, httpStatus int, reason, msg string) {
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
