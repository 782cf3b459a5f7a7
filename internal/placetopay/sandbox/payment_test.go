package sandbox

import (
	"fmt"
	"net/http"
	"regexp"
	"testing"
	"time"
)

func TestDeclinedCardKeepsSessionPending(t *testing.T) {
	h := newHarness(t)
	id, _ := h.create(basicSession("ORDER-D"))
	h.pay(id, cardDeny).want(t, http.StatusOK)
	r := h.query(id)
	if got := status(r.Body, "status"); got != "PENDING/PT" {
		t.Errorf("session after a decline = %s, want PENDING/PT (the payer can retry)", got)
	}
	if got := status(r.Body, "payment", 0, "status"); got != "REJECTED/05" {
		t.Errorf("payment = %s, want REJECTED/05", got)
	}
}

func TestAttemptsLimit(t *testing.T) {
	h := newHarness(t)
	id, _ := h.create(basicSession("ORDER-L"))
	for i := 1; i <= 9; i++ {
		h.pay(id, cardDeny).want(t, http.StatusOK)
	}
	if got := status(h.query(id).Body, "status"); got != "PENDING/PT" {
		t.Fatalf("after 9 declines: %s, want PENDING/PT", got)
	}
	h.pay(id, cardDeny).want(t, http.StatusOK)
	r := h.query(id)
	if got := status(r.Body, "status"); got != "REJECTED/XN" {
		t.Errorf("after 10 declines: %s, want REJECTED/XN", got)
	}
	if n := len(get(r.Body, "payment").([]any)); n != 10 {
		t.Errorf("%d payments, want 10", n)
	}
	h.pay(id, cardApprove).want(t, http.StatusConflict)
}

func TestAttemptsLimitIsConfigurable(t *testing.T) {
	h := newHarness(t, func(c *Config) { c.AttemptsLimit = 2 })
	id, _ := h.create(basicSession("ORDER-L2"))
	h.pay(id, cardDeny).want(t, http.StatusOK)
	h.pay(id, cardDeny).want(t, http.StatusOK)
	if got := status(h.query(id).Body, "status"); got != "REJECTED/XN" {
		t.Errorf("after 2 declines with a limit of 2: %s, want REJECTED/XN", got)
	}
}

func partialSession(ref string) map[string]any {
	body := basicSession(ref)
	body["payment"].(map[string]any)["allowPartial"] = true
	return body
}

func (h *harness) payPart(id int64, card, amount string) reply {
	h.t.Helper()
	return h.control(http.MethodPost, fmt.Sprintf("/sandbox/sessions/%d/pay", id), map[string]string{"card": card, "amount": amount})
}

func TestPartialSession(t *testing.T) {
	h := newHarness(t)
	id, _ := h.create(partialSession("ORDER-P"))
	h.payPart(id, cardApprove, "40").want(t, http.StatusOK)
	if got := status(h.query(id).Body, "status"); got != "APPROVED_PARTIAL/P0" {
		t.Fatalf("after 40 of 100.50: %s, want APPROVED_PARTIAL/P0", got)
	}
	h.payPart(id, cardApprove, "60.51").want(t, http.StatusUnprocessableEntity)
	h.payPart(id, cardDeny, "60.50").want(t, http.StatusOK)
	if got := status(h.query(id).Body, "status"); got != "APPROVED_PARTIAL/P0" {
		t.Fatalf("after a declined part: %s, want APPROVED_PARTIAL/P0", got)
	}
	h.payPart(id, cardApprove, "60.50").want(t, http.StatusOK)
	r := h.query(id)
	if got := status(r.Body, "status"); got != "APPROVED/00" {
		t.Errorf("once covered: %s, want APPROVED/00", got)
	}
	if got := str(r.Body, "payment", 0, "amount", "from", "total") + "+" + str(r.Body, "payment", 2, "amount", "from", "total"); got != "60.5+40" {
		t.Errorf("approved parts %s, want 60.5+40", got)
	}
	if a := h.notes.Next(t); !regexp.MustCompile(`"status":"APPROVED"`).Match(a) {
		t.Errorf("the one notification is %s, want APPROVED (APPROVED_PARTIAL is not final)", a)
	}
}

func TestPartialSessionExpires(t *testing.T) {
	h := newHarness(t)
	id, _ := h.create(partialSession("ORDER-PX"))
	h.payPart(id, cardApprove, "10").want(t, http.StatusOK)
	h.advance(30 * time.Minute)
	if got := status(h.query(id).Body, "status"); got != "PARTIAL_EXPIRED/PX" {
		t.Errorf("expired with 10 approved: %s, want PARTIAL_EXPIRED/PX", got)
	}
}

func TestNonPartialSessionTakesTheWholeAmount(t *testing.T) {
	h := newHarness(t)
	id, _ := h.create(basicSession("ORDER-W"))
	h.payPart(id, cardApprove, "10").want(t, http.StatusUnprocessableEntity)
	h.payPart(id, cardApprove, "100.50").want(t, http.StatusOK)
}

func TestExpiry(t *testing.T) {
	h := newHarness(t)
	id, _ := h.create(basicSession("ORDER-E"))
	h.advance(30*time.Minute - time.Second)
	if got := status(h.query(id).Body, "status"); got != "PENDING/PT" {
		t.Fatalf("a second before expiry: %s, want PENDING/PT", got)
	}
	h.advance(time.Second)
	r := h.query(id)
	if got := status(r.Body, "status"); got != "REJECTED/EX" {
		t.Errorf("at expiry: %s, want REJECTED/EX", got)
	}
	if got, want := str(r.Body, "status", "date"), "2026-03-02T10:34:05-05:00"; got != want {
		t.Errorf("expiry date = %q, want the expiration %q", got, want)
	}
	h.pay(id, cardApprove).want(t, http.StatusConflict)
}

func TestExpiryReasonIsConfigurable(t *testing.T) {
	h := newHarness(t, func(c *Config) { c.ExpiryReason = "?C" })
	id, _ := h.create(basicSession("ORDER-E2"))
	h.advance(31 * time.Minute)
	if got := status(h.query(id).Body, "status"); got != "REJECTED/?C" {
		t.Errorf("expired: %s, want REJECTED/?C", got)
	}
}

func TestPendingCards(t *testing.T) {
	for _, tc := range []struct {
		card        string
		after       time.Duration // how long it stays pending
		payment     string
		session     string
		resolveDate string
	}{
		{cardPendingApprove, 2 * time.Minute, "APPROVED/00", "APPROVED/00", "2026-03-02T10:06:05-05:00"},
		{cardPendingReject, 2 * time.Minute, "REJECTED/05", "PENDING/PT", "2026-03-02T10:06:05-05:00"},
		{cardSlowApprove, 180 * time.Second, "APPROVED/00", "APPROVED/00", "2026-03-02T10:07:05-05:00"},
		{"36545407030701", 2 * time.Minute, "REJECTED/05", "PENDING/PT", "2026-03-02T10:06:05-05:00"},
	} {
		t.Run(tc.card, func(t *testing.T) {
			h := newHarness(t)
			id, _ := h.create(basicSession("ORDER-PEND"))
			h.pay(id, tc.card).want(t, http.StatusOK)
			r := h.query(id)
			if got := status(r.Body, "status") + " " + status(r.Body, "payment", 0, "status"); got != "PENDING/PT PENDING/?-" {
				t.Fatalf("just paid: session and payment %s, want PENDING/PT PENDING/?-", got)
			}
			h.pay(id, cardApprove).want(t, http.StatusConflict) // one payment at a time
			h.advance(tc.after - time.Second)
			if got := status(h.query(id).Body, "payment", 0, "status"); got != "PENDING/?-" {
				t.Fatalf("a second early: payment %s, want PENDING/?-", got)
			}
			h.advance(time.Minute) // resolved at its time, not at the time of the read
			r = h.query(id)
			if got := status(r.Body, "payment", 0, "status"); got != tc.payment {
				t.Errorf("payment = %s, want %s", got, tc.payment)
			}
			if got := status(r.Body, "status"); got != tc.session {
				t.Errorf("session = %s, want %s", got, tc.session)
			}
			if got := str(r.Body, "payment", 0, "status", "date"); got != tc.resolveDate {
				t.Errorf("resolved at %s, want %s", got, tc.resolveDate)
			}
		})
	}
}

// A pending payment resolves, and is notified, with nobody reading: the ticker does it.
func TestPendingResolvesInTheBackground(t *testing.T) {
	h := newHarness(t)
	id, _ := h.create(basicSession("ORDER-BG"))
	h.pay(id, cardPendingApprove).want(t, http.StatusOK)
	if _, err := h.clock.Advance(3 * time.Minute); err != nil { // not through the control API, which sweeps
		t.Fatal(err)
	}
	n := h.notes.Next(t)
	if !regexp.MustCompile(fmt.Sprintf(`"status":"APPROVED".*"requestId":%d`, id)).Match(n) {
		t.Errorf("notification %s, want APPROVED for %d", n, id)
	}
}

// A session does not expire under a payment in progress; the payment decides.
func TestPendingPaymentOutlivesExpiry(t *testing.T) {
	for _, tc := range []struct{ card, want string }{
		{cardPendingApprove, "APPROVED/00"},
		{cardPendingReject, "REJECTED/EX"},
	} {
		t.Run(tc.card, func(t *testing.T) {
			h := newHarness(t)
			id, _ := h.create(basicSession("ORDER-PE"))
			h.advance(29 * time.Minute)
			h.pay(id, tc.card).want(t, http.StatusOK)
			h.advance(90 * time.Second) // past expiry, before resolution
			if got := status(h.query(id).Body, "status"); got != "PENDING/PT" {
				t.Fatalf("expired during a pending payment: %s, want PENDING/PT", got)
			}
			h.advance(time.Minute)
			r := h.query(id)
			if got := status(r.Body, "status"); got != tc.want {
				t.Errorf("after resolution: %s, want %s", got, tc.want)
			}
			if got := str(r.Body, "status", "date"); got != "2026-03-02T10:35:05-05:00" {
				t.Errorf("final date %s, want the resolution time 10:35:05", got)
			}
		})
	}
}

func TestConditionalCards(t *testing.T) {
	h := newHarness(t)
	under200 := func(total float64) map[string]any {
		body := basicSession("ORDER-200")
		body["payment"].(map[string]any)["amount"] = map[string]any{"currency": "USD", "total": total}
		return body
	}
	for _, tc := range []struct {
		name string
		body map[string]any
		pay  map[string]string
		want string
	}{
		{"under 200 USD", under200(199.99), map[string]string{"card": "4110760000000057"}, "APPROVED/00"},
		{"200 USD", under200(200), map[string]string{"card": "4110760000000057"}, "REJECTED/05"},
		{"expiry and CVV", basicSession("ORDER-CVV"), map[string]string{"card": "4012888888881881", "expiry": "11/28", "cvv": "917"}, "APPROVED/00"},
		{"wrong CVV", basicSession("ORDER-CVV"), map[string]string{"card": "4012888888881881", "expiry": "11/28", "cvv": "123"}, "REJECTED/05"},
		{"spaced number", basicSession("ORDER-SP"), map[string]string{"card": "4110 7600 0000 0081"}, "APPROVED/00"},
		{"Mastercard", basicSession("ORDER-MC"), map[string]string{"card": "5367680000000005"}, "APPROVED/00"},
		{"Amex deny", basicSession("ORDER-AX"), map[string]string{"card": "376651792202224"}, "REJECTED/05"},
		{"Diners", basicSession("ORDER-DN"), map[string]string{"card": "36545400000008"}, "APPROVED/00"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			id, _ := h.create(tc.body)
			h.control(http.MethodPost, fmt.Sprintf("/sandbox/sessions/%d/pay", id), tc.pay).want(t, http.StatusOK)
			if got := status(h.query(id).Body, "payment", 0, "status"); got != tc.want {
				t.Errorf("payment = %s, want %s", got, tc.want)
			}
		})
	}
}

func subscriptionSession(ref string) map[string]any {
	body := basicSession(ref)
	delete(body, "payment")
	body["subscription"] = map[string]any{"reference": ref, "description": "Save a card"}
	return body
}

func TestSubscriptionSession(t *testing.T) {
	h := newHarness(t)
	id, _ := h.create(subscriptionSession("SUB-1"))
	h.pay(id, cardDeny).want(t, http.StatusOK)
	if got := status(h.query(id).Body, "status"); got != "PENDING/PT" {
		t.Fatalf("after a declined card: %s, want PENDING/PT", got)
	}
	h.pay(id, "5367680000000005").want(t, http.StatusOK)
	r := h.query(id)
	if got := status(r.Body, "status") + " " + status(r.Body, "subscription", "status"); got != "APPROVED/00 OK/00" {
		t.Errorf("session and subscription = %s, want APPROVED/00 OK/00", got)
	}
	if get(r.Body, "payment") != nil {
		t.Errorf("payment = %v, want null: a subscription session charges nothing", get(r.Body, "payment"))
	}
	if got := str(r.Body, "subscription", "type"); got != "token" {
		t.Errorf("subscription.type = %q, want token", got)
	}
	instrument := map[string]string{}
	for _, nv := range get(r.Body, "subscription", "instrument").([]any) {
		instrument[str(nv, "keyword")] = str(nv, "value")
	}
	for k, re := range map[string]string{
		"token": `^[0-9a-f]{64}$`, "subtoken": `^\d{16}$`, "franchise": `^master$`, "franchiseName": `^Mastercard$`,
		"issuerName": `.`, "lastDigits": `^0005$`, "validUntil": `^\d{4}-12-31$`, "installments": `^1$`,
	} {
		if !regexp.MustCompile(re).MatchString(instrument[k]) {
			t.Errorf("instrument %s = %q, want %s", k, instrument[k], re)
		}
	}
}

func TestPaymentWithSubscribe(t *testing.T) {
	h := newHarness(t)
	body := basicSession("ORDER-SUB")
	body["payment"].(map[string]any)["subscribe"] = true
	id, _ := h.create(body)
	if get(h.query(id).Body, "subscription") != nil {
		t.Fatal("a subscription before any payment")
	}
	h.pay(id, cardApprove).want(t, http.StatusOK)
	r := h.query(id)
	if got := status(r.Body, "status") + " " + status(r.Body, "subscription", "status"); got != "APPROVED/00 OK/00" {
		t.Errorf("session and subscription = %s, want APPROVED/00 OK/00", got)
	}
	if got := str(r.Body, "request", "payment", "subscribe"); got != "true" {
		t.Errorf("request echo subscribe = %q", got)
	}
}
