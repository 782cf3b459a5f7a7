package sandbox_test

import (
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/placetopay-gateway/gateway/internal/placetopay"
)

// recorder is a placetopay.Observer that keeps what it is told.
type recorder struct {
	mu    sync.Mutex
	calls []string
	skews []time.Duration
}

func (r *recorder) ObserveCall(op, outcome string, _ time.Duration) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls = append(r.calls, op+" "+outcome)
}

func (r *recorder) ObserveSeedSkew(d time.Duration) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.skews = append(r.skews, d)
}

func (r *recorder) take() ([]string, []time.Duration) {
	r.mu.Lock()
	defer r.mu.Unlock()
	calls, skews := r.calls, r.skews
	r.calls, r.skews = nil, nil
	return calls, skews
}

// TestClientObserver: the outcomes the client reports for the sandbox's real answers, and
// the clock skew it reads from their dates.
func TestClientObserver(t *testing.T) {
	e := newEnv(t)
	rec := &recorder{}
	c := e.newClient(func(cfg *placetopay.Config) { cfg.Observer = rec })
	ctx := t.Context()
	created, err := c.CreateSession(ctx, basicRequest("OBS-1", "10.00"))
	if err != nil {
		t.Fatal(err)
	}
	id := int64(created.RequestID)
	_, ref := e.paid(basicRequest("OBS-2", "10.00"), visaApprove)
	steps := []struct {
		name string
		call func()
		want string
	}{
		{"query", func() { _, _ = c.QuerySession(ctx, id) }, "query_session ok"},
		{"query unknown", func() { _, _ = c.QuerySession(ctx, 99) }, "query_session failed:request_not_valid"},
		{"cancel", func() { _, _ = c.CancelSession(ctx, id) }, "cancel_session ok"},
		{"cancel again", func() { _, _ = c.CancelSession(ctx, id) }, "cancel_session failed:action_not_allowed"},
		{"collect unknown token", func() {
			_, _ = c.Collect(ctx, collectRequest("OBS-C", "1.00", placetopay.Token{Token: "0123456789abcdef"}))
		}, "collect failed:XN"},
		{"reverse", func() {
			_, _ = c.TransactionAction(ctx, placetopay.TransactionRequest{InternalReference: ref, Action: placetopay.ActionReverse})
		}, "transaction_reverse ok"},
		{"legacy reverse again", func() { _, _ = c.Reverse(ctx, placetopay.ReverseRequest{InternalReference: ref}) }, "reverse failed:BR"},
		{"autopay cancel unknown", func() { _, _ = c.CancelAutopay(ctx, placetopay.AutopayCancelRequest{ID: someUUID}) }, "autopay_cancel failed:BR"},
		{"autopay search", func() { _, _ = c.SearchAutopay(ctx, placetopay.AutopaySearchRequest{}) }, "autopay_search ok"},
		{"refused by validation", func() { _, _ = c.QuerySession(ctx, 0) }, "query_session invalid"},
	}
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			rec.take()
			s.call()
			calls, skews := rec.take()
			if d := cmp.Diff([]string{s.want}, calls); d != "" {
				t.Errorf("observed calls (-want +got):\n%s", d)
			}
			// Both clocks are the sandbox's: every dated answer shows no skew.
			if slices.ContainsFunc(skews, func(d time.Duration) bool { return d != 0 }) {
				t.Errorf("observed skews %v, want 0", skews)
			}
		})
	}
	for _, skew := range []time.Duration{4 * time.Minute, 6 * time.Minute} {
		t.Run(fmt.Sprintf("client %s ahead", skew), func(t *testing.T) {
			rec := &recorder{}
			ahead := e.newClient(func(cfg *placetopay.Config) {
				cfg.Observer = rec
				cfg.Clock = func() time.Time { return e.clock.Now().Add(skew) }
			})
			_, _ = ahead.QuerySession(ctx, id)
			calls, skews := rec.take()
			want := "query_session ok"
			if skew > 5*time.Minute {
				want = "query_session auth:103"
			}
			if d := cmp.Diff([]string{want}, calls); d != "" {
				t.Errorf("observed calls (-want +got):\n%s", d)
			}
			if d := cmp.Diff([]time.Duration{-skew}, skews); d != "" {
				t.Errorf("observed skew (-want +got):\n%s", d)
			}
		})
	}
}
