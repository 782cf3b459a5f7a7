package sandbox

import (
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	pp "github.com/placetopay-gateway/gateway/internal/placetopay"
)

func TestCreateSession(t *testing.T) {
	h := newHarness(t, func(c *Config) { c.BaseURL = "https://checkout.sandbox.test/" })
	r := h.api("/api/session", basicSession("ORDER-1")).want(t, http.StatusOK)
	if got := status(r.Body, "status"); got != "OK/PC" {
		t.Errorf("status = %s, want OK/PC", got)
	}
	if got, want := str(r.Body, "status", "date"), "2026-03-02T10:04:05-05:00"; got != want {
		t.Errorf("date = %q, want %q (the sandbox clock, in UTC-5)", got, want)
	}
	first := str(r.Body, "requestId")
	processURL := regexp.MustCompile(`^https://checkout\.sandbox\.test/session/` + first + `/[0-9a-f]{32}$`)
	if !processURL.MatchString(str(r.Body, "processUrl")) {
		t.Errorf("processUrl = %q, want %s", str(r.Body, "processUrl"), processURL)
	}
	second, _ := h.create(basicSession("ORDER-2"))
	if fmt.Sprint(second) != fmt.Sprint(1001) || first != "1000" {
		t.Errorf("requestIds %s then %d, want 1000 then 1001", first, second)
	}
}

func TestCreateSessionProcessURLFromHost(t *testing.T) {
	h := newHarness(t)
	_, processURL := h.create(basicSession("ORDER-1"))
	if !strings.HasPrefix(processURL, h.url+"/session/") {
		t.Errorf("processUrl = %q, want it under %s, the host the request was sent to", processURL, h.url)
	}
}

func TestCreateSessionValidation(t *testing.T) {
	h := newHarness(t)
	now := testEpoch
	for _, tc := range []struct {
		name   string
		edit   func(m map[string]any)
		reason string
	}{
		{"no returnUrl", func(m map[string]any) { delete(m, "returnUrl") }, "request_not_valid"},
		{"relative returnUrl", func(m map[string]any) { m["returnUrl"] = "/return" }, "request_not_valid"},
		{"no ipAddress", func(m map[string]any) { delete(m, "ipAddress") }, "request_not_valid"},
		{"bad ipAddress", func(m map[string]any) { m["ipAddress"] = "localhost" }, "request_not_valid"},
		{"no userAgent", func(m map[string]any) { delete(m, "userAgent") }, "request_not_valid"},
		{"nothing to pay", func(m map[string]any) { delete(m, "payment") }, "request_not_valid"},
		{"empty reference", func(m map[string]any) { get(m, "payment").(map[string]any)["reference"] = "" }, "request_not_valid"},
		{"reference of 33", func(m map[string]any) { get(m, "payment").(map[string]any)["reference"] = strings.Repeat("r", 33) }, "request_not_valid"},
		{"currency not alpha-3", func(m map[string]any) { get(m, "payment", "amount").(map[string]any)["currency"] = "usd" }, "request_not_valid"},
		{"zero total", func(m map[string]any) { get(m, "payment", "amount").(map[string]any)["total"] = 0 }, "request_not_valid"},
		{"three decimals", func(m map[string]any) { get(m, "payment", "amount").(map[string]any)["total"] = "10.005" }, "request_not_valid"},
		{"expiration under 5 minutes", func(m map[string]any) {
			m["expiration"] = now.Add(4*time.Minute + 59*time.Second).Format(time.RFC3339)
		}, "request_not_valid"},
		{"expiration not a date", func(m map[string]any) { m["expiration"] = "tomorrow" }, "request_not_valid"},
		{"partial and recurring", func(m map[string]any) {
			p := get(m, "payment").(map[string]any)
			p["allowPartial"] = true
			p["recurring"] = map[string]any{"periodicity": "M", "interval": 1, "maxPeriods": -1}
		}, "request_not_valid"},
		{"four dispersions", func(m map[string]any) {
			d := map[string]any{"agreement": 1, "agreementType": "MERCHANT", "amount": map[string]any{"currency": "USD", "total": 1}}
			get(m, "payment").(map[string]any)["dispersion"] = []any{d, d, d, d}
		}, "max_dispersion_error"},
		{"email over 80", func(m map[string]any) {
			get(m, "payer").(map[string]any)["email"] = strings.Repeat("a", 69) + "@example.com"
		}, "payer_data_not_valid"},
		{"card number in name", func(m map[string]any) {
			get(m, "payer").(map[string]any)["name"] = "Ada 4111 1111 1111 1111"
		}, "payer_data_not_valid"},
		{"unknown type", func(m map[string]any) { m["type"] = "checkout" }, "request_not_valid"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			body := basicSession("ORDER-V")
			tc.edit(body)
			r := h.api("/api/session", body).want(t, http.StatusBadRequest)
			if got := status(r.Body, "status"); got != "FAILED/"+tc.reason {
				t.Errorf("status = %s (%s), want FAILED/%s", got, str(r.Body, "status", "message"), tc.reason)
			}
		})
	}
	t.Run("expiration of exactly 5 minutes", func(t *testing.T) {
		body := basicSession("ORDER-5")
		body["expiration"] = now.Add(5 * time.Minute).Format(time.RFC3339)
		h.api("/api/session", body).want(t, http.StatusOK)
	})
}

func TestQuerySession(t *testing.T) {
	h := newHarness(t)
	body := basicSession("ORDER-Q")
	body["fields"] = []any{map[string]any{"keyword": "orderId", "value": "42", "displayOn": "none"}}
	id, processURL := h.create(body)

	r := h.query(id)
	if got := status(r.Body, "status"); got != "PENDING/PT" {
		t.Errorf("status = %s, want PENDING/PT", got)
	}
	if get(r.Body, "payment") != nil || get(r.Body, "subscription") != nil {
		t.Errorf("payment %v, subscription %v: want both null before any payment", get(r.Body, "payment"), get(r.Body, "subscription"))
	}
	request, _ := get(r.Body, "request").(map[string]any)
	if _, ok := request["auth"]; ok {
		t.Error("the request echo carries auth")
	}
	wantFields := []any{
		map[string]any{"keyword": "orderId", "value": "42", "displayOn": "none"},
		map[string]any{"keyword": "_processUrl_", "value": processURL, "displayOn": "none"},
	}
	if diff := cmp.Diff(wantFields, request["fields"]); diff != "" {
		t.Errorf("request.fields (-want +got):\n%s", diff)
	}
	if got, want := str(request, "expiration"), "2026-03-02T10:34:05-05:00"; got != want {
		t.Errorf("request.expiration = %q, want %q (30 minutes by default)", got, want)
	}
	if got := str(request, "payment", "amount", "total"); got != "100.5" {
		t.Errorf("request.payment.amount.total = %q, want 100.5 as sent", got)
	}

	// The client's own types read the answer.
	var info pp.SessionInformation
	if err := json.Unmarshal(r.Raw, &info); err != nil {
		t.Fatalf("placetopay.SessionInformation cannot read the query answer: %v", err)
	}
	if int64(info.RequestID) != id || info.Status.Status != pp.StatusPending {
		t.Errorf("decoded requestId %d status %q", info.RequestID, info.Status.Status)
	}

	t.Run("unknown session", func(t *testing.T) {
		r := h.api("/api/session/999999", nil).want(t, http.StatusNotFound)
		if got := status(r.Body, "status"); got != "FAILED/request_not_valid" {
			t.Errorf("status = %s, want FAILED/request_not_valid", got)
		}
	})
	t.Run("not a number", func(t *testing.T) {
		h.api("/api/session/abc", nil).want(t, http.StatusNotFound)
	})
}

func TestQueryApprovedSession(t *testing.T) {
	h := newHarness(t)
	id, _ := h.create(basicSession("ORDER-A"))
	h.pay(id, cardDeny).want(t, http.StatusOK)
	h.pay(id, cardApprove).want(t, http.StatusOK)
	r := h.query(id)
	if got := status(r.Body, "status"); got != "APPROVED/00" {
		t.Fatalf("status = %s, want APPROVED/00", got)
	}
	payments, _ := get(r.Body, "payment").([]any)
	if len(payments) != 2 {
		t.Fatalf("%d payments, want 2", len(payments))
	}
	if a, d := status(payments, 0, "status"), status(payments, 1, "status"); a != "APPROVED/00" || d != "REJECTED/05" {
		t.Errorf("payments %s, %s; want the newest (APPROVED/00) first, then REJECTED/05", a, d)
	}
	p := payments[0]
	for path, want := range map[string]string{
		"reference": "ORDER-A", "paymentMethod": "visa", "franchise": "CR_VS", "refunded": "false",
	} {
		if got := str(p, path); got != want {
			t.Errorf("payment.%s = %q, want %q", path, got, want)
		}
	}
	if got := str(p, "amount", "from", "total") + " " + str(p, "amount", "to", "currency"); got != "100.5 USD" {
		t.Errorf("amount = %q, want 100.5 USD", got)
	}
	if !regexp.MustCompile(`^\d{6}$`).MatchString(str(p, "authorization")) || str(payments[1], "authorization") != "000000" {
		t.Errorf("authorizations %q and %q, want six digits and 000000", str(p, "authorization"), str(payments[1], "authorization"))
	}
	if !strings.Contains(string(r.Raw), `"keyword":"lastDigits","value":"0081"`) || strings.Contains(string(r.Raw), cardApprove) {
		t.Errorf("processorFields should carry lastDigits 0081 and never the card number: %s", r.Raw)
	}
}

func TestCancelSession(t *testing.T) {
	h := newHarness(t)
	t.Run("pending session", func(t *testing.T) {
		id, _ := h.create(basicSession("ORDER-C1"))
		h.pay(id, cardDeny).want(t, http.StatusOK)
		r := h.api(fmt.Sprintf("/api/session/%d/cancel", id), nil).want(t, http.StatusOK)
		if got := status(r.Body, "status"); got != "OK/00" {
			t.Errorf("status = %s, want OK/00", got)
		}
		if got := status(r.Body, "session", "status"); got != "REJECTED/MC" {
			t.Errorf("session.status = %s, want REJECTED/MC", got)
		}
		if got := status(h.query(id).Body, "status"); got != "REJECTED/MC" {
			t.Errorf("query after cancel = %s, want REJECTED/MC", got)
		}
		again := h.api(fmt.Sprintf("/api/session/%d/cancel", id), nil).want(t, http.StatusBadRequest)
		if got := status(again.Body, "status"); got != "FAILED/action_not_allowed" {
			t.Errorf("second cancel = %s, want FAILED/action_not_allowed", got)
		}
	})
	for _, tc := range []struct{ name, card string }{
		{"approved session", cardApprove},
		{"payment in progress", cardPendingApprove},
	} {
		t.Run(tc.name, func(t *testing.T) {
			id, _ := h.create(basicSession("ORDER-C2"))
			h.pay(id, tc.card).want(t, http.StatusOK)
			r := h.api(fmt.Sprintf("/api/session/%d/cancel", id), nil).want(t, http.StatusBadRequest)
			if got := status(r.Body, "status"); got != "FAILED/action_not_allowed" {
				t.Errorf("status = %s, want FAILED/action_not_allowed", got)
			}
		})
	}
	t.Run("unknown session", func(t *testing.T) {
		r := h.api("/api/session/999999/cancel", nil).want(t, http.StatusNotFound)
		if got := status(r.Body, "status"); got != "FAILED/request_not_valid" {
			t.Errorf("status = %s, want FAILED/request_not_valid", got)
		}
	})
}

func TestUnknownPath(t *testing.T) {
	h := newHarness(t)
	r := h.send(http.MethodGet, "/api/session", "", nil).want(t, http.StatusNotFound)
	if got := status(r.Body, "status"); got != "FAILED/NA" {
		t.Errorf("status = %s, want FAILED/NA", got)
	}
}

// TestDefaultIDsHaveTenDigits: PlacetoPay's requestIds and internalReferences have at most
// 10 digits, and storefronts' columns are sized for them; a sandbox started on defaults
// gives out ids of exactly 10 digits, larger at every later start.
func TestDefaultIDsHaveTenDigits(t *testing.T) {
	h := newHarness(t, func(c *Config) { c.IDStart = 0 })
	id, _ := h.create(basicSession("TEN-DIGITS"))
	if n := len(strconv.FormatInt(id, 10)); n != 10 {
		t.Errorf("requestId %d has %d digits, want 10", id, n)
	}
	for _, at := range []time.Time{time.Date(2026, 12, 4, 0, 0, 0, 0, time.UTC), time.Date(2050, 12, 31, 0, 0, 0, 0, time.UTC)} {
		if n := len(strconv.FormatInt(DefaultIDStart(at), 10)); n != 10 {
			t.Errorf("DefaultIDStart(%s) has %d digits, want 10", at.Format(time.DateOnly), n)
		}
	}
	if a, b := DefaultIDStart(testEpoch), DefaultIDStart(testEpoch.Add(time.Second)); b-a != 10 {
		t.Errorf("one second later the start moved by %d, want 10 ids", b-a)
	}
}
