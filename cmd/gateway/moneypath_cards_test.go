package main

import (
	"testing"
	"time"

	"github.com/placetopay-gateway/gateway/internal/placetopay/sandbox"
)

// TestMoneyPathCardOutcomes: each documented card behaviour ends the order in the right
// status, once with PlacetoPay's notification arriving (and a probe interval of an hour, so
// that the notification is what triggers the query) and once with every notification
// dropped (the probe, every second, finds it). The sandbox rejects a session at its attempts
// limit, here one rejected payment; a single declined attempt otherwise leaves it PENDING.
// Pending cards resolve when the sandbox clock passes their delay.
func TestMoneyPathCardOutcomes(t *testing.T) {
	cases := []struct {
		name    string
		card    string
		pending bool
		want    string // the order's final status
		session string // PlacetoPay's final session status
	}{
		{"approve", cardApprove, false, "paid", "APPROVED"},
		{"deny", cardDeny, false, "failed", "REJECTED"},
		{"pending then approved", cardPendingApprove, true, "paid", "APPROVED"},
		{"pending then rejected", cardPendingReject, true, "failed", "REJECTED"},
	}
	for _, mode := range []struct {
		name     string
		notified bool
	}{{"notified", true}, {"notifications dropped", false}} {
		t.Run(mode.name, func(t *testing.T) {
			t.Parallel()
			cfg := harnessConfig{sandbox: sandbox.Config{AttemptsLimit: 1, PendingDelay: 30 * time.Second}, probeInterval: time.Hour}
			if !mode.notified {
				cfg.probeInterval = time.Second
			}
			h := newHarness(t, cfg)
			if !mode.notified {
				h.dropNotifications(1)
			}
			g := h.gateways[0]
			// Sequential: the pending cases advance the one sandbox clock.
			for _, c := range cases {
				t.Run(c.name, func(t *testing.T) {
					o := h.createOrder(g, "25.00", "")
					s := h.mustCheckout(g, o.ID)
					h.pay(s.RequestID, c.card)
					if c.pending {
						// Still pending at PlacetoPay: a query shows it and changes nothing.
						got := h.order(g, o.ID, true)
						if got.Status != "pending" || len(got.Payments) != 1 || got.Payments[0].Status != "PENDING" {
							t.Fatalf("after paying with a pending card: order %s with payments %+v, want pending with one PENDING payment", got.Status, got.Payments)
						}
						h.advance(31 * time.Second)
					}
					if st := h.sandboxSession(s.RequestID).Status.Status; st != c.session {
						t.Fatalf("sandbox session is %s, want %s", st, c.session)
					}

					got, took := h.waitStatus(g, o.ID, c.want, 5*time.Second)
					t.Logf("order %s after %s", got.Status, took.Round(time.Millisecond))
					wantPaid := "0.00"
					if c.want == "paid" {
						wantPaid = "25.00"
					}
					if got.PaidAmount.Total != wantPaid {
						t.Errorf("paidAmount = %+v, want %s", got.PaidAmount, wantPaid)
					}
					if n := h.transitionsTo(o.ID, c.want); n != 1 {
						t.Errorf("%d transitions to %s on the timeline, want 1", n, c.want)
					}
					if n := h.eventsOf(o.ID, "order."+c.want); n != 1 {
						t.Errorf("%d order.%s events, want 1", n, c.want)
					}
					if c.want == "failed" && h.eventsOf(o.ID, "order.paid") != 0 {
						t.Error("a failed order has an order.paid event")
					}

					// How it got there: the notification, or the probe without one.
					notes := h.sandboxNotifications(s.RequestID)
					if len(notes) != 1 {
						t.Fatalf("sandbox decided %d notifications for the session, want 1: %+v", len(notes), notes)
					}
					stored := h.count(`SELECT count(*) FROM notifications WHERE request_id = $1 AND status = $2`, s.RequestID, c.session)
					if mode.notified {
						if notes[0].Outcome != "sent" || len(notes[0].Deliveries) != 1 || notes[0].Deliveries[0].Status != 200 {
							t.Errorf("sandbox notification %+v, want sent and answered 200", notes[0])
						}
						if stored != 1 {
							t.Errorf("%d stored notifications for the session, want 1", stored)
						}
					} else {
						if notes[0].Outcome != "dropped" {
							t.Errorf("sandbox notification %+v, want dropped", notes[0])
						}
						if stored != 0 {
							t.Errorf("%d stored notifications although every one was dropped", stored)
						}
					}
				})
			}
		})
	}
}
