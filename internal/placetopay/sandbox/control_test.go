package sandbox

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestControlPay(t *testing.T) {
	h := newHarness(t)
	id, _ := h.create(basicSession("ORDER-CP"))
	r := h.pay(id, cardApprove).want(t, http.StatusOK)
	if got := status(r.Body, "status"); got != "APPROVED/00" {
		t.Errorf("the answer shows the session %s, want APPROVED/00", got)
	}
	for _, tc := range []struct {
		name string
		path string
		body string
		code int
	}{
		{"unknown session", "/sandbox/sessions/999999/pay", `{"card":"` + cardApprove + `"}`, http.StatusNotFound},
		{"session not payable", fmt.Sprintf("/sandbox/sessions/%d/pay", id), `{"card":"` + cardApprove + `"}`, http.StatusConflict},
		{"unknown card", fmt.Sprintf("/sandbox/sessions/%d/pay", id), `{"card":"4000000000000002"}`, http.StatusUnprocessableEntity},
		{"malformed body", fmt.Sprintf("/sandbox/sessions/%d/pay", id), `{"card":`, http.StatusBadRequest},
		{"unknown field", fmt.Sprintf("/sandbox/sessions/%d/pay", id), `{"number":"4000000000000002"}`, http.StatusBadRequest},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := h.send(http.MethodPost, tc.path, "application/json", []byte(tc.body)).want(t, tc.code)
			if ct := r.Resp.Header.Get("Content-Type"); ct != "application/problem+json" {
				t.Errorf("Content-Type %q, want application/problem+json like the gateway's", ct)
			}
			var problem struct {
				Status int    `json:"status"`
				Detail string `json:"detail"`
			}
			_ = json.Unmarshal(r.Raw, &problem)
			if problem.Detail == "" || problem.Status != tc.code || strings.Contains(string(r.Raw), "4000000000000002") {
				t.Errorf("error body %s: want a problem with its status and a detail that does not repeat the card number", r.Raw)
			}
		})
	}
	t.Run("a collect is not payable", func(t *testing.T) {
		tok, _ := h.tokenize(cardApprove)
		c := h.api("/api/collect", collectBody("CP-C", map[string]any{"token": tok}, 10)).want(t, http.StatusOK)
		h.pay(mustInt(t, str(c.Body, "requestId")), cardApprove).want(t, http.StatusConflict)
	})
}

func TestControlClock(t *testing.T) {
	h := newHarness(t)
	r := h.control(http.MethodPost, "/sandbox/clock", map[string]string{"advance": "1h30m"}).want(t, http.StatusOK)
	if got := str(r.Body, "now") + " " + str(r.Body, "offset"); got != "2026-03-02T11:34:05-05:00 1h30m0s" {
		t.Errorf("clock = %s", got)
	}
	if got := str(h.control(http.MethodGet, "/sandbox/clock", nil).want(t, http.StatusOK).Body, "offset"); got != "1h30m0s" {
		t.Errorf("GET clock offset = %s", got)
	}
	h.control(http.MethodPost, "/sandbox/clock", map[string]string{"advance": "-1m"}).want(t, http.StatusUnprocessableEntity)
	h.control(http.MethodPost, "/sandbox/clock", map[string]string{"advance": "soon"}).want(t, http.StatusUnprocessableEntity)
	if h.clock.Offset() != 90*time.Minute {
		t.Errorf("offset %s after refused moves, want 1h30m", h.clock.Offset())
	}
}

func TestControlSession(t *testing.T) {
	h := newHarness(t)
	id, processURL := h.create(basicSession("ORDER-CS"))
	h.pay(id, cardDeny).want(t, http.StatusOK)
	h.pay(id, cardPendingApprove).want(t, http.StatusOK)
	r := h.control(http.MethodGet, fmt.Sprintf("/sandbox/sessions/%d", id), nil).want(t, http.StatusOK)
	for _, tc := range []struct {
		path []any
		want string
	}{
		{[]any{"kind"}, "payment"},
		{[]any{"reference"}, "ORDER-CS"},
		{[]any{"processUrl"}, processURL},
		{[]any{"amount", "total"}, "100.5"},
		{[]any{"approved", "total"}, "0"},
		{[]any{"attempts", "rejected"}, "1"},
		{[]any{"attempts", "limit"}, "10"},
		{[]any{"payments", 0, "card"}, "Visa •••• 0016"},
		{[]any{"payments", 1, "status", "status"}, "PENDING"},
		{[]any{"payments", 1, "resolvesAt"}, "2026-03-02T10:06:05-05:00"},
		{[]any{"expiresAt"}, "2026-03-02T10:34:05-05:00"},
	} {
		if got := str(r.Body, tc.path...); got != tc.want {
			t.Errorf("%v = %q, want %q", tc.path, got, tc.want)
		}
	}
	h.control(http.MethodGet, "/sandbox/sessions/999999", nil).want(t, http.StatusNotFound)
}

func TestControlApprovals(t *testing.T) {
	h := newHarness(t)
	id, ref := h.paidSession(basicSession("AP-PAY"), cardApprove)
	h.paidSession(basicSession("AP-DENY"), cardDeny)
	h.action(ref, "reverse", usd(10)).want(t, http.StatusOK)
	tok, _ := h.tokenize(cardApprove)
	h.api("/api/collect", collectBody("AP-COLLECT", map[string]any{"token": tok}, 5)).want(t, http.StatusOK)
	hold := basicSession("AP-HOLD")
	hold["type"] = "checkin"
	_, holdRef := h.paidSession(hold, "5367680000000005")
	h.action(holdRef, "checkout", usd(80)).want(t, http.StatusOK)

	r := h.control(http.MethodGet, "/sandbox/approvals", nil).want(t, http.StatusOK)
	var got []string
	for _, a := range get(r.Body, "data").([]any) {
		got = append(got, fmt.Sprintf("%s %s %s %s refunded %s", str(a, "kind"), str(a, "reference"), str(a, "amount", "currency"), str(a, "amount", "total"), str(a, "refundedTotal")))
	}
	want := []string{
		"payment AP-PAY USD 100.5 refunded 10",
		"collect AP-COLLECT USD 5 refunded 0",
		"preauthorization AP-HOLD USD 100.5 refunded 0",
		"capture AP-HOLD USD 80 refunded 0",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("approvals (-want +got):\n%s", diff)
	}
	if str(r.Body, "data", 0, "requestId") != itoa(id) || str(r.Body, "data", 0, "internalReference") != itoa(ref) {
		t.Errorf("the first approval is %s, want request %d payment %d", r.Raw, id, ref)
	}
}

func TestControlFaults(t *testing.T) {
	h := newHarness(t)
	h.control(http.MethodPut, "/sandbox/notifications/faults", map[string]any{"drop": 1}).want(t, http.StatusOK)
	id, _ := h.create(basicSession("CF-1"))
	h.pay(id, cardApprove).want(t, http.StatusOK)
	if got := str(h.notifications(), 0, "outcome"); got != "dropped" {
		t.Errorf("outcome %q after switching drop on, want dropped", got)
	}
	r := h.control(http.MethodPut, "/sandbox/notifications/faults", map[string]any{"corrupt": 0.25, "delay": 1, "delayBy": "90s", "seed": 3}).want(t, http.StatusOK)
	if got := fmt.Sprint(str(r.Body, "drop"), str(r.Body, "corrupt"), str(r.Body, "delayBy"), str(r.Body, "seed")); got != "00.251m30s3" {
		t.Errorf("faults now %s", r.Raw)
	}
	h.control(http.MethodPut, "/sandbox/notifications/faults", map[string]any{"drop": 2}).want(t, http.StatusUnprocessableEntity)
	h.control(http.MethodPut, "/sandbox/notifications/faults", map[string]any{"delayBy": "later"}).want(t, http.StatusUnprocessableEntity)
	if got := str(h.control(http.MethodGet, "/sandbox/notifications/faults", nil).want(t, http.StatusOK).Body, "delay"); got != "1" {
		t.Errorf("a refused change changed the faults: delay %s", got)
	}
}

func TestControlCards(t *testing.T) {
	h := newHarness(t)
	r := h.control(http.MethodGet, "/sandbox/cards", nil).want(t, http.StatusOK)
	cards := get(r.Body, "data").([]any)
	if len(cards) != len(testCards) {
		t.Fatalf("%d cards, want %d", len(cards), len(testCards))
	}
	byNumber := map[string]string{}
	for _, c := range cards {
		byNumber[str(c, "number")] = str(c, "behaviour") + " " + str(c, "pendingFor")
	}
	for number, want := range map[string]string{
		cardApprove: "approve ", cardDeny: "deny ", cardPendingApprove: "pending then approved 2m0s",
		cardSlowApprove: "pending then approved 3m0s", "4110760000000115": "pending then rejected 3m0s",
		"5180300000000047": "pending then approved 2m0s", "377222581193005": "approve ", "36545407030701": "pending then rejected 2m0s",
	} {
		if byNumber[number] != want {
			t.Errorf("card %s: %q, want %q", number, byNumber[number], want)
		}
	}
}
