package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/placetopay-gateway/gateway/internal/placetopay"
	"github.com/placetopay-gateway/gateway/internal/placetopay/sandbox"
)

// notify posts a notification body to the gateway's PlacetoPay endpoint.
func (h *harness) notify(g *runningGateway, body []byte) (int, []byte) {
	h.t.Helper()
	resp, err := harnessClient.Post(g.url+"/webhooks/placetopay", "application/json", bytes.NewReader(body))
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, out
}

// notificationBody is a PlacetoPay notification (docs/placetopay.md#notification-body) signed with secret.
func notificationBody(t *testing.T, alg placetopay.Algorithm, requestID int64, reference, status, date, signedStatus, secret string) []byte {
	t.Helper()
	sig, err := placetopay.NotificationSignature(alg, requestID, signedStatus, date, secret)
	if err != nil {
		t.Fatal(err)
	}
	body, err := json.Marshal(map[string]any{
		"status":    map[string]string{"status": status, "reason": "00", "message": "La petición ha sido aprobada exitosamente", "date": date},
		"requestId": requestID, "reference": reference, "signature": sig,
	})
	if err != nil {
		t.Fatal(err)
	}
	return body
}

// TestMoneyPathNotificationsDoNotDecide: a notification's body never changes an order. A
// forged one is refused and leaves no trace; a correctly signed one is stored and triggers
// a query, and the query decides; an approval PlacetoPay reports for another amount,
// currency or reference puts the order in review, never paid.
func TestMoneyPathNotificationsDoNotDecide(t *testing.T) {
	t.Parallel()
	// The sandbox's own notifications are dropped and the probe waits an hour: only the
	// notifications this test posts, and explicit refreshes, make the gateway query.
	h := newHarness(t, harnessConfig{
		sandbox:       sandbox.Config{Faults: sandbox.Faults{Drop: 1}},
		probeInterval: time.Hour,
		proxy:         true,
	})
	g := h.gateways[0]
	now := time.Now().In(time.FixedZone("-05", -5*3600)).Format(time.RFC3339)

	t.Run("forged signature", func(t *testing.T) {
		o := h.createOrder(g, "40.00", "")
		s := h.mustCheckout(g, o.ID)
		forged := map[string][]byte{
			"sha256 with another secret": notificationBody(t, placetopay.SHA256, s.RequestID, o.Reference, "APPROVED", now, "APPROVED", "not-the-secret"),
			"sha1 with another secret":   notificationBody(t, placetopay.SHA1, s.RequestID, o.Reference, "APPROVED", now, "APPROVED", "not-the-secret"),
			"status changed after signing": notificationBody(t, placetopay.SHA256, s.RequestID, o.Reference,
				"APPROVED", now, "REJECTED", placetopaySecretKey),
			"unknown algorithm": bytes.Replace(notificationBody(t, placetopay.SHA256, s.RequestID, o.Reference, "APPROVED", now, "APPROVED", placetopaySecretKey),
				[]byte(`"sha256:`), []byte(`"md5:`), 1),
			"no signature": []byte(`{"status":{"status":"APPROVED","reason":"00","message":"ok","date":"` + now + `"},"requestId":` +
				strconv.FormatInt(s.RequestID, 10) + `,"reference":"` + o.Reference + `"}`),
			"not JSON": []byte(`status=APPROVED&requestId=` + strconv.FormatInt(s.RequestID, 10)),
		}
		for name, body := range forged {
			code, raw := h.notify(g, body)
			if code != http.StatusBadRequest {
				t.Errorf("%s: POST /webhooks/placetopay = %d %s, want 400", name, code, raw)
			}
		}
		got := h.order(g, o.ID, false)
		if got.Status != "pending" || got.PaidAmount.Total != "0.00" || len(got.Payments) != 0 {
			t.Errorf("after forged notifications the order is %s, paid %s, %d payments; want it unchanged", got.Status, got.PaidAmount.Total, len(got.Payments))
		}
		if n := h.count(`SELECT count(*) FROM notifications`); n != 0 {
			t.Errorf("%d notification rows after forged notifications, want none", n)
		}
		if n := h.count(`SELECT count(*) FROM order_timeline WHERE order_id = $1 AND kind <> 'created'`, o.ID); n != 0 {
			t.Errorf("%d timeline entries besides the creation, want none", n)
		}
		// Nothing was even asked of PlacetoPay.
		if n := h.count(`SELECT count(*) FROM checkout_sessions WHERE request_id = $1 AND last_checked_at IS NOT NULL`, s.RequestID); n != 0 {
			t.Error("a forged notification made the gateway query the session")
		}
	})

	t.Run("signed status the query contradicts", func(t *testing.T) {
		o := h.createOrder(g, "41.00", "")
		s := h.mustCheckout(g, o.ID)
		// Correctly signed with the site's secret, but the session is still PENDING.
		body := notificationBody(t, placetopay.SHA256, s.RequestID, o.Reference, "APPROVED", now, "APPROVED", placetopaySecretKey)
		if code, raw := h.notify(g, body); code != http.StatusOK {
			t.Fatalf("signed notification = %d %s, want 200", code, raw)
		}
		h.waitDB("the notification's query ran", 5*time.Second,
			`SELECT last_checked_at IS NOT NULL FROM checkout_sessions WHERE request_id = $1`, s.RequestID)
		got := h.order(g, o.ID, false)
		if got.Status != "pending" || got.PaidAmount.Total != "0.00" || len(got.Payments) != 0 {
			t.Errorf("after a signed APPROVED notification for a PENDING session the order is %s, paid %s, %d payments; want pending, nothing paid",
				got.Status, got.PaidAmount.Total, len(got.Payments))
		}
		if n := h.count(`SELECT count(*) FROM notifications WHERE request_id = $1 AND status = 'APPROVED'`, s.RequestID); n != 1 {
			t.Errorf("%d stored notifications, want the one received", n)
		}
		if n := h.count(`SELECT count(*) FROM events WHERE order_id = $1`, o.ID); n != 0 {
			t.Errorf("%d events, want none", n)
		}
		if n := h.transitionsTo(o.ID, "paid"); n != 0 {
			t.Errorf("%d transitions to paid", n)
		}
	})

	mismatches := []struct {
		name   string
		edit   func(pay map[string]any)
		reason []string // what the review's timeline entry must say
	}{
		{"amount", func(pay map[string]any) {
			for _, side := range []string{"from", "to"} {
				pay["amount"].(map[string]any)[side].(map[string]any)["total"] = json.Number("1.00")
			}
		}, []string{"1.00 USD", "42.00 USD"}},
		{"currency", func(pay map[string]any) {
			for _, side := range []string{"from", "to"} {
				pay["amount"].(map[string]any)[side].(map[string]any)["currency"] = "COP"
			}
		}, []string{"COP", "USD"}},
		{"reference", func(pay map[string]any) { pay["reference"] = "SOMEONE-ELSES-ORDER" }, []string{"SOMEONE-ELSES-ORDER"}},
	}
	for _, m := range mismatches {
		t.Run("approved with another "+m.name, func(t *testing.T) {
			o := h.createOrder(g, "42.00", "")
			s := h.mustCheckout(g, o.ID)
			h.proxy.rewrite(s.RequestID, m.edit)
			h.pay(s.RequestID, cardApprove)

			got := h.order(g, o.ID, true)
			if got.Status != "review" {
				t.Fatalf("order is %s after PlacetoPay reported an approval of another %s, want review", got.Status, m.name)
			}
			var reason string
			if err := h.db.QueryRow(t.Context(), `SELECT coalesce(message, '') FROM order_timeline
				WHERE order_id = $1 AND kind = 'transition' AND to_status = 'review'`, o.ID).Scan(&reason); err != nil {
				t.Fatalf("the review's timeline entry: %v", err)
			}
			for _, want := range m.reason {
				if !strings.Contains(reason, want) {
					t.Errorf("review reason %q does not mention %q", reason, want)
				}
			}
			if n := h.eventsOf(o.ID, "order.review"); n != 1 {
				t.Errorf("%d order.review events, want 1", n)
			}

			// Even once PlacetoPay's answers look right again, and whatever asks, the order is
			// never marked paid automatically.
			h.proxy.rewrite(s.RequestID, nil)
			body := notificationBody(t, placetopay.SHA256, s.RequestID, o.Reference, "APPROVED", now, "APPROVED", placetopaySecretKey)
			if code, raw := h.notify(g, body); code != http.StatusOK {
				t.Fatalf("signed notification = %d %s, want 200", code, raw)
			}
			for range 2 {
				h.order(g, o.ID, true)
			}
			h.waitDB("the session is no longer due", 5*time.Second,
				`SELECT next_check_at IS NULL FROM checkout_sessions WHERE request_id = $1`, s.RequestID)
			if got := h.order(g, o.ID, false); got.Status != "review" {
				t.Errorf("order is %s after later queries, want it still in review", got.Status)
			}
			if n := h.transitionsTo(o.ID, "paid"); n != 0 {
				t.Errorf("%d transitions to paid, want none", n)
			}
			if n := h.eventsOf(o.ID, "order.paid"); n != 0 {
				t.Errorf("%d order.paid events, want none", n)
			}
		})
	}
}
