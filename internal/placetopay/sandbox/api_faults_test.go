package sandbox

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"testing"
	"time"
)

// TestAPIFaultsFailARefundThatHappened: a transaction fault with a status and apply answers
// the merchant 500 after carrying the refund out: the payment shows refunded. The fault hits
// as many requests as its count, then the API answers as usual.
func TestAPIFaultsFailARefundThatHappened(t *testing.T) {
	h := newHarness(t)
	id, ref := h.paidSession(basicSession("ORDER-F1"), cardApprove)
	r := h.control(http.MethodPut, "/sandbox/faults", map[string]any{"transaction": map[string]any{"status": 500, "apply": true, "count": 1}}).want(t, http.StatusOK)
	if got := str(r.Body, "transaction", "status") + " " + str(r.Body, "transaction", "count"); got != "500 1" {
		t.Errorf("PUT answered %s, want the fault: 500 1", r.Raw)
	}
	wantFailed(t, h.action(ref, "reverse", nil), http.StatusInternalServerError, "FAULT", "")
	if got := str(h.query(id).Body, "payment", 0, "refunded"); got != "true" {
		t.Errorf("after the failed answer the payment shows refunded=%s, want true: the refund happened", got)
	}
	if r := h.control(http.MethodGet, "/sandbox/faults", nil).want(t, http.StatusOK); string(r.Raw) != "{}\n" && string(r.Raw) != "{}" {
		t.Errorf("faults after their one hit: %s, want none", r.Raw)
	}
	// The next request answers as usual: PlacetoPay refuses a second refund.
	wantFailed(t, h.action(ref, "reverse", nil), http.StatusBadRequest, "request_not_valid", "Transaction already refunded")
}

// TestAPIFaultsFailARefundThatDidNotHappen: without apply nothing is carried out; with no
// count the fault hits every request until the faults are replaced.
func TestAPIFaultsFailARefundThatDidNotHappen(t *testing.T) {
	h := newHarness(t)
	id, ref := h.paidSession(basicSession("ORDER-F2"), cardApprove)
	h.control(http.MethodPut, "/sandbox/faults", map[string]any{"transaction": map[string]any{"status": 503}}).want(t, http.StatusOK)
	for range 3 {
		wantFailed(t, h.action(ref, "reverse", nil), http.StatusServiceUnavailable, "FAULT", "")
	}
	if got := str(h.query(id).Body, "payment", 0, "refunded"); got != "false" {
		t.Errorf("the payment shows refunded=%s, want false: the refund never happened", got)
	}
	if got := str(h.control(http.MethodGet, "/sandbox/faults", nil).Body, "transaction", "status"); got != "503" {
		t.Errorf("the fault in force reads status %q, want 503", got)
	}
	h.control(http.MethodPut, "/sandbox/faults", map[string]any{}).want(t, http.StatusOK)
	h.action(ref, "reverse", nil).want(t, http.StatusOK)
}

// TestAPIFaultsDelay: a delay holds the real answer; a client that gives up first gets none,
// while the request was carried out.
func TestAPIFaultsDelay(t *testing.T) {
	h := newHarness(t)
	id, ref := h.paidSession(basicSession("ORDER-F3"), cardApprove)
	ctl := Control{BaseURL: h.url}
	if err := ctl.SetAPIFaults(context.Background(), map[string]APIFault{opQuery: {Delay: 300 * time.Millisecond, Count: 1}}); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if got := status(h.query(id).Body, "status"); got != "APPROVED/00" {
		t.Errorf("the held answer reads %s, want the session APPROVED/00", got)
	}
	if took := time.Since(start); took < 300*time.Millisecond {
		t.Errorf("the answer came after %s, want it held 300ms", took)
	}
	if err := ctl.SetAPIFaults(context.Background(), map[string]APIFault{opTransaction: {Delay: time.Minute}}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	raw, err := json.Marshal(map[string]any{"auth": h.auth(), "internalReference": ref, "action": "reverse"})
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, h.url+"/api/transaction", bytes.NewReader(raw))
	req.Header.Set("Content-Type", "application/json")
	if resp, err := http.DefaultClient.Do(req); err == nil {
		resp.Body.Close()
		t.Fatalf("a held answer came back: HTTP %d", resp.StatusCode)
	}
	if got := str(h.query(id).Body, "payment", 0, "refunded"); got != "true" {
		t.Errorf("the payment shows refunded=%s, want true: the request was carried out, only its answer held", got)
	}
	if err := ctl.SetAPIFaults(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
}

// TestAPIFaultsRefused: PUT /sandbox/faults is strict and refuses what it cannot apply,
// changing nothing.
func TestAPIFaultsRefused(t *testing.T) {
	h := newHarness(t)
	h.control(http.MethodPut, "/sandbox/faults", map[string]any{"query": map[string]any{"status": 502, "count": 2}}).want(t, http.StatusOK)
	for _, tc := range []struct {
		name string
		body string
		code int
	}{
		{"unknown operation", `{"refund": {"status": 500}}`, http.StatusUnprocessableEntity},
		{"unknown field", `{"transaction": {"status": 500, "rate": 0.5}}`, http.StatusBadRequest},
		{"status not a server failure", `{"transaction": {"status": 404}}`, http.StatusUnprocessableEntity},
		{"nothing to do", `{"transaction": {"count": 1}}`, http.StatusUnprocessableEntity},
		{"apply without status", `{"transaction": {"delay": "1s", "apply": true}}`, http.StatusUnprocessableEntity},
		{"bad delay", `{"transaction": {"delay": "soon"}}`, http.StatusUnprocessableEntity},
		{"delay too long", `{"transaction": {"delay": "11m"}}`, http.StatusUnprocessableEntity},
		{"negative count", `{"transaction": {"status": 500, "count": -1}}`, http.StatusUnprocessableEntity},
		{"not an object", `[]`, http.StatusBadRequest},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h.send(http.MethodPut, "/sandbox/faults", "application/json", []byte(tc.body)).want(t, tc.code)
		})
	}
	r := h.control(http.MethodGet, "/sandbox/faults", nil).want(t, http.StatusOK)
	if got := str(r.Body, "query", "status") + " " + str(r.Body, "query", "count"); got != "502 2" || get(r.Body, "transaction") != nil {
		t.Errorf("faults after refused PUTs: %s, want the query fault only", r.Raw)
	}
}
