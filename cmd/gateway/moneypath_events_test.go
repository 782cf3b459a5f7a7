package main

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/placetopay-gateway/gateway/internal/placetopay/sandbox"
)

// TestMoneyPathMerchantHearsOfConfirmationsAndRecurringCharges: a payment that enters
// PENDING_CONFIRMATION writes one order.confirmation_required event with its deadline,
// however often its session is queried; each recurring charge PlacetoPay reports writes an
// order.recurring_charge event that says it is unconfirmed and leaves the order's amounts
// as they were.
func TestMoneyPathMerchantHearsOfConfirmationsAndRecurringCharges(t *testing.T) {
	t.Parallel()
	const window = 2 * time.Minute
	h := newHarness(t, harnessConfig{
		probeInterval: 300 * time.Millisecond, publicRelay: true,
		sandbox: sandbox.Config{ConfirmWindow: window},
		env:     func(string) []string { return []string{"GATEWAY_CONFIRMATION_WINDOW=" + window.String()} },
	})
	g := h.gateways[0]

	t.Run("a payment awaiting confirmation, once, with its deadline", func(t *testing.T) {
		o := h.createOrder(g, "41.00", "")
		code, raw := h.checkout(g, o.ID, map[string]any{"requiresConfirmation": true})
		if code != http.StatusCreated {
			t.Fatalf("checkout = %d %s", code, raw)
		}
		var s checkoutJSON
		h.decode(raw, &s)
		h.pay(s.RequestID, cardApprove)
		h.waitDB("the payment awaits confirmation", 10*time.Second,
			`SELECT count(*) = 1 FROM payments WHERE order_id = $1 AND status = 'PENDING_CONFIRMATION'`, o.ID)
		var (
			ref     int64
			entered time.Time
		)
		if err := h.db.QueryRow(context.Background(), `SELECT internal_reference, provider_date FROM payments WHERE order_id = $1`, o.ID).
			Scan(&ref, &entered); err != nil {
			t.Fatal(err)
		}
		// The session is queried again and again while the payment waits: still one event.
		h.order(g, o.ID, true)
		time.Sleep(time.Second) // a few probe rounds
		h.order(g, o.ID, true)
		ev := h.waitEvents(g, 1, 10*time.Second, ofOrder(o.ID, "order.confirmation_required"))[0]
		c := member(ev.Data, "confirmation")
		if c == nil || integer(c["internalReference"]) != ref || ev.Data["status"] != "pending" {
			t.Fatalf("order.confirmation_required = %+v, want payment %d of the pending order", ev.Data, ref)
		}
		deadline, err := time.Parse(time.RFC3339, fmt.Sprint(c["deadline"]))
		if err != nil || !deadline.Equal(entered.Add(window).Truncate(time.Second)) {
			t.Errorf("deadline %v (%v), want %s: the payment's date plus the window", c["deadline"], err, entered.Add(window).UTC().Truncate(time.Second))
		}
		if m := member(c, "amount"); m["currency"] != "USD" || m["total"] != "41.00" {
			t.Errorf("confirmation amount %v, want USD 41.00", c["amount"])
		}

		path := fmt.Sprintf("/v1/orders/%s/payments/%d/confirm", o.ID, ref)
		if code, raw := h.call(g, http.MethodPost, path, nil); code != http.StatusOK {
			t.Fatalf("confirm = %d %s", code, raw)
		}
		h.waitEvents(g, 1, 10*time.Second, ofOrder(o.ID, "order.paid"))
		if n := h.eventsOf(o.ID, "order.confirmation_required"); n != 1 {
			t.Errorf("%d order.confirmation_required events after the confirm, want 1", n)
		}
	})

	t.Run("recurring charges, unconfirmed, never counted", func(t *testing.T) {
		o := h.createOrder(g, "25.00", "")
		code, raw := h.checkout(g, o.ID, map[string]any{"recurring": map[string]any{
			"periodicity": "M", "interval": 1, "maxPeriods": 12, "nextPayment": time.Now().UTC().Add(36 * time.Hour).Format(time.DateOnly)}})
		if code != http.StatusCreated {
			t.Fatalf("checkout = %d %s", code, raw)
		}
		var s checkoutJSON
		h.decode(raw, &s)
		h.pay(s.RequestID, cardApprove)
		h.waitStatus(g, o.ID, "paid", 10*time.Second)

		charge := func(status string) (int64, []byte) {
			t.Helper()
			out, err := h.sandbox.RecurringCharge(t.Context(), s.RequestID, status)
			if err != nil {
				t.Fatalf("recurring charge: %v", err)
			}
			return out.InternalReference, out.Notification
		}
		approved, body := charge("APPROVED")
		ev := h.waitEvents(g, 1, 10*time.Second, ofOrder(o.ID, "order.recurring_charge"))[0]
		c := member(ev.Data, "recurringCharge")
		if c == nil || integer(c["internalReference"]) != approved || c["status"] != "APPROVED" || c["confirmed"] != false {
			t.Fatalf("order.recurring_charge = %+v, want charge %d APPROVED and unconfirmed", ev.Data, approved)
		}
		if m := member(c, "amount"); m["currency"] != "USD" || m["total"] != "25.00" {
			t.Errorf("charge amount %v, want USD 25.00", c["amount"])
		}
		if ev.Data["status"] != "paid" || ev.Data["previousStatus"] != "paid" || member(ev.Data, "paidAmount")["total"] != "25.00" {
			t.Errorf("order in the event: %v, want paid with 25.00 paid, unchanged", ev.Data)
		}

		// The same notification again records nothing new: no second event.
		if code := postNotification(t, g, body); code != http.StatusOK {
			t.Fatalf("duplicate recurring notification = %d", code)
		}
		declined, _ := charge("REJECTED")
		events := h.waitEvents(g, 2, 10*time.Second, ofOrder(o.ID, "order.recurring_charge"))
		if c := member(events[1].Data, "recurringCharge"); integer(c["internalReference"]) != declined || c["status"] != "REJECTED" {
			t.Errorf("second order.recurring_charge = %v, want charge %d REJECTED", events[1].Data, declined)
		}
		if got := h.order(g, o.ID, false); got.Status != "paid" || got.PaidAmount.Total != "25.00" {
			t.Errorf("after the charges the order is %s paid %s, want paid 25.00", got.Status, got.PaidAmount.Total)
		}
	})
}
