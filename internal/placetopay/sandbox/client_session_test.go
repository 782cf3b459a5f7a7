package sandbox_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/placetopay-gateway/gateway/internal/placetopay"
)

func decimalPtr(d placetopay.Decimal) *placetopay.Decimal { return &d }

// sessionRequests are the session options of the "Create a Session" page, each as the client sends them.
func sessionRequests() []struct {
	name    string
	req     placetopay.CreateSessionRequest
	expires time.Duration // from creation
} {
	type tc = struct {
		name    string
		req     placetopay.CreateSessionRequest
		expires time.Duration
	}
	basic := basicRequest("S-BASIC", "123.45")

	partial := basicRequest("S-PARTIAL", "100.00")
	partial.Payment.AllowPartial = true

	recurring := basicRequest("S-RECUR", "15.90")
	recurring.Payment.Recurring = &placetopay.Recurring{
		Periodicity: "M", Interval: 1, NextPayment: "2026-04-02", MaxPeriods: 12,
		DueDate: "2027-03-02", NotificationURL: "https://shop.example/recurring",
	}

	dispersion := basicRequest("S-DISP", "100.00")
	dispersion.Payment.Dispersion = []placetopay.Dispersion{
		{Agreement: "30", AgreementType: "MERCHANT", Amount: placetopay.Amount{Currency: "USD", Total: "50.00"}},
		{Agreement: "31", AgreementType: "MERCHANT", Amount: placetopay.Amount{Currency: "USD", Total: "30.00"}},
		{Agreement: "AIR-7", AgreementType: "AIRLINE", Amount: placetopay.Amount{Currency: "USD", Total: "20.00"}},
	}

	checkin := basicRequest("S-CHECKIN", "250.00")
	checkin.Type = placetopay.SessionTypeCheckin

	subscription := basicRequest("S-SUB", "0")
	subscription.Payment = nil
	subscription.Subscription = &placetopay.SubscriptionRequest{
		Reference: "S-SUB", Description: "Save a card",
		Fields: placetopay.NameValuePairs{{Keyword: "plan", Value: json.RawMessage(`"gold"`), DisplayOn: "none"}},
	}

	subscribe := basicRequest("S-SUBSCRIBE", "9.99")
	subscribe.Payment.Subscribe = true

	full := basicRequest("S-FULL", "124.00")
	full.Buyer = &placetopay.Person{
		Document: "1122334455", DocumentType: "CE", Name: "Grace", Surname: "Hopper", Company: "Navy",
		Email: "grace@example.com", Mobile: "+573001234567",
		Address: &placetopay.Address{Street: "Calle 1 # 2-3", City: "Medellín", State: "Antioquia", PostalCode: "050021", Country: "CO", Phone: "6045550000"},
	}
	full.Payment.Shipping = &placetopay.Person{
		Name: "Grace", Surname: "Hopper", Email: "ship@example.com",
		Address: &placetopay.Address{Street: "Carrera 7 # 8-9", City: "Bogotá", Country: "CO"},
	}
	full.Payment.Items = []placetopay.Item{
		{SKU: "NB-1", Name: "Notebook", Category: "physical", Qty: 2, Price: "40.00", Tax: decimalPtr("7.60")},
		{SKU: "PEN-1", Name: "Pen", Category: "physical", Qty: 1, Price: "20.00"},
	}
	full.Payment.Amount.Taxes = []placetopay.Tax{{Kind: "valueAddedTax", Amount: "19.00", Base: decimalPtr("100.00")}}
	full.Payment.Amount.Details = []placetopay.AmountDetail{{Kind: "shipping", Amount: "5.00"}}
	full.Payment.Fields = placetopay.NameValuePairs{{Keyword: "orderId", Value: json.RawMessage(`"A-1"`), DisplayOn: "both"}}
	full.Fields = placetopay.NameValuePairs{{Keyword: "channel", Value: json.RawMessage(`"web"`), DisplayOn: "none"}}
	full.PaymentMethod = "visa,master"
	full.CancelURL = "https://shop.example/cancel/S-FULL"
	full.SkipResult, full.NoBuyerFill = true, true

	confirm := basicRequest("S-CONFIRM", "77.70")
	confirm.Metadata = &placetopay.Metadata{RequiresConfirmation: true}

	explicit := basicRequest("S-EXPIRES", "5.00")
	explicit.Expiration = crossEpoch.Add(10 * time.Minute).Format(time.RFC3339)

	return []tc{
		{"basic", basic, 30 * time.Minute},
		{"partial", partial, 30 * time.Minute},
		{"recurring", recurring, 30 * time.Minute},
		{"dispersion", dispersion, 30 * time.Minute},
		{"checkin", checkin, 30 * time.Minute},
		{"subscription", subscription, 30 * time.Minute},
		{"subscribe", subscribe, 30 * time.Minute},
		{"buyer payer shipping items taxes", full, 30 * time.Minute},
		{"requiresConfirmation", confirm, 30 * time.Minute},
		{"explicit expiration", explicit, 10 * time.Minute},
	}
}

// checkEcho compares the request a query echoes with what was sent: the sandbox adds the
// expiration and the _processUrl_ field, and drops auth.
func checkEcho(t *testing.T, info *placetopay.SessionInformation, sent placetopay.CreateSessionRequest, processURL string, expires time.Time) {
	t.Helper()
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(info.Request, &raw); err != nil {
		t.Fatalf("request echo %s: %v", info.Request, err)
	}
	if _, ok := raw["auth"]; ok {
		t.Error("the request echo carries auth")
	}
	got, err := info.CreateRequest()
	if err != nil {
		t.Fatalf("CreateRequest: %v", err)
	}
	want := sent
	want.Fields = append(slices.Clone(sent.Fields), placetopay.NameValuePair{
		Keyword: "_processUrl_", Value: json.RawMessage(strconv.Quote(processURL)), DisplayOn: "none",
	})
	if d := cmp.Diff(want, got, cmpopts.IgnoreFields(placetopay.CreateSessionRequest{}, "Expiration")); d != "" {
		t.Errorf("request echo (-sent +echoed):\n%s", d)
	}
	exp, err := time.Parse(time.RFC3339, got.Expiration)
	if err != nil || !exp.Equal(expires) {
		t.Errorf("echoed expiration %q (%v), want %s", got.Expiration, err, expires)
	}
}

// TestClientCreateAndQuerySession creates every kind of session through the client and
// reads it back: PENDING, nothing paid, and the request echoed as sent.
func TestClientCreateAndQuerySession(t *testing.T) {
	e := newEnv(t)
	for _, tc := range sessionRequests() {
		t.Run(tc.name, func(t *testing.T) {
			created := e.create(tc.req)
			prefix := fmt.Sprintf("%s/session/%d/", e.url, created.RequestID)
			if !strings.HasPrefix(created.ProcessURL, prefix) || len(created.ProcessURL) != len(prefix)+32 {
				t.Errorf("processUrl = %q, want %s + 32 hex", created.ProcessURL, prefix)
			}
			info := e.query(created.RequestID)
			wantStatus(t, "session", info.Status, "PENDING/PT")
			if info.Payment != nil || info.Subscription != nil {
				t.Errorf("a new session has payment %v, subscription %v", info.Payment, info.Subscription)
			}
			if aps, err := info.Autopays(); err != nil || aps != nil {
				t.Errorf("Autopays() = %v, %v; want none", aps, err)
			}
			if _, ok := info.LastApprovedTransaction(); ok {
				t.Error("a new session has an approved transaction")
			}
			checkEcho(t, info, tc.req, created.ProcessURL, crossEpoch.Add(tc.expires))
		})
	}
}

// cardCase is a test card and what the sandbox documents it does.
type cardCase struct {
	name, card            string
	franchise, method     string
	pending               bool
	session, tx, txReason string
}

var cardCases = []cardCase{
	{"visa approves", visaApprove, "CR_VS", "visa", false, "APPROVED/00", "APPROVED", "00"},
	{"mastercard approves", masterApprove, "CR_MC", "master", false, "APPROVED/00", "APPROVED", "00"},
	{"amex approves", amexApprove, "CR_AM", "amex", false, "APPROVED/00", "APPROVED", "00"},
	{"diners approves", dinersApprove, "CR_DN", "diners", false, "APPROVED/00", "APPROVED", "00"},
	{"visa denies", visaDeny, "CR_VS", "visa", false, "PENDING/PT", "REJECTED", "05"},
	{"pending then approved", visaPendingApprove, "CR_VS", "visa", true, "APPROVED/00", "APPROVED", "00"},
	{"pending then rejected", visaPendingReject, "CR_VS", "visa", true, "PENDING/PT", "REJECTED", "05"},
}

// TestClientPayWithTestCards pays a session with each kind of test card through the
// control API and reads the outcome through the client.
func TestClientPayWithTestCards(t *testing.T) {
	e := newEnv(t)
	for i, tc := range cardCases {
		t.Run(tc.name, func(t *testing.T) {
			ref := fmt.Sprintf("PAY-%d", i)
			created := e.create(basicRequest(ref, "123.45"))
			ctl := e.pay(int64(created.RequestID), tc.card)
			if len(ctl.Payments) != 1 {
				t.Fatalf("control view has %d payments, want 1", len(ctl.Payments))
			}
			ref64 := ctl.Payments[0].InternalReference
			want := txWant{
				ref: ref64, reference: ref, total: "123.45", currency: "USD",
				franchise: tc.franchise, method: tc.method, lastDigits: tc.card[len(tc.card)-4:],
			}
			if tc.pending {
				info := e.query(created.RequestID)
				wantStatus(t, "pending session", info.Status, "PENDING/PT")
				if len(info.Payment) != 1 {
					t.Fatalf("pending session has %d payments, want 1", len(info.Payment))
				}
				w := want
				w.status, w.reason = "PENDING", "?-"
				checkTx(t, info.Payment[0], w)
				e.advance(5 * time.Minute)
			}
			info := e.query(created.RequestID)
			wantStatus(t, "session", info.Status, tc.session)
			if len(info.Payment) != 1 {
				t.Fatalf("session has %d payments, want 1", len(info.Payment))
			}
			want.status, want.reason = tc.tx, tc.txReason
			checkTx(t, info.Payment[0], want)
			if a := info.Payment[0].Amount; a == nil || a.From.Total != "123.45" || a.To.Total != "123.45" {
				t.Errorf("amount %+v, want exactly 123.45 from and to", a)
			}
			last, ok := info.LastApprovedTransaction()
			if approved := tc.tx == placetopay.StatusApproved; ok != approved || (ok && int64(last.InternalReference) != ref64) {
				t.Errorf("LastApprovedTransaction = %d, %v; want %d, %v", last.InternalReference, ok, ref64, approved)
			}
			if info.Subscription != nil {
				t.Errorf("a payment without subscribe has a subscription: %+v", info.Subscription)
			}
			// A second query says exactly the same.
			if d := cmp.Diff(info, e.query(created.RequestID)); d != "" {
				t.Errorf("second query differs (-first +second):\n%s", d)
			}
		})
	}
}

// TestClientLastApprovedTransaction: payments are listed newest first and the newest
// approved one is picked.
func TestClientLastApprovedTransaction(t *testing.T) {
	e := newEnv(t)
	t.Run("declined then approved", func(t *testing.T) {
		created := e.create(basicRequest("LAT-1", "10.00"))
		e.pay(int64(created.RequestID), visaDeny)
		ctl := e.pay(int64(created.RequestID), masterApprove)
		info := e.query(created.RequestID)
		wantStatus(t, "session", info.Status, "APPROVED/00")
		got := []string{}
		for _, p := range info.Payment {
			got = append(got, fmt.Sprintf("%d %s", p.InternalReference, p.Status.Status))
		}
		want := []string{
			fmt.Sprintf("%d APPROVED", ctl.Payments[1].InternalReference),
			fmt.Sprintf("%d REJECTED", ctl.Payments[0].InternalReference),
		}
		if d := cmp.Diff(want, got); d != "" {
			t.Errorf("payments, newest first (-want +got):\n%s", d)
		}
		last, ok := info.LastApprovedTransaction()
		if !ok || int64(last.InternalReference) != ctl.Payments[1].InternalReference || last.Franchise != "CR_MC" {
			t.Errorf("LastApprovedTransaction = %d %s, %v", last.InternalReference, last.Franchise, ok)
		}
	})
	t.Run("partial paid in two parts", func(t *testing.T) {
		req := basicRequest("LAT-2", "100.25")
		req.Payment.AllowPartial = true
		created := e.create(req)
		id := int64(created.RequestID)
		e.payPart(id, visaApprove, "40.00")
		info := e.query(created.RequestID)
		wantStatus(t, "session after the first part", info.Status, "APPROVED_PARTIAL/P0")
		ctl := e.payPart(id, amexApprove, "60.25")
		info = e.query(created.RequestID)
		wantStatus(t, "session after the second part", info.Status, "APPROVED/00")
		if len(info.Payment) != 2 {
			t.Fatalf("%d payments, want 2", len(info.Payment))
		}
		checkTx(t, info.Payment[0], txWant{
			status: "APPROVED", reason: "00", ref: ctl.Payments[1].InternalReference, reference: "LAT-2",
			total: "60.25", currency: "USD", franchise: "CR_AM", method: "amex", lastDigits: "3005",
		})
		checkTx(t, info.Payment[1], txWant{
			status: "APPROVED", reason: "00", ref: ctl.Payments[0].InternalReference, reference: "LAT-2",
			total: "40.00", currency: "USD", franchise: "CR_VS", method: "visa", lastDigits: "0081",
		})
		if last, ok := info.LastApprovedTransaction(); !ok || int64(last.InternalReference) != ctl.Payments[1].InternalReference {
			t.Errorf("LastApprovedTransaction = %d, %v; want the newest, %d", last.InternalReference, ok, ctl.Payments[1].InternalReference)
		}
	})
}

// TestClientSubscriptionToken: a subscription session and a payment with subscribe both
// return the token the sandbox issued, in subscription.instrument.
func TestClientSubscriptionToken(t *testing.T) {
	e := newEnv(t)
	sub := basicRequest("TOK-SUB", "1")
	sub.Payment, sub.Subscription = nil, &placetopay.SubscriptionRequest{Reference: "TOK-SUB", Description: "Save a card"}
	subscribe := basicRequest("TOK-PAY", "45.60")
	subscribe.Payment.Subscribe = true
	cases := []struct {
		name     string
		req      placetopay.CreateSessionRequest
		card     string
		payments int
	}{
		{"subscription session", sub, masterApprove, 0},
		{"payment with subscribe", subscribe, visaApprove, 1},
		{"subscription with a pending card", sub, visaPendingApprove, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			created := e.create(tc.req)
			ctl := e.pay(int64(created.RequestID), tc.card)
			info := e.query(created.RequestID)
			wantStatus(t, "session", info.Status, "APPROVED/00")
			if len(info.Payment) != tc.payments {
				t.Errorf("%d payments, want %d", len(info.Payment), tc.payments)
			}
			if info.Subscription == nil {
				t.Fatal("no subscription in the query")
			}
			wantStatus(t, "subscription", info.Subscription.Status, "OK/00")
			got := map[string]string{}
			for _, k := range []string{"token", "subtoken", "lastDigits"} {
				got[k], _ = info.Subscription.Instrument.Lookup(k)
			}
			want := map[string]string{"token": ctl.Token["token"], "subtoken": ctl.Token["subtoken"], "lastDigits": tc.card[len(tc.card)-4:]}
			if d := cmp.Diff(want, got); d != "" || want["token"] == "" {
				t.Errorf("subscription instrument (-sandbox +client):\n%s", d)
			}
			if info.Subscription.Type != "token" {
				t.Errorf("subscription type %q, want token", info.Subscription.Type)
			}
		})
	}
	t.Run("declined card saves nothing", func(t *testing.T) {
		created := e.create(sub)
		e.pay(int64(created.RequestID), visaDeny)
		info := e.query(created.RequestID)
		wantStatus(t, "session", info.Status, "PENDING/PT")
		if info.Subscription != nil {
			t.Errorf("declined card gave a subscription: %+v", info.Subscription)
		}
	})
}

// TestClientExpiry drives expiry with the sandbox clock.
func TestClientExpiry(t *testing.T) {
	cases := []struct {
		name    string
		partial bool
		expires time.Duration // 0: the default
		paid    string        // a part paid before expiry
		advance time.Duration
		want    string
	}{
		{"default 30m, 29m later", false, 0, "", 29 * time.Minute, "PENDING/PT"},
		{"default 30m, 31m later", false, 0, "", 31 * time.Minute, "REJECTED/EX"},
		{"explicit 10m, 11m later", false, 10 * time.Minute, "", 11 * time.Minute, "REJECTED/EX"},
		{"partial with nothing paid", true, 0, "", 31 * time.Minute, "REJECTED/EX"},
		{"partial with one payment", true, 0, "30.00", 31 * time.Minute, "PARTIAL_EXPIRED/PX"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			req := basicRequest("EXP", "100.00")
			req.Payment.AllowPartial = tc.partial
			if tc.expires != 0 {
				req.Expiration = crossEpoch.Add(tc.expires).Format(time.RFC3339)
			}
			created := e.create(req)
			if tc.paid != "" {
				e.payPart(int64(created.RequestID), visaApprove, placetopay.Decimal(tc.paid))
			}
			e.advance(tc.advance)
			info := e.query(created.RequestID)
			wantStatus(t, "session", info.Status, tc.want)
			if tc.paid != "" {
				last, ok := info.LastApprovedTransaction()
				if !ok || last.Amount == nil || !cmp.Equal(last.Amount.From.Total, placetopay.Decimal(tc.paid), sameValue) {
					t.Errorf("LastApprovedTransaction = %+v, %v; want the %s paid", last.Amount, ok, tc.paid)
				}
			}
			if info.Status.Status != placetopay.StatusPending {
				// A final session takes no more payments.
				_, err := e.control.Pay(t.Context(), int64(created.RequestID), visaApprove)
				wantRefused(t, err, http.StatusConflict)
			}
		})
	}
}

// TestClientAttemptsLimit: the tenth declined payment rejects the session (docs/placetopay.md#expiration-and-the-attempts-limit).
func TestClientAttemptsLimit(t *testing.T) {
	e := newEnv(t)
	created := e.create(basicRequest("ATTEMPTS", "10.00"))
	id := int64(created.RequestID)
	for i := 1; i <= 9; i++ {
		e.pay(id, visaDeny)
	}
	info := e.query(created.RequestID)
	wantStatus(t, "session after 9 declines", info.Status, "PENDING/PT")
	e.pay(id, visaDeny)
	info = e.query(created.RequestID)
	wantStatus(t, "session after 10 declines", info.Status, "REJECTED/XN")
	if len(info.Payment) != 10 {
		t.Errorf("%d payments, want 10", len(info.Payment))
	}
	for _, p := range info.Payment {
		if statusOf(p.Status) != "REJECTED/05" {
			t.Errorf("payment %d is %s, want REJECTED/05", p.InternalReference, statusOf(p.Status))
		}
	}
	_, err := e.control.Pay(t.Context(), id, visaApprove)
	wantRefused(t, err, http.StatusConflict)
}

// TestClientCancelSession covers POST /api/session/{id}/cancel and its documented errors
// (docs/placetopay.md#cancel-a-session).
func TestClientCancelSession(t *testing.T) {
	e := newEnv(t)
	t.Run("pending", func(t *testing.T) {
		created := e.create(basicRequest("CANCEL-1", "10.00"))
		e.pay(int64(created.RequestID), visaDeny) // a declined attempt does not stop a cancel
		resp, err := e.client.CancelSession(t.Context(), int64(created.RequestID))
		if err != nil {
			t.Fatalf("CancelSession: %v", err)
		}
		wantStatus(t, "operation", resp.Status, "OK/00")
		if resp.Session == nil {
			t.Fatal("cancel answer has no session")
		}
		wantStatus(t, "cancelled session", resp.Session.Status, "REJECTED/MC")
		if resp.Session.RequestID != created.RequestID {
			t.Errorf("cancelled session id %d, want %d", resp.Session.RequestID, created.RequestID)
		}
		info := e.query(created.RequestID)
		wantStatus(t, "queried session", info.Status, "REJECTED/MC")
		if d := cmp.Diff(resp.Session.Status, info.Status); d != "" {
			t.Errorf("cancel answer and query disagree (-cancel +query):\n%s", d)
		}
	})
	refused := []struct {
		name    string
		partial bool
		setup   func(id int64)
	}{
		{"approved", false, func(id int64) { e.pay(id, visaApprove) }},
		{"payment in progress", false, func(id int64) { e.pay(id, visaPendingApprove) }},
		{"partially approved", true, func(id int64) { e.payPart(id, visaApprove, "4.00") }},
		{"already cancelled", false, func(id int64) {
			if _, err := e.client.CancelSession(t.Context(), id); err != nil {
				t.Fatalf("first cancel: %v", err)
			}
		}},
		{"expired", false, func(int64) { e.advance(31 * time.Minute) }},
	}
	for i, tc := range refused {
		t.Run(tc.name, func(t *testing.T) {
			req := basicRequest(fmt.Sprintf("CANCEL-R%d", i), "10.00")
			req.Payment.AllowPartial = tc.partial
			created := e.create(req)
			tc.setup(int64(created.RequestID))
			before := e.query(created.RequestID).Status
			_, err := e.client.CancelSession(t.Context(), int64(created.RequestID))
			wantAPIError(t, err, http.StatusBadRequest, "action_not_allowed", "cannot be cancelled")
			if d := cmp.Diff(before, e.query(created.RequestID).Status); d != "" {
				t.Errorf("a refused cancel changed the session (-before +after):\n%s", d)
			}
		})
	}
	t.Run("unknown session", func(t *testing.T) {
		_, err := e.client.CancelSession(t.Context(), 99)
		wantAPIError(t, err, http.StatusNotFound, "request_not_valid", "The requested session does not exist")
	})
	t.Run("query unknown session", func(t *testing.T) {
		_, err := e.client.QuerySession(t.Context(), 99)
		wantAPIError(t, err, http.StatusNotFound, "request_not_valid", "The requested session does not exist")
	})
}
