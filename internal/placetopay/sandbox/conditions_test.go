package sandbox

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	pp "github.com/placetopay-gateway/gateway/internal/placetopay"
)

// attempt posts an authenticated query of session id, giving up after timeout, and returns
// the HTTP status, or 0 when no answer came in time.
func (h *harness) attempt(id int64, timeout time.Duration) int {
	h.t.Helper()
	raw, err := json.Marshal(map[string]any{"auth": h.auth()})
	if err != nil {
		h.t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, fmt.Sprintf("%s/api/session/%d", h.url, id), bytes.NewReader(raw))
	if err != nil {
		h.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := noRedirects.Do(req)
	if errors.Is(err, context.DeadlineExceeded) {
		return 0
	}
	if err != nil {
		h.t.Fatal(err)
	}
	_ = resp.Body.Close()
	return resp.StatusCode
}

// TestErrorRateFailsThatShareOfCalls: with errorRate 0.1, about a tenth of 400 calls (a
// fixed seed, bounds of ±5 standard deviations) are answered 500, 502, 503 or 504 with a
// FAILED status; the others are answered as usual.
func TestErrorRateFailsThatShareOfCalls(t *testing.T) {
	h := newHarness(t)
	id, _ := h.create(basicSession("COND-1"))
	h.control(http.MethodPost, "/sandbox/faults", map[string]any{"errorRate": 0.1, "seed": 3}).want(t, http.StatusOK)
	failed := map[int]int{}
	for range 400 {
		r := h.api(fmt.Sprintf("/api/session/%d", id), nil)
		if r.Code == http.StatusOK {
			continue
		}
		failed[r.Code]++
		if got := status(r.Body, "status"); got != "FAILED/FAULT" {
			t.Fatalf("a failed call answered status %s, want FAILED/FAULT", got)
		}
	}
	total := 0
	for code, n := range failed {
		if !slices.Contains(faultStatuses, code) {
			t.Errorf("%d calls answered %d, not a 5xx of the list", n, code)
		}
		total += n
	}
	if total < 10 || total > 70 {
		t.Errorf("%d of 400 calls failed (%v), want about 40", total, failed)
	}
	if len(failed) < 3 {
		t.Errorf("the failures used only %v; want a mix of 5xx", failed)
	}
}

// TestHangRateHoldsThatShareOfCalls: with hangRate 0.05, about a twentieth of 200 calls get
// no answer until the caller gives up; a create-session call that hangs opens nothing.
func TestHangRateHoldsThatShareOfCalls(t *testing.T) {
	h := newHarness(t)
	id, _ := h.create(basicSession("COND-2"))
	h.control(http.MethodPost, "/sandbox/faults", map[string]any{"hangRate": 0.05, "seed": 5}).want(t, http.StatusOK)
	hung := 0
	for range 200 {
		switch code := h.attempt(id, 150*time.Millisecond); code {
		case 0:
			hung++
		case http.StatusOK:
		default:
			t.Fatalf("a call answered %d; hangRate fails none", code)
		}
	}
	if hung < 2 || hung > 25 {
		t.Errorf("%d of 200 calls hung, want about 10", hung)
	}

	h.control(http.MethodPost, "/sandbox/faults", map[string]any{"hangRate": 1}).want(t, http.StatusOK)
	before, _ := h.sb.Sessions()
	raw, _ := json.Marshal(withAuth(h, basicSession("COND-2b")))
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, h.url+"/api/session", bytes.NewReader(raw))
	req.Header.Set("Content-Type", "application/json")
	if resp, err := noRedirects.Do(req); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("create session under hangRate 1: %v %v, want no answer", resp, err)
	}
	if after, _ := h.sb.Sessions(); after != before {
		t.Errorf("a hung create opened a session: %d sessions, then %d", before, after)
	}
}

func withAuth(h *harness, body map[string]any) map[string]any {
	body["auth"] = h.auth()
	return body
}

// TestOutageFailsEveryCallUntilTheSandboxClockPassesIt: an outage in error mode answers
// every API call 503 and one in hang mode answers none, for its duration by the sandbox
// clock; control calls keep working; advancing the clock past it ends it.
func TestOutageFailsEveryCallUntilTheSandboxClockPassesIt(t *testing.T) {
	for _, mode := range []string{"error", "hang"} {
		t.Run(mode, func(t *testing.T) {
			h := newHarness(t)
			id, _ := h.create(basicSession("COND-3"))
			r := h.control(http.MethodPost, "/sandbox/faults", map[string]any{"outage": "60s", "mode": mode}).want(t, http.StatusOK)
			if got := str(r.Body, "outage") + " " + str(r.Body, "mode") + " " + str(r.Body, "outageUntil"); got != "1m0s "+mode+" 2026-03-02T10:05:05-05:00" {
				t.Errorf("POST answered %s, want the outage until 10:05:05", r.Raw)
			}
			want := http.StatusServiceUnavailable
			if mode == "hang" {
				want = 0
			}
			for range 5 {
				if code := h.attempt(id, 150*time.Millisecond); code != want {
					t.Fatalf("during the outage a call answered %d, want %d", code, want)
				}
			}
			h.pay(id, cardApprove).want(t, http.StatusOK) // the shopper's page and the control API are up
			h.advance(59 * time.Second)
			if code := h.attempt(id, 150*time.Millisecond); code != want {
				t.Fatalf("a second before the end a call answered %d, want %d", code, want)
			}
			h.advance(time.Second)
			if got := status(h.query(id).Body, "status"); got != "APPROVED/00" {
				t.Errorf("after the outage the session reads %s, want APPROVED/00", got)
			}
			if r := h.control(http.MethodGet, "/sandbox/faults", nil); str(r.Body, "outageUntil") != "" {
				t.Errorf("GET after the outage: %s, want no outageUntil", r.Raw)
			}
		})
	}
}

// TestNotifyDelaySlowsEveryNotification: notifyDelay sends each notification that much
// later by the sandbox clock.
func TestNotifyDelaySlowsEveryNotification(t *testing.T) {
	h := newHarness(t)
	h.control(http.MethodPost, "/sandbox/faults", map[string]any{"notifyDelay": "5s"}).want(t, http.StatusOK)
	id, _ := h.create(basicSession("COND-4"))
	h.pay(id, cardApprove).want(t, http.StatusOK)
	rec := h.notifications()
	if got := str(rec, 0, "outcome") + " " + str(rec, 0, "dueAt"); got != "pending 2026-03-02T10:04:10-05:00" {
		t.Fatalf("recorded %s, want pending until 10:04:10", got)
	}
	if n := len(h.notes.All()); n != 0 {
		t.Fatalf("%d notifications arrived before their delay", n)
	}
	h.advance(5 * time.Second)
	if _, _, err := pp.VerifyNotification(h.notes.Next(t), testSecret); err != nil {
		t.Errorf("delayed notification: %v", err)
	}
}

// TestFaultsControlIsStrict: POST /sandbox/faults refuses what it cannot apply with a
// problem and changes nothing; GET shows the conditions with the API faults; POST {}
// clears the conditions, DELETE clears both.
func TestFaultsControlIsStrict(t *testing.T) {
	h := newHarness(t)
	h.control(http.MethodPut, "/sandbox/faults", map[string]any{"query": map[string]any{"status": 502}}).want(t, http.StatusOK)
	h.control(http.MethodPost, "/sandbox/faults", map[string]any{"errorRate": 0.25, "notifyDelay": "2s"}).want(t, http.StatusOK)
	for _, tc := range []struct {
		body string
		code int
		says string
	}{
		{`{"errorRate": 1.5}`, 422, "between 0 and 1"},
		{`{"errorRate": 0.6, "hangRate": 0.6}`, 422, "add up to at most 1"},
		{`{"mode": "hang"}`, 422, "mode goes with an outage"},
		{`{"outage": "60s", "mode": "slow"}`, 422, "mode must be error or hang"},
		{`{"outage": "sixty"}`, 422, "outage must be a Go duration"},
		{`{"notifyDelay": "-1s"}`, 422, "notifyDelay must be between"},
		{`{"latency": "p50=1s"}`, 400, "unknown field"},
		{`{"errorRate": "0.1"}`, 400, "malformed body"},
	} {
		r := h.send(http.MethodPost, "/sandbox/faults", "application/json", []byte(tc.body)).want(t, tc.code)
		var problem controlProblem
		_ = json.Unmarshal(r.Raw, &problem)
		if ct := r.Resp.Header.Get("Content-Type"); ct != "application/problem+json" || !strings.Contains(problem.Detail, tc.says) {
			t.Errorf("POST %s: %s %s, want a problem saying %q", tc.body, ct, r.Raw, tc.says)
		}
	}
	r := h.control(http.MethodGet, "/sandbox/faults", nil).want(t, http.StatusOK)
	if got := str(r.Body, "errorRate") + " " + str(r.Body, "notifyDelay") + " " + str(r.Body, "query", "status"); got != "0.25 2s 502" {
		t.Errorf("GET after refusals: %s, want the conditions and the API fault unchanged", r.Raw)
	}
	r = h.control(http.MethodPost, "/sandbox/faults", map[string]any{}).want(t, http.StatusOK)
	if got := str(r.Body, "errorRate") + " " + str(r.Body, "query", "status"); got != " 502" {
		t.Errorf("POST {}: %s, want the conditions cleared and the API fault kept", r.Raw)
	}
	r = h.control(http.MethodDelete, "/sandbox/faults", nil).want(t, http.StatusOK)
	if strings.TrimSpace(string(r.Raw)) != "{}" {
		t.Errorf("DELETE: %s, want no fault left", r.Raw)
	}
}

// TestControlSetsAndClearsConditions: the Go client sends what the handler takes.
func TestControlSetsAndClearsConditions(t *testing.T) {
	h := newHarness(t)
	id, _ := h.create(basicSession("COND-5"))
	ctl, ctx := Control{BaseURL: h.url}, context.Background()
	if err := ctl.SetConditions(ctx, Conditions{Outage: time.Minute, OutageMode: "error"}); err != nil {
		t.Fatal(err)
	}
	if code := h.attempt(id, time.Second); code != http.StatusServiceUnavailable {
		t.Fatalf("during the outage a call answered %d, want 503", code)
	}
	if err := ctl.ClearFaults(ctx); err != nil {
		t.Fatal(err)
	}
	h.query(id)
	var ce *ControlError
	if err := ctl.SetConditions(ctx, Conditions{ErrorRate: 2}); !errors.As(err, &ce) || ce.StatusCode != http.StatusUnprocessableEntity {
		t.Errorf("an error rate of 2: %v, want 422", err)
	}
}
