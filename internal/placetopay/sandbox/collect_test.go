package sandbox

import (
	"net/http"
	"regexp"
	"strconv"
	"testing"
	"time"
)

// tokenize saves card through a subscription session and returns the token and subtoken.
func (h *harness) tokenize(card string) (tok, subtoken string) {
	h.t.Helper()
	id, _ := h.create(subscriptionSession("SUB-T"))
	h.pay(id, card).want(h.t, http.StatusOK)
	for _, nv := range get(h.query(id).Body, "subscription", "instrument").([]any) {
		switch str(nv, "keyword") {
		case "token":
			tok = str(nv, "value")
		case "subtoken":
			subtoken = str(nv, "value")
		}
	}
	if tok == "" {
		h.t.Fatal("the subscription session issued no token")
	}
	return tok, subtoken
}

func collectBody(ref string, instrument map[string]any, total any) map[string]any {
	return map[string]any{
		"payer": map[string]any{"name": "Ada", "surname": "Lovelace", "email": "ada@example.com"},
		"payment": map[string]any{
			"reference": ref, "description": "Monthly plan",
			"amount": map[string]any{"currency": "USD", "total": total},
		},
		"instrument": map[string]any{"token": instrument},
		"ipAddress":  "127.0.0.1", "userAgent": "sandbox-test",
	}
}

func TestCollect(t *testing.T) {
	h := newHarness(t)
	tok, subtoken := h.tokenize(cardApprove)

	r := h.api("/api/collect", collectBody("RENEW-1", map[string]any{"token": tok}, 25)).want(t, http.StatusOK)
	if got := status(r.Body, "status") + " " + status(r.Body, "payment", 0, "status"); got != "APPROVED/00 APPROVED/00" {
		t.Errorf("collect = %s, want an approved session and payment", got)
	}
	first, ref := str(r.Body, "requestId"), str(r.Body, "payment", 0, "internalReference")
	if regexp.MustCompile(tok).Match(r.Raw) {
		t.Error("the collect answer echoes the token")
	}
	if got := status(h.query(mustInt(t, first)).Body, "status"); got != "APPROVED/00" {
		t.Errorf("query of the collect = %s, want APPROVED/00", got)
	}

	t.Run("same reference, total and currency within 24 hours charge once", func(t *testing.T) {
		h.advance(23 * time.Hour)
		again := h.api("/api/collect", collectBody("RENEW-1", map[string]any{"token": tok}, "25.00")).want(t, http.StatusOK)
		if str(again.Body, "requestId") != first || str(again.Body, "payment", 0, "internalReference") != ref {
			t.Errorf("repeat = request %s payment %s, want the first charge (%s, %s)",
				str(again.Body, "requestId"), str(again.Body, "payment", 0, "internalReference"), first, ref)
		}
		other := h.api("/api/collect", collectBody("RENEW-1", map[string]any{"token": tok}, 26)).want(t, http.StatusOK)
		if str(other.Body, "requestId") == first {
			t.Error("another total was not charged")
		}
		h.advance(time.Hour)
		later := h.api("/api/collect", collectBody("RENEW-1", map[string]any{"token": tok}, 25)).want(t, http.StatusOK)
		if str(later.Body, "requestId") == first {
			t.Error("24 hours later the same charge was not made again")
		}
	})

	t.Run("subtoken", func(t *testing.T) {
		r := h.api("/api/collect", collectBody("RENEW-2", map[string]any{"subtoken": subtoken}, 10)).want(t, http.StatusOK)
		if got := status(r.Body, "status"); got != "APPROVED/00" {
			t.Errorf("collect by subtoken = %s", got)
		}
	})

	t.Run("unknown token", func(t *testing.T) {
		r := h.api("/api/collect", collectBody("RENEW-3", map[string]any{"token": "faketoken"}, 10)).want(t, http.StatusBadRequest)
		if got, msg := status(r.Body, "status"), str(r.Body, "status", "message"); got != "FAILED/XN" || msg != "The token used is invalid" {
			t.Errorf("status = %s %q, want FAILED/XN The token used is invalid", got, msg)
		}
	})

	t.Run("no payer", func(t *testing.T) {
		body := collectBody("RENEW-4", map[string]any{"token": tok}, 10)
		delete(body, "payer")
		r := h.api("/api/collect", body).want(t, http.StatusBadRequest)
		if got := status(r.Body, "status"); got != "FAILED/request_not_valid" {
			t.Errorf("status = %s", got)
		}
	})
}

func TestCollectOfAPendingCard(t *testing.T) {
	h := newHarness(t)
	tok, _ := h.tokenize(cardPendingApprove)
	h.notes.Next(t) // the subscription session's approval
	r := h.api("/api/collect", collectBody("RENEW-P", map[string]any{"token": tok}, 10)).want(t, http.StatusOK)
	if got := status(r.Body, "status"); got != "PENDING/PT" {
		t.Fatalf("collect = %s, want PENDING/PT", got)
	}
	h.advance(2 * time.Minute)
	n := h.notes.Next(t)
	if !regexp.MustCompile(`"status":"APPROVED".*"reference":"RENEW-P"`).Match(n) {
		t.Errorf("notification %s, want the collect APPROVED", n)
	}
}

func TestInvalidateToken(t *testing.T) {
	h := newHarness(t)
	tok, subtoken := h.tokenize(cardApprove)
	invalidate := func(kind, value string) reply {
		return h.api("/api/instrument/invalidate", map[string]any{
			"locale": "en_US", "instrument": map[string]any{"token": map[string]any{kind: value}},
		})
	}
	r := invalidate("token", tok).want(t, http.StatusOK)
	if got := status(r.Body, "status"); got != "APPROVED/00" {
		t.Errorf("invalidate = %s, want APPROVED/00", got)
	}
	for _, tc := range []struct{ kind, value string }{{"token", tok}, {"subtoken", subtoken}, {"token", "unknown"}} {
		r := invalidate(tc.kind, tc.value).want(t, http.StatusBadRequest)
		if got := status(r.Body, "status"); got != "FAILED/XN" {
			t.Errorf("invalidate %s again = %s, want FAILED/XN", tc.kind, got)
		}
	}
	r = h.api("/api/collect", collectBody("RENEW-X", map[string]any{"token": tok}, 10)).want(t, http.StatusBadRequest)
	if got := status(r.Body, "status"); got != "FAILED/XN" {
		t.Errorf("collect with an invalidated token = %s, want FAILED/XN", got)
	}
}

func mustInt(t *testing.T, s string) int64 {
	t.Helper()
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestCollectEchoesWhatTheSDKReads: PlacetoPay's PHP SDK builds its RedirectRequest from the
// collect answer's request echo and fails on one without returnUrl, payment.allowPartial
// and payment.subscribe; PlacetoPay's recorded answers carry all three even when the charge
// sent none.
func TestCollectEchoesWhatTheSDKReads(t *testing.T) {
	h := newHarness(t)
	tok, _ := h.tokenize(cardApprove)
	body := collectBody("ECHO-1", map[string]any{"token": tok}, 25)
	if _, ok := body["returnUrl"]; ok {
		t.Fatal("the charge must not send a returnUrl for this test")
	}
	r := h.api("/api/collect", body).want(t, http.StatusOK)
	for _, path := range [][]any{{"request", "payment", "allowPartial"}, {"request", "payment", "subscribe"}} {
		if v, ok := get(r.Body, path...).(bool); !ok || v {
			t.Errorf("%v = %#v, want false", path, get(r.Body, path...))
		}
	}
	if u, _ := get(r.Body, "request", "returnUrl").(string); u != str(subscriptionSession("SUB-T"), "returnUrl") {
		t.Errorf("request.returnUrl = %q, want the saving session's", u)
	}

	body = collectBody("ECHO-2", map[string]any{"token": tok}, 25)
	body["returnUrl"] = "https://shop.example/own"
	if u := str(h.api("/api/collect", body).want(t, http.StatusOK).Body, "request", "returnUrl"); u != "https://shop.example/own" {
		t.Errorf("request.returnUrl = %q, want the one the charge sent", u)
	}
}
