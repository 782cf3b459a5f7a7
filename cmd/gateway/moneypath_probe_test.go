package main

import (
	"sync"
	"testing"
	"time"

	"github.com/placetopay-gateway/gateway/internal/placetopay/sandbox"
)

// TestMoneyPathProbeFindsEveryApproval: PlacetoPay sends each notification once and never
// retries it, so with every notification lost the probe alone must find each approval,
// within one probe interval of it.
//
// The bound asserted is probeInterval + probeSlack = 1.75 s. Sessions are due one sweep
// (a quarter interval) early, so the check itself starts within the interval; the slack
// (750 ms) covers the PlacetoPay query and the reconciling transaction, the test's own 20 ms
// polling of GET /v1/orders/{id}, and the race detector on a busy two-core machine running
// other test packages at the same time. It does not cover a second interval: a session whose
// check was missed would take about 2 s, and fail.
//
// Not parallel: the other money path tests would eat into the slack.
func TestMoneyPathProbeFindsEveryApproval(t *testing.T) {
	const (
		probeInterval = time.Second
		probeSlack    = 750 * time.Millisecond
		sessions      = 6
	)
	h := newHarness(t, harnessConfig{
		sandbox:       sandbox.Config{Faults: sandbox.Faults{Drop: 1}},
		probeInterval: probeInterval,
	})
	g := h.gateways[0]

	type tracked struct {
		order string
		req   int64
	}
	var list []tracked
	for range sessions {
		o := h.createOrder(g, "12.34", "")
		list = append(list, tracked{o.ID, h.mustCheckout(g, o.ID).RequestID})
	}

	// Let the probe check every session once, so that it runs on its steady cycle; then
	// approve one session every interval/sessions, so that the approvals land at every phase
	// of that cycle, and time each until the order reads paid.
	h.waitDB("every session checked once", 5*time.Second,
		`SELECT count(*) = $1 FROM checkout_sessions WHERE last_checked_at IS NOT NULL`, sessions)
	delays := make([]time.Duration, sessions)
	errs := make([]string, sessions)
	var wg sync.WaitGroup
	for i, s := range list {
		time.Sleep(probeInterval / sessions)
		approvedBy := time.Now() // before the approval: the measured delay can only be longer
		h.pay(s.req, cardApprove)
		wg.Add(1)
		go func() {
			defer wg.Done()
			deadline := approvedBy.Add(5 * time.Second)
			for {
				o, err := getOrder(g, s.order)
				if err != nil {
					errs[i] = err.Error()
					return
				}
				if o.Status == "paid" {
					delays[i] = time.Since(approvedBy)
					return
				}
				if o.Status != "pending" {
					errs[i] = "order became " + o.Status
					return
				}
				if time.Now().After(deadline) {
					errs[i] = "still pending 5s after the approval"
					return
				}
				time.Sleep(20 * time.Millisecond)
			}
		}()
	}
	wg.Wait()

	for i, s := range list {
		switch {
		case errs[i] != "":
			t.Errorf("session %d (order %s): %s", s.req, s.order, errs[i])
		case delays[i] > probeInterval+probeSlack:
			t.Errorf("session %d (order %s) paid %s after its approval, want under %s (one probe interval plus %s of slack)",
				s.req, s.order, delays[i].Round(time.Millisecond), probeInterval+probeSlack, probeSlack)
		default:
			t.Logf("session %d paid %s after its approval", s.req, delays[i].Round(time.Millisecond))
		}
		if n := h.transitionsTo(s.order, "paid"); n != 1 {
			t.Errorf("order %s: %d transitions to paid, want 1", s.order, n)
		}
		for _, n := range h.sandboxNotifications(s.req) {
			if n.Outcome != "dropped" {
				t.Errorf("session %d: sandbox notification %+v, want dropped", s.req, n)
			}
		}
	}
	if n := h.count(`SELECT count(*) FROM notifications`); n != 0 {
		t.Errorf("the gateway stored %d notifications although every one was dropped", n)
	}
}
