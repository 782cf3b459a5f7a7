package main

// Acceptance tests of autopay: real gateways through run(), the sandbox over HTTP sending
// signed webhooks and Basic-authenticated settlements, and a fresh Postgres database.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/placetopay-gateway/gateway/internal/placetopay"
	"github.com/placetopay-gateway/gateway/internal/placetopay/sandbox"
)

const (
	autopayHookUser = "placetopay-autopay"
	autopayHookPass = "autopay-basic-password-0123456789"
)

// autopayHarness is a money path harness with autopay: PlacetoPay's autopay API reached through
// a proxy that counts calls, and a relay that carries the sandbox's autopay calls (webhooks,
// settlements) to the gateway, path and Authorization header included.
type autopayHarness struct {
	*harness
	autopayCalls atomic.Int64 // requests that reached the autopay API
	autopayDown  atomic.Bool  // the autopay API answers 503 while set
}

func newAutopayHarness(t *testing.T) *autopayHarness {
	t.Helper()
	h := &autopayHarness{}
	var target atomic.Pointer[string]
	relay := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		to := target.Load()
		if to == nil {
			http.Error(w, "no gateway yet", http.StatusServiceUnavailable)
			return
		}
		forward(w, r, *to+r.URL.Path)
	}))
	t.Cleanup(relay.Close)
	var sandboxURL atomic.Pointer[string]
	counter := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.autopayCalls.Add(1)
		if h.autopayDown.Load() {
			http.Error(w, "down for the test", http.StatusServiceUnavailable)
			return
		}
		forward(w, r, *sandboxURL.Load()+r.URL.Path)
	}))
	t.Cleanup(counter.Close)

	h.harness = newHarness(t, harnessConfig{
		sandbox: sandbox.Config{AutopayURL: relay.URL + "/webhooks/placetopay", AutopayUser: autopayHookUser, AutopayPassword: autopayHookPass},
		env: func(address string) []string {
			sandboxURL.Store(&address)
			return []string{
				"PLACETOPAY_AUTOPAY_URL=" + counter.URL,
				"PLACETOPAY_AUTOPAY_WEBHOOK_USER=" + autopayHookUser,
				"PLACETOPAY_AUTOPAY_WEBHOOK_PASSWORD=" + autopayHookPass,
			}
		},
	})
	to := h.gateways[0].url
	target.Store(&to)
	return h
}

type enrolmentJSON struct {
	ID          string `json:"id"`
	Reference   string `json:"reference"`
	Description string `json:"description"`
	Status      string `json:"status"`
	AutopayID   string `json:"autopayId"`
	DueDay      int    `json:"dueDay"`
	Recurring   struct {
		Type string `json:"type"`
	} `json:"recurring"`
	Amount     *moneyJSON        `json:"amount"`
	Instrument map[string]string `json:"instrument"`
	Sessions   []struct {
		RequestID int64  `json:"requestId"`
		Action    string `json:"action"`
		Status    string `json:"status"`
	} `json:"sessions"`
	Charges []struct {
		InternalReference int64      `json:"internalReference"`
		Status            string     `json:"status"`
		Amount            *moneyJSON `json:"amount"`
		Source            string     `json:"source"`
		Deliveries        int        `json:"deliveries"`
	} `json:"charges"`
}

type openedEnrolmentJSON struct {
	ID         string `json:"id"`
	RequestID  int64  `json:"requestId"`
	ProcessURL string `json:"processUrl"`
	Status     string `json:"status"`
}

func nextMonth() string { return time.Now().AddDate(0, 1, 0).Format(time.DateOnly) }

func fixedAutopayBody(reference, total string) map[string]any {
	return map[string]any{
		"reference": reference, "description": "Monthly plan", "dueDay": 15,
		"recurring": map[string]any{"type": "FIXED", "periodicity": "M", "interval": 1, "nextPayment": nextMonth(), "maxPeriods": 12},
		"amount":    map[string]string{"currency": "USD", "total": total},
		"buyer":     map[string]string{"name": "Ada", "surname": "Lovelace", "email": "ada@example.com"},
		"returnUrl": shopReturnURL,
	}
}

func (h *autopayHarness) get(id string, refresh bool) enrolmentJSON {
	h.t.Helper()
	path := "/v1/autopay/" + id
	if refresh {
		path += "?refresh=true"
	}
	code, raw := h.call(h.gateways[0], http.MethodGet, path, nil)
	if code != http.StatusOK {
		h.t.Fatalf("GET %s = %d %s", path, code, raw)
	}
	var e enrolmentJSON
	h.decode(raw, &e)
	return e
}

func (h *autopayHarness) open(method, path string, body any) openedEnrolmentJSON {
	h.t.Helper()
	code, raw := h.call(h.gateways[0], method, path, body)
	if code != http.StatusCreated {
		h.t.Fatalf("%s %s = %d %s, want 201", method, path, code, raw)
	}
	var o openedEnrolmentJSON
	h.decode(raw, &o)
	if o.ID == "" || o.RequestID == 0 || o.ProcessURL == "" {
		h.t.Fatalf("%s %s = %s: want id, requestId and processUrl", method, path, raw)
	}
	return o
}

// activeEnrolment opens a FIXED enrolment of total, pays its session as the shopper and
// waits until the gateway has it active.
func (h *autopayHarness) activeEnrolment(reference, total string) enrolmentJSON {
	h.t.Helper()
	o := h.open(http.MethodPost, "/v1/autopay", fixedAutopayBody(reference, total))
	h.pay(o.RequestID, cardApprove)
	h.waitDB("enrolment active", 15*time.Second, `SELECT status = 'active' FROM autopays WHERE id = $1`, o.ID)
	return h.get(o.ID, false)
}

// charge makes the sandbox charge an autopay's token now.
func (h *autopayHarness) charge(autopayID string, c sandbox.AutopayCharge) sandbox.ChargeRecord {
	h.t.Helper()
	ch, err := h.sandbox.ChargeAutopay(h.t.Context(), autopayID, c)
	if err != nil {
		h.t.Fatalf("sandbox charge %s: %v", autopayID, err)
	}
	return ch
}

// post sends body to a gateway webhook path with the given Basic credentials (none when
// user is empty).
func (h *autopayHarness) post(path, user, pass string, body []byte) (int, []byte) {
	h.t.Helper()
	req, err := http.NewRequest(http.MethodPost, h.gateways[0].url+path, bytes.NewReader(body))
	if err != nil {
		h.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if user != "" {
		req.SetBasicAuth(user, pass)
	}
	resp, err := harnessClient.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, out
}

// ofEnrolment keeps the events of type typ about autopay enrolment id.
func ofEnrolment(id, typ string) func(feedEvent) bool {
	return func(ev feedEvent) bool { return ev.EnrolmentID == id && ev.Type == typ }
}

func TestAutopayLifecycle(t *testing.T) {
	h := newAutopayHarness(t)

	// Create: the enrolment is pending until the shopper completes PlacetoPay's page.
	o := h.open(http.MethodPost, "/v1/autopay", fixedAutopayBody("ACC-0001", "25.00"))
	if o.Status != "pending" {
		t.Fatalf("create status = %s, want pending", o.Status)
	}
	if e := h.get(o.ID, false); e.Status != "pending" || e.AutopayID != "" || len(e.Sessions) != 1 || e.Amount == nil || e.Amount.Total != "25.00" {
		t.Fatalf("new enrolment = %+v", e)
	}

	// The shopper saves a card: AUTOPAY_CREATED, and the gateway's own queries link and
	// activate the enrolment.
	h.pay(o.RequestID, cardApprove)
	h.waitDB("enrolment active", 15*time.Second,
		`SELECT status = 'active' AND provider_id IS NOT NULL FROM autopays WHERE id = $1`, o.ID)
	e := h.get(o.ID, false)
	if e.AutopayID == "" || e.Instrument["lastDigits"] != "0081" || e.DueDay != 15 || e.Sessions[0].Status != "APPROVED" {
		t.Fatalf("active enrolment = %+v", e)
	}
	h.waitDB("AUTOPAY_CREATED processed", 15*time.Second,
		`SELECT count(*) = 1 FROM notifications WHERE kind = 'autopay' AND status = 'AUTOPAY_CREATED' AND processed_at IS NOT NULL`)
	if n := h.count(`SELECT count(*) FROM autopays WHERE instrument::text LIKE '%token%'`); n != 0 {
		t.Fatalf("%d enrolments keep a token", n)
	}
	_, raw := h.call(h.gateways[0], http.MethodGet, "/v1/autopay/"+o.ID+"?refresh=true", nil)
	if strings.Contains(string(raw), "token") {
		t.Fatalf("GET shows a token: %s", raw)
	}
	// The merchant hears of it: autopay.updated, pending to active, whatever the webhook
	// and the refresh repeat.
	ev := h.waitEvents(h.gateways[0], 1, 10*time.Second, ofEnrolment(o.ID, "autopay.updated"))[0]
	if ev.Data["status"] != "active" || ev.Data["previousStatus"] != "pending" || ev.Data["autopayId"] != e.AutopayID || ev.OrderID != "" {
		t.Fatalf("autopay.updated on activation = %+v, want pending to active with PlacetoPay's id", ev)
	}

	// Search.
	for _, c := range []struct {
		query string
		want  int
	}{{"reference=ACC-0001", 1}, {"reference=ACC-0001&status=active", 1}, {"status=cancelled", 0}, {"reference=OTHER", 0}} {
		code, raw := h.call(h.gateways[0], http.MethodGet, "/v1/autopay?"+c.query, nil)
		var list struct {
			Data []enrolmentJSON `json:"data"`
		}
		h.decode(raw, &list)
		if code != http.StatusOK || len(list.Data) != c.want {
			t.Errorf("GET /v1/autopay?%s = %d with %d enrolments, want 200 with %d", c.query, code, len(list.Data), c.want)
		}
	}

	// Edit: a new amount, confirmed on PlacetoPay's page, then AUTOPAY_UPDATED.
	ed := h.open(http.MethodPost, "/v1/autopay/"+o.ID+"/edit", map[string]any{"description": "Monthly plan, upgraded", "amount": map[string]string{"currency": "USD", "total": "30.00"}})
	h.pay(ed.RequestID, cardApprove)
	h.waitDB("edit applied", 15*time.Second,
		`SELECT amount_minor = 3000 AND description = 'Monthly plan, upgraded' FROM autopays WHERE id = $1`, o.ID)
	h.waitDB("AUTOPAY_UPDATED processed", 15*time.Second,
		`SELECT count(*) = 1 FROM notifications WHERE kind = 'autopay' AND status = 'AUTOPAY_UPDATED' AND processed_at IS NOT NULL`)
	if n := h.count(`SELECT count(*) FROM autopay_sessions WHERE request_id = $1 AND action = 'EDIT' AND status = 'APPROVED'`, ed.RequestID); n != 1 {
		t.Errorf("edit session %d not recorded APPROVED", ed.RequestID)
	}
	updated := h.waitEvents(h.gateways[0], 2, 10*time.Second, ofEnrolment(o.ID, "autopay.updated"))
	if d := updated[1].Data; d["status"] != "active" || d["description"] != "Monthly plan, upgraded" || member(d, "amount")["total"] != "30.00" {
		t.Errorf("autopay.updated after the edit = %v, want the new terms", d)
	}

	// An approved charge whose settlement arrives twice is recorded once, approved by the
	// gateway's own query.
	ch := h.charge(e.AutopayID, sandbox.AutopayCharge{Settlements: 2})
	if len(ch.Settlements) != 2 || ch.Settlements[0].Status != 200 || ch.Settlements[1].Status != 200 {
		t.Fatalf("settlements = %+v, want two answered 200", ch.Settlements)
	}
	if n := h.count(`SELECT count(*) FROM autopay_charges WHERE internal_reference = $1 AND status = 'approved' AND deliveries = 2 AND verified_at IS NOT NULL`, ch.InternalReference); n != 1 {
		t.Fatalf("approved charges recorded for %d = %d, want 1 with 2 deliveries", ch.InternalReference, n)
	}
	ev = h.waitEvents(h.gateways[0], 1, 10*time.Second, ofEnrolment(o.ID, "autopay.charged"))[0]
	if c := member(ev.Data, "charge"); integer(c["internalReference"]) != ch.InternalReference || c["status"] != "approved" ||
		member(c, "amount")["total"] != "30.00" || ev.Data["autopayId"] != e.AutopayID {
		t.Errorf("autopay.charged = %v, want charge %d approved for 30.00", ev.Data, ch.InternalReference)
	}

	// A declined charge: AUTOPAY_TRANSACTION_FAILED, recorded from the gateway's query.
	failed := h.charge(e.AutopayID, sandbox.AutopayCharge{Fail: true})
	h.waitDB("failed charge recorded", 15*time.Second,
		`SELECT count(*) = 1 FROM autopay_charges WHERE internal_reference = $1 AND status = 'failed' AND source = 'webhook'`, failed.InternalReference)
	e = h.get(o.ID, false)
	if len(e.Charges) != 2 || e.Charges[0].Status != "approved" || e.Charges[0].Amount == nil || e.Charges[0].Amount.Total != "30.00" ||
		e.Charges[0].Deliveries != 2 || e.Charges[1].Status != "failed" {
		t.Fatalf("charges = %+v", e.Charges)
	}
	ev = h.waitEvents(h.gateways[0], 1, 10*time.Second, ofEnrolment(o.ID, "autopay.failed"))[0]
	if c := member(ev.Data, "charge"); integer(c["internalReference"]) != failed.InternalReference || c["status"] != "failed" {
		t.Errorf("autopay.failed = %v, want charge %d failed", ev.Data, failed.InternalReference)
	}

	// Cancel: PlacetoPay cancels it, the search confirms it, AUTOPAY_CANCELED arrives.
	code, raw := h.call(h.gateways[0], http.MethodPost, "/v1/autopay/"+o.ID+"/cancel", nil)
	var cancelled enrolmentJSON
	h.decode(raw, &cancelled)
	if code != http.StatusOK || cancelled.Status != "cancelled" {
		t.Fatalf("cancel = %d %s, want 200 cancelled", code, raw)
	}
	h.waitDB("AUTOPAY_CANCELED processed", 15*time.Second,
		`SELECT count(*) = 1 FROM notifications WHERE kind = 'autopay' AND status = 'AUTOPAY_CANCELED' AND processed_at IS NOT NULL`)
	ev = h.waitEvents(h.gateways[0], 1, 10*time.Second, ofEnrolment(o.ID, "autopay.cancelled"))[0]
	if ev.Data["status"] != "cancelled" || ev.Data["previousStatus"] != "active" {
		t.Errorf("autopay.cancelled = %v, want active to cancelled", ev.Data)
	}
	// Each event once, in the order of the changes; none about an order.
	var types []string
	for _, ev := range h.feed(h.gateways[0]) {
		if ev.EnrolmentID == o.ID {
			types = append(types, ev.Type)
		}
	}
	if want := []string{"autopay.updated", "autopay.updated", "autopay.charged", "autopay.failed", "autopay.cancelled"}; !slices.Equal(types, want) {
		t.Errorf("the enrolment's events = %v, want %v", types, want)
	}
	if code, raw := h.call(h.gateways[0], http.MethodPost, "/v1/autopay/"+o.ID+"/edit", map[string]any{"description": "again"}); code != http.StatusConflict {
		t.Fatalf("edit of a cancelled autopay = %d %s, want 409", code, raw)
	}
}

func TestAutopayWebhookAuthentication(t *testing.T) {
	h := newAutopayHarness(t)
	e := h.activeEnrolment("ACC-0002", "10.00")
	notifications := h.count(`SELECT count(*) FROM notifications`)

	date := time.Now().Format("2006-01-02 15:04:05")
	cancelBody := func(sig string) []byte {
		b, _ := json.Marshal(map[string]any{"id": e.AutopayID, "reference": "ACC-0002", "type": "AUTOPAY_CANCELED", "date": date, "signature": sig})
		return b
	}
	good := cancelBody(placetopay.AutopaySignature(e.AutopayID, "AUTOPAY_CANCELED", date, placetopaySecretKey))
	forged := cancelBody(placetopay.AutopaySignature(e.AutopayID, "AUTOPAY_CANCELED", date, "not-the-secret"))
	settlement := []byte(fmt.Sprintf(`{"reference":"ACC-0002","id":%q,"transaction":{"status":{"status":"APPROVED","reason":"00","message":"ok"},"internalReference":99887766,"reference":"ACC-0002","amount":{"currency":"USD","total":"10.00"},"processorFields":[{"keyword":"bin","value":"411111"},{"keyword":"expiration","value":"12/29"}]}}`, e.AutopayID))

	for _, c := range []struct {
		name, path, user, pass string
		body                   []byte
		want                   int
	}{
		{"webhook without credentials", "/webhooks/placetopay/autopay", "", "", good, 401},
		{"webhook with a wrong password", "/webhooks/placetopay/autopay", autopayHookUser, autopayHookPass + "x", good, 401},
		{"webhook with a wrong user", "/webhooks/placetopay/autopay/webhook", "someone", autopayHookPass, good, 401},
		{"forged signature", "/webhooks/placetopay/autopay", autopayHookUser, autopayHookPass, forged, 400},
		{"malformed webhook", "/webhooks/placetopay/autopay", autopayHookUser, autopayHookPass, []byte(`{"id":`), 400},
		{"settlement without credentials", "/webhooks/placetopay/autopay/settlement", "", "", settlement, 401},
		{"settlement with a wrong password", "/webhooks/placetopay/autopay/settlement", autopayHookUser, "wrong", settlement, 401},
		{"malformed settlement", "/webhooks/placetopay/autopay/settlement", autopayHookUser, autopayHookPass, []byte(`{"id":"x"}`), 400},
	} {
		code, raw := h.post(c.path, c.user, c.pass, c.body)
		if code != c.want {
			t.Errorf("%s = %d %s, want %d", c.name, code, raw, c.want)
		}
	}
	if n := h.count(`SELECT count(*) FROM notifications`); n != notifications {
		t.Errorf("notifications = %d after refused calls, want %d", n, notifications)
	}
	if n := h.count(`SELECT count(*) FROM autopay_charges`); n != 0 {
		t.Errorf("charges = %d after refused settlements, want 0", n)
	}
	if got := h.get(e.ID, false); got.Status != "active" {
		t.Errorf("enrolment = %s after refused calls, want active", got.Status)
	}

	// A genuine webhook body does not decide by itself: PlacetoPay still reports the autopay
	// active, so it stays active.
	if code, raw := h.post("/webhooks/placetopay/autopay", autopayHookUser, autopayHookPass, good); code != 200 || !strings.Contains(string(raw), `"OK"`) {
		t.Fatalf("signed webhook = %d %s, want 200 OK", code, raw)
	}
	if got := h.get(e.ID, false); got.Status != "active" {
		t.Errorf("enrolment = %s after a webhook PlacetoPay's search contradicts, want active", got.Status)
	}
	// The same webhook again is stored once.
	h.post("/webhooks/placetopay/autopay", autopayHookUser, autopayHookPass, good)
	if n := h.count(`SELECT count(*) FROM notifications WHERE status = 'AUTOPAY_CANCELED' AND duplicates = 1`); n != 1 {
		t.Errorf("repeated webhook rows = %d, want 1 with one duplicate", n)
	}

	// A settlement PlacetoPay's transactions do not show stays reported, never approved.
	if code, raw := h.post("/webhooks/placetopay/autopay/settlement", autopayHookUser, autopayHookPass, settlement); code != 200 {
		t.Fatalf("settlement = %d %s, want 200", code, raw)
	}
	if n := h.count(`SELECT count(*) FROM autopay_charges WHERE internal_reference = 99887766 AND status = 'reported'`); n != 1 {
		t.Errorf("unconfirmed settlement rows = %d, want 1 reported", n)
	}
	// What is kept of the settlement carries no card data (processorFields: BIN, expiry).
	var kept string
	if err := h.db.QueryRow(context.Background(), `SELECT convert_from(settlement, 'UTF8') FROM autopay_charges WHERE internal_reference = 99887766`).Scan(&kept); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(kept, "411111") || strings.Contains(kept, "12/29") || strings.Contains(kept, "processorFields") || !strings.Contains(kept, "99887766") {
		t.Errorf("stored settlement = %s, want its transaction without processorFields", kept)
	}
}

func TestAutopayInvalidInput(t *testing.T) {
	h := newAutopayHarness(t)
	before := h.autopayCalls.Load()
	mutate := func(f func(b map[string]any)) map[string]any {
		b := fixedAutopayBody("ACC-0003", "25.00")
		f(b)
		return b
	}
	rec := func(typ string) map[string]any {
		return map[string]any{"type": typ, "periodicity": "M", "interval": 1, "nextPayment": nextMonth()}
	}
	for _, c := range []struct {
		name, field string
		body        map[string]any
	}{
		{"dueDay 29", "dueDay", mutate(func(b map[string]any) { b["dueDay"] = 29 })},
		{"dueDay 0", "dueDay", mutate(func(b map[string]any) { b["dueDay"] = 0 })},
		{"FIXED without amount", "amount", mutate(func(b map[string]any) { delete(b, "amount") })},
		{"amount with MINIMUM_BALANCE", "amount", mutate(func(b map[string]any) { b["recurring"] = rec("MINIMUM_BALANCE") })},
		{"amount with TOTAL_BALANCE", "amount", mutate(func(b map[string]any) { b["recurring"] = rec("TOTAL_BALANCE") })},
		{"three decimals", "amount.total", mutate(func(b map[string]any) { b["amount"] = map[string]string{"currency": "USD", "total": "10.005"} })},
		{"unknown type", "recurring.type", mutate(func(b map[string]any) { b["recurring"] = rec("WEEKLY") })},
		{"past nextPayment", "recurring.nextPayment", mutate(func(b map[string]any) {
			b["recurring"] = map[string]any{"type": "FIXED", "periodicity": "M", "interval": 1, "nextPayment": "2020-01-01"}
		})},
		{"no reference", "reference", mutate(func(b map[string]any) { delete(b, "reference") })},
		{"no returnUrl", "returnUrl", mutate(func(b map[string]any) { delete(b, "returnUrl") })},
	} {
		code, raw := h.call(h.gateways[0], http.MethodPost, "/v1/autopay", c.body)
		var p struct {
			Field string `json:"field"`
		}
		_ = json.Unmarshal(raw, &p)
		if code != http.StatusUnprocessableEntity || p.Field != c.field {
			t.Errorf("%s = %d %s, want 422 on %s", c.name, code, raw, c.field)
		}
	}
	if n := h.autopayCalls.Load() - before; n != 0 {
		t.Errorf("%d calls reached PlacetoPay for invalid input, want 0", n)
	}
	if n := h.count(`SELECT count(*) FROM autopays`); n != 0 {
		t.Errorf("%d enrolments stored for invalid input, want 0", n)
	}

	// A valid MINIMUM_BALANCE enrolment (no amount) does reach PlacetoPay.
	ok := mutate(func(b map[string]any) { b["recurring"] = rec("MINIMUM_BALANCE"); delete(b, "amount") })
	if o := h.open(http.MethodPost, "/v1/autopay", ok); o.Status != "pending" {
		t.Fatalf("MINIMUM_BALANCE create = %+v", o)
	}
	if h.autopayCalls.Load() == before {
		t.Error("a valid create did not reach PlacetoPay")
	}
}

// The same settlement delivered many times at once, as PlacetoPay may, records one charge.
func TestAutopaySettlementConcurrentDeliveries(t *testing.T) {
	h := newAutopayHarness(t)
	e := h.activeEnrolment("ACC-0004", "15.00")
	ch := h.charge(e.AutopayID, sandbox.AutopayCharge{})

	// The settlement exactly as the sandbox posted it.
	calls, err := h.sandbox.AutopayCalls(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	var body []byte
	for _, c := range calls {
		if c.Kind == "settlement" {
			body = c.Body
		}
	}
	if body == nil {
		t.Fatalf("sandbox calls = %+v: no settlement", calls)
	}
	const n = 8
	codes := sendAtOnce(n, func() *http.Request {
		req, _ := http.NewRequest(http.MethodPost, h.gateways[0].url+"/webhooks/placetopay/autopay/settlement", bytes.NewReader(body))
		req.SetBasicAuth(autopayHookUser, autopayHookPass)
		return req
	})
	for _, c := range codes {
		if c != http.StatusOK {
			t.Errorf("concurrent settlement answered %d, want 200", c)
		}
	}
	if got := h.count(`SELECT count(*) FROM autopay_charges`); got != 1 {
		t.Fatalf("charges = %d, want 1", got)
	}
	if got := h.count(`SELECT deliveries FROM autopay_charges WHERE internal_reference = $1 AND status = 'approved'`, ch.InternalReference); got != n+1 {
		t.Errorf("deliveries = %d, want %d", got, n+1)
	}
}

// An enrolment's edits and cancels before it is active are 409s, PATCH edits like POST .../edit, and the autopay API failing is a 502 that changes nothing.
func TestAutopayConflictsPatchAndOutage(t *testing.T) {
	h := newAutopayHarness(t)
	g := h.gateways[0]
	o := h.open(http.MethodPost, "/v1/autopay", fixedAutopayBody("ACC-0009", "25.00"))
	want := func(status int, method, path string, body any) {
		t.Helper()
		if code, raw := h.call(g, method, path, body); code != status {
			t.Errorf("%s %s = %d, want %d: %s", method, path, code, status, raw)
		}
	}
	edit := map[string]any{"description": "Monthly plan, upgraded"}
	want(http.StatusConflict, http.MethodPost, "/v1/autopay/"+o.ID+"/edit", edit)
	want(http.StatusConflict, http.MethodPatch, "/v1/autopay/"+o.ID, edit)
	want(http.StatusConflict, http.MethodPost, "/v1/autopay/"+o.ID+"/cancel", nil)

	h.pay(o.RequestID, cardApprove)
	h.waitDB("enrolment active", 15*time.Second,
		`SELECT status = 'active' AND provider_id IS NOT NULL FROM autopays WHERE id = $1`, o.ID)

	h.autopayDown.Store(true)
	want(http.StatusBadGateway, http.MethodGet, "/v1/autopay/"+o.ID+"?refresh=true", nil)
	want(http.StatusBadGateway, http.MethodPatch, "/v1/autopay/"+o.ID, edit)
	want(http.StatusBadGateway, http.MethodPost, "/v1/autopay/"+o.ID+"/edit", edit)
	want(http.StatusBadGateway, http.MethodPost, "/v1/autopay/"+o.ID+"/cancel", nil)
	if e := h.get(o.ID, false); e.Status != "active" {
		t.Errorf("after the outage the enrolment is %s, want active", e.Status)
	}
	h.autopayDown.Store(false)

	if ed := h.open(http.MethodPatch, "/v1/autopay/"+o.ID, edit); ed.RequestID == 0 || ed.ProcessURL == "" {
		t.Errorf("PATCH edit = %+v, want a session", ed)
	}
}
