package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/placetopay-gateway/gateway/internal/placetopay"
	"github.com/placetopay-gateway/gateway/internal/placetopay/sandbox"
)

// TestMoneyPathSessionOptions: the session options of the "Create a Session" page end to end, through the
// merchant API, the real sandbox over HTTP and its signed notifications: partial payments
// (paid in parts, and expired with money taken), dispersion, recurring payments and their
// recurring-charge notifications.
func TestMoneyPathSessionOptions(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessConfig{probeInterval: time.Hour, proxy: true, publicRelay: true})
	g := h.gateways[0]
	problem := func(raw []byte) problemJSON {
		var p problemJSON
		h.decode(raw, &p)
		return p
	}
	checkoutWith := func(orderID string, body map[string]any) checkoutJSON {
		t.Helper()
		code, raw := h.checkout(g, orderID, body)
		if code != http.StatusCreated {
			t.Fatalf("checkout %v = %d %s, want 201", body, code, raw)
		}
		var s checkoutJSON
		h.decode(raw, &s)
		return s
	}
	// partialEvents returns the data of the order's order.partially_paid events, oldest first.
	partialEvents := func(orderID string) []map[string]any {
		t.Helper()
		rows, err := h.db.Query(t.Context(), `SELECT data FROM events WHERE order_id = $1 AND type = 'order.partially_paid' ORDER BY seq`, orderID)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var out []map[string]any
		for rows.Next() {
			var d map[string]any
			if err := rows.Scan(&d); err != nil {
				t.Fatal(err)
			}
			out = append(out, d)
		}
		return out
	}
	paid := func(d map[string]any) string {
		m, _ := d["paidAmount"].(map[string]any)
		return fmt.Sprint(m["total"])
	}
	client := h.placetopayClient()
	tomorrow := time.Now().UTC().Add(36 * time.Hour).Format(time.DateOnly)

	t.Run("a partial session paid in three parts: partially_paid, then paid once", func(t *testing.T) {
		o := h.createOrder(g, "30.00", "")
		s := checkoutWith(o.ID, map[string]any{"allowPartial": true})
		if n := h.count(`SELECT count(*) FROM checkout_sessions WHERE request_id = $1 AND allow_partial`, s.RequestID); n != 1 {
			t.Fatalf("the session is not stored as partial")
		}
		h.payPart(s.RequestID, "10.00")
		// APPROVED_PARTIAL is not final: PlacetoPay sends no notification; the refresh asks.
		got := h.order(g, o.ID, true)
		if got.Status != "partially_paid" || got.PaidAmount.Total != "10.00" {
			t.Fatalf("after 10.00 of 30.00: %s paid %s, want partially_paid 10.00", got.Status, got.PaidAmount.Total)
		}
		if again := checkoutWith(o.ID, map[string]any{"allowPartial": true}); again.RequestID != s.RequestID {
			t.Errorf("checkout of the partially paid order = session %d, want its open partial session %d", again.RequestID, s.RequestID)
		}
		h.payPart(s.RequestID, "5.00")
		got = h.order(g, o.ID, true)
		if got.Status != "partially_paid" || got.PaidAmount.Total != "15.00" {
			t.Fatalf("after 15.00 of 30.00: %s paid %s, want partially_paid 15.00", got.Status, got.PaidAmount.Total)
		}
		ev := partialEvents(o.ID)
		if len(ev) != 2 || paid(ev[0]) != "10.00" || paid(ev[1]) != "15.00" || ev[1]["sessionStatus"] != "APPROVED_PARTIAL" {
			t.Fatalf("order.partially_paid events %v, want one at 10.00 and one at 15.00 (sessionStatus APPROVED_PARTIAL)", ev)
		}
		h.payPart(s.RequestID, "15.00") // the session is APPROVED: notified
		got, _ = h.waitStatus(g, o.ID, "paid", 10*time.Second)
		if got.PaidAmount.Total != "30.00" {
			t.Errorf("paid order's paidAmount = %s, want 30.00", got.PaidAmount.Total)
		}
		h.order(g, o.ID, true) // one more look changes nothing
		if n := h.eventsOf(o.ID, "order.paid"); n != 1 {
			t.Errorf("%d order.paid events, want 1", n)
		}
		if n := len(partialEvents(o.ID)); n != 2 {
			t.Errorf("%d order.partially_paid events after paid, want 2", n)
		}
		if len(got.Payments) != 3 {
			t.Errorf("%d payments, want the 3 parts", len(got.Payments))
		}
	})

	t.Run("a dispersion is sent to PlacetoPay and paid", func(t *testing.T) {
		o := h.createOrder(g, "50.00", "")
		s := checkoutWith(o.ID, map[string]any{"dispersion": []map[string]any{
			{"agreement": 1299, "agreementType": "MERCHANT", "amount": map[string]string{"currency": "USD", "total": "20.00"}},
			{"agreement": "30", "agreementType": "AIRLINE", "amount": map[string]any{"currency": "USD", "total": 30}},
		}})
		h.pay(s.RequestID, cardApprove)
		got, _ := h.waitStatus(g, o.ID, "paid", 10*time.Second)
		if got.PaidAmount.Total != "50.00" {
			t.Errorf("paidAmount = %s, want 50.00", got.PaidAmount.Total)
		}
		info, err := client.QuerySession(t.Context(), s.RequestID)
		if err != nil {
			t.Fatal(err)
		}
		var req struct {
			Payment struct {
				Dispersion []struct {
					Agreement     json.Number `json:"agreement"`
					AgreementType string      `json:"agreementType"`
					Amount        struct {
						Total json.Number `json:"total"`
					} `json:"amount"`
				} `json:"dispersion"`
			} `json:"payment"`
		}
		if err := json.Unmarshal(info.Request, &req); err != nil {
			t.Fatal(err)
		}
		d := req.Payment.Dispersion
		if len(d) != 2 || d[0].Agreement != "1299" || d[0].AgreementType != "MERCHANT" || d[0].Amount.Total != "20.00" ||
			d[1].Agreement != "30" || d[1].AgreementType != "AIRLINE" || d[1].Amount.Total != "30.00" {
			t.Errorf("PlacetoPay received dispersion %+v, want 20.00 to MERCHANT 1299 and 30.00 to AIRLINE 30", d)
		}
		var parts []map[string]any
		if len(info.Payment) == 1 {
			_ = json.Unmarshal(info.Payment[0].Dispersion, &parts)
		}
		if len(parts) != 2 {
			t.Errorf("the approved payment shows %d dispersion parts, want 2", len(parts))
		}
	})

	t.Run("refused options are a 422 before PlacetoPay is called", func(t *testing.T) {
		o := h.createOrder(g, "40.00", "")
		before := h.orderRows(o.ID)
		creates := h.proxy.creates.Load()
		money := func(total string) map[string]string { return map[string]string{"currency": "USD", "total": total} }
		recurring := map[string]any{"periodicity": "M", "interval": 1, "maxPeriods": 12}
		for _, c := range []struct {
			name  string
			body  map[string]any
			field string
		}{
			{"dispersion not adding up", map[string]any{"dispersion": []map[string]any{
				{"agreementType": "MERCHANT", "amount": money("20.00")}, {"agreementType": "AIRLINE", "agreement": 30, "amount": money("19.99")}}}, "dispersion"},
			{"dispersion in another currency", map[string]any{"dispersion": []map[string]any{
				{"agreementType": "MERCHANT", "amount": map[string]string{"currency": "COP", "total": "40.00"}}}}, "dispersion[0].amount.currency"},
			{"dispersion without agreementType", map[string]any{"dispersion": []map[string]any{
				{"amount": money("40.00")}}}, "dispersion[0].agreementType"},
			{"four destinations", map[string]any{"dispersion": []map[string]any{
				{"agreementType": "MERCHANT", "amount": money("10.00")}, {"agreementType": "MERCHANT", "amount": money("10.00")},
				{"agreementType": "MERCHANT", "amount": money("10.00")}, {"agreementType": "MERCHANT", "amount": money("10.00")}}}, "dispersion"},
			{"partial and recurring", map[string]any{"allowPartial": true, "recurring": recurring}, "recurring"},
			{"partial and dispersion", map[string]any{"allowPartial": true, "dispersion": []map[string]any{
				{"agreementType": "MERCHANT", "amount": money("40.00")}}}, "dispersion"},
			{"recurring without maxPeriods", map[string]any{"recurring": map[string]any{"periodicity": "M", "interval": 1}}, "recurring.maxPeriods"},
			{"recurring weekly", map[string]any{"recurring": map[string]any{"periodicity": "W", "interval": 1, "maxPeriods": 3}}, "recurring.periodicity"},
			{"recurring starting in the past", map[string]any{"recurring": map[string]any{"periodicity": "D", "interval": 1, "maxPeriods": 3,
				"nextPayment": "2020-01-01"}}, "recurring.nextPayment"},
			{"recurring preauthorization", map[string]any{"type": "checkin", "recurring": recurring}, "recurring"},
			// A subscription session stores a card and charges nothing: no payment option.
			{"subscription partial", map[string]any{"type": "subscription", "customerReference": "cust-1", "allowPartial": true}, "allowPartial"},
			{"subscription dispersion", map[string]any{"type": "subscription", "customerReference": "cust-1", "dispersion": []map[string]any{
				{"agreementType": "MERCHANT", "amount": money("40.00")}}}, "dispersion"},
			{"subscription recurring", map[string]any{"type": "subscription", "customerReference": "cust-1", "recurring": recurring}, "recurring"},
			{"subscription confirmation", map[string]any{"type": "subscription", "customerReference": "cust-1", "requiresConfirmation": true}, "requiresConfirmation"},
			// The confirmation flow is for basic payment sessions only.
			{"confirmation preauthorization", map[string]any{"type": "checkin", "requiresConfirmation": true}, "requiresConfirmation"},
			{"confirmation partial", map[string]any{"allowPartial": true, "requiresConfirmation": true}, "requiresConfirmation"},
			{"confirmation dispersion", map[string]any{"requiresConfirmation": true, "dispersion": []map[string]any{
				{"agreementType": "MERCHANT", "amount": money("40.00")}}}, "requiresConfirmation"},
			{"confirmation recurring", map[string]any{"requiresConfirmation": true, "recurring": recurring}, "requiresConfirmation"},
			{"confirmation subscribe", map[string]any{"requiresConfirmation": true, "subscribe": true, "customerReference": "cust-1"}, "requiresConfirmation"},
			// A payment that stores the card is paid whole, to the site.
			{"subscribe partial", map[string]any{"subscribe": true, "customerReference": "cust-1", "allowPartial": true}, "allowPartial"},
			{"subscribe dispersion", map[string]any{"subscribe": true, "customerReference": "cust-1", "dispersion": []map[string]any{
				{"agreementType": "MERCHANT", "amount": money("40.00")}}}, "dispersion"},
		} {
			code, raw := h.checkout(g, o.ID, c.body)
			var p struct {
				Field string `json:"field"`
			}
			h.decode(raw, &p) // a problem, or the session of a checkout that should have been refused
			if code != http.StatusUnprocessableEntity || p.Field != c.field {
				t.Errorf("%s: checkout = %d %s, want 422 on field %s", c.name, code, raw, c.field)
			}
		}
		if after := h.orderRows(o.ID); after != before {
			t.Errorf("refused checkouts wrote %+v, was %+v", after, before)
		}
		if n := h.proxy.creates.Load() - creates; n != 0 {
			t.Errorf("%d sessions were created at PlacetoPay by refused checkouts", n)
		}
	})

	t.Run("a partial order with taxed items is refused", func(t *testing.T) {
		code, raw := h.call(g, http.MethodPost, "/v1/orders", map[string]any{
			"description": "taxed", "amount": map[string]string{"currency": "USD", "total": "11.90"},
			"items": []map[string]any{{"name": "shoe", "qty": 1, "price": "10.00", "tax": "1.90"}},
		})
		if code != http.StatusCreated {
			t.Fatalf("create = %d %s", code, raw)
		}
		var o orderJSON
		h.decode(raw, &o)
		code, raw = h.checkout(g, o.ID, map[string]any{"allowPartial": true})
		if code != http.StatusUnprocessableEntity || !strings.Contains(problem(raw).Detail, "taxes") {
			t.Errorf("partial checkout of a taxed order = %d %s, want 422 about taxes", code, raw)
		}
	})

	t.Run("an open session is handed out again only to the same request", func(t *testing.T) {
		subscribeA := map[string]any{"subscribe": true, "customerReference": "cust-a"}
		subscriptionA := map[string]any{"type": "subscription", "customerReference": "cust-a"}
		checkin := map[string]any{"type": "checkin"}
		confirm := map[string]any{"requiresConfirmation": true}
		partial := map[string]any{"allowPartial": true}
		for _, c := range []struct {
			name   string
			opened map[string]any   // the open session's request
			others []map[string]any // requests that must not get it
			fields []string         // the 409's field for each of others
		}{
			{"plain", nil,
				[]map[string]any{partial, checkin, confirm, subscribeA, subscriptionA},
				[]string{"allowPartial", "type", "requiresConfirmation", "subscribe", "type"}},
			{"preauthorization", checkin,
				[]map[string]any{nil, subscriptionA},
				[]string{"type", "type"}},
			{"confirmation", confirm,
				[]map[string]any{nil, subscribeA},
				[]string{"requiresConfirmation", "subscribe"}},
			{"subscribe for customer a", subscribeA,
				[]map[string]any{{"subscribe": true, "customerReference": "cust-b"}, nil, subscriptionA},
				[]string{"customerReference", "subscribe", "type"}},
			{"subscription for customer a", subscriptionA,
				[]map[string]any{{"type": "subscription", "customerReference": "cust-b"}, nil, subscribeA},
				[]string{"customerReference", "type", "type"}},
		} {
			o := h.createOrder(g, "12.00", "")
			s := checkoutWith(o.ID, c.opened)
			before := h.orderRows(o.ID)
			creates := h.proxy.creates.Load()
			for i, other := range c.others {
				code, raw := h.checkout(g, o.ID, other)
				var p struct {
					Field string `json:"field"`
				}
				h.decode(raw, &p) // a problem, or the session handed out when it should not be
				if code != http.StatusConflict || p.Field != c.fields[i] {
					t.Errorf("%s session open: checkout %v = %d %s, want 409 on %s", c.name, other, code, raw, c.fields[i])
				}
			}
			if again := checkoutWith(o.ID, c.opened); again.RequestID != s.RequestID || again.ProcessURL != s.ProcessURL {
				t.Errorf("%s session open: the same checkout got session %d, want the open one, %d", c.name, again.RequestID, s.RequestID)
			}
			if after := h.orderRows(o.ID); after != before {
				t.Errorf("%s session open: the refused checkouts wrote %+v, was %+v", c.name, after, before)
			}
			if n := h.proxy.creates.Load() - creates; n != 0 {
				t.Errorf("%s session open: %d sessions were created at PlacetoPay", c.name, n)
			}
		}
	})

	t.Run("a recurring payment and its charges", func(t *testing.T) {
		o := h.createOrder(g, "25.00", "")
		s := checkoutWith(o.ID, map[string]any{"recurring": map[string]any{
			"periodicity": "M", "interval": 1, "maxPeriods": 12, "nextPayment": tomorrow, "dueDate": "2099-12-31"}})
		info, err := client.QuerySession(t.Context(), s.RequestID)
		if err != nil {
			t.Fatal(err)
		}
		var req struct {
			Payment struct {
				Recurring map[string]any `json:"recurring"`
			} `json:"payment"`
		}
		_ = json.Unmarshal(info.Request, &req)
		r := req.Payment.Recurring
		if r["periodicity"] != "M" || fmt.Sprint(r["maxPeriods"]) != "12" || r["nextPayment"] != tomorrow ||
			!strings.HasSuffix(fmt.Sprint(r["notificationUrl"]), "/webhooks/placetopay") {
			t.Fatalf("PlacetoPay received recurring %v, want the schedule and the gateway's notification URL", r)
		}
		h.pay(s.RequestID, cardApprove)
		h.waitStatus(g, o.ID, "paid", 10*time.Second)
		eventsBefore := h.count(`SELECT count(*) FROM events WHERE order_id = $1`, o.ID)

		charge := func(status string) (int64, json.RawMessage) {
			t.Helper()
			out, err := h.sandbox.RecurringCharge(t.Context(), s.RequestID, status)
			if err != nil {
				t.Fatalf("recurring charge: %v", err)
			}
			return out.InternalReference, out.Notification
		}
		ref, body := charge("APPROVED")
		h.waitDB("the recurring charge is recorded", 10*time.Second,
			`SELECT EXISTS (SELECT 1 FROM payments WHERE internal_reference = $1 AND kind = 'recurring' AND status = 'APPROVED'
			   AND order_id = $2 AND amount_minor = 2500 AND currency = 'USD')`, ref, o.ID)
		if n := h.count(`SELECT count(*) FROM recurring_charges rc JOIN payments p ON p.id = rc.payment_id
			WHERE p.internal_reference = $1 AND rc.reported_by = 'notification' AND rc.tries = 1 AND rc.enabled`, ref); n != 1 {
			t.Errorf("recurring_charges rows for %d reported by the notification = %d, want 1", ref, n)
		}
		if n := h.count(`SELECT count(*) FROM order_timeline WHERE order_id = $1 AND kind = 'provider_status' AND message LIKE 'recurring charge%'`, o.ID); n != 1 {
			t.Errorf("%d timeline entries for the recurring charge, want 1", n)
		}
		// The session is queried again (its notification replayed): the recurring charge is
		// money after the order's payment, never part of it.
		if code := postNotification(t, g, h.sandboxNotifications(s.RequestID)[0].Body); code != http.StatusOK {
			t.Fatalf("replayed session notification = %d", code)
		}
		h.waitDB("the session is checked again", 10*time.Second,
			`SELECT next_check_at IS NULL FROM checkout_sessions WHERE request_id = $1`, s.RequestID)
		got := h.order(g, o.ID, false)
		if got.Status != "paid" || got.PaidAmount.Total != "25.00" {
			t.Errorf("after a recurring charge the order is %s paid %s, want paid 25.00 unchanged", got.Status, got.PaidAmount.Total)
		}
		if len(got.Payments) != 2 {
			t.Errorf("the order lists %d payments, want the first payment and the recurring charge", len(got.Payments))
		}
		if n := h.count(`SELECT count(*) FROM events WHERE order_id = $1`, o.ID); n != eventsBefore+1 || h.eventsOf(o.ID, "order.recurring_charge") != 1 {
			t.Errorf("a recurring charge wrote %d events, want only its order.recurring_charge", n-eventsBefore)
		}
		notes := h.sandboxNotifications(s.RequestID)
		if last := notes[len(notes)-1]; len(last.Deliveries) != 1 || last.Deliveries[0].Status != http.StatusOK {
			t.Errorf("the charge's notification was answered %+v, want 200", last.Deliveries)
		}

		// The same notification again: a duplicate, nothing new.
		if code := postNotification(t, g, body); code != http.StatusOK {
			t.Errorf("duplicate recurring notification = %d, want 200", code)
		}
		// A declined charge is recorded as such.
		declined, _ := charge("REJECTED")
		h.waitDB("the declined charge is recorded", 10*time.Second,
			`SELECT EXISTS (SELECT 1 FROM payments WHERE internal_reference = $1 AND kind = 'recurring' AND status = 'REJECTED')`, declined)

		// A forged one: the charge's facts, another secret.
		paymentsBefore := h.count(`SELECT count(*) FROM payments WHERE order_id = $1`, o.ID)
		inboxBefore := h.count(`SELECT count(*) FROM notifications`)
		date := time.Now().Format(time.RFC3339)
		forgedRef := declined + 1000
		sig, _ := placetopay.NotificationSignature(placetopay.SHA256, forgedRef, "APPROVED", date, "not-the-secret")
		forged, _ := json.Marshal(map[string]any{
			"status":            map[string]string{"status": "APPROVED", "reason": "00", "message": "Approved", "date": date},
			"internalReference": forgedRef, "reference": got.Reference, "signature": sig,
			"recurring": map[string]int{"tries": 1, "enabled": 1},
		})
		if code := postNotification(t, g, forged); code != http.StatusBadRequest {
			t.Errorf("forged recurring notification = %d, want 400", code)
		}
		if n := h.count(`SELECT count(*) FROM payments WHERE order_id = $1`, o.ID); n != paymentsBefore {
			t.Errorf("a forged notification changed the payments: %d, was %d", n, paymentsBefore)
		}
		if n := h.count(`SELECT count(*) FROM notifications`); n != inboxBefore {
			t.Errorf("a forged notification was stored")
		}
		// A charge of a session with no recurrence is refused by the sandbox.
		plain := h.createOrder(g, "9.00", "")
		ps := checkoutWith(plain.ID, nil)
		h.pay(ps.RequestID, cardApprove)
		var refused *sandbox.ControlError
		if _, err := h.sandbox.RecurringCharge(t.Context(), ps.RequestID, ""); !errors.As(err, &refused) || refused.StatusCode != http.StatusConflict {
			t.Errorf("recurring charge of a plain session: %v, want 409", err)
		}
	})

	// Last: it moves the sandbox clock past the session's expiry.
	t.Run("a partial session that expires with money taken", func(t *testing.T) {
		o := h.createOrder(g, "20.00", "")
		s := checkoutWith(o.ID, map[string]any{"allowPartial": true, "expiresIn": 300})
		h.payPart(s.RequestID, "5.00")
		if got := h.order(g, o.ID, true); got.Status != "partially_paid" {
			t.Fatalf("after 5.00 of 20.00 the order is %s, want partially_paid", got.Status)
		}
		h.advance(6 * time.Minute) // PARTIAL_EXPIRED, notified
		h.waitDB("the expiry is applied", 10*time.Second,
			`SELECT EXISTS (SELECT 1 FROM checkout_sessions WHERE request_id = $1 AND status = 'PARTIAL_EXPIRED')`, s.RequestID)
		h.order(g, o.ID, true) // looking again writes nothing more
		got := h.order(g, o.ID, false)
		if got.Status != "partially_paid" || got.PaidAmount.Total != "5.00" {
			t.Errorf("after PARTIAL_EXPIRED the order is %s paid %s, want partially_paid 5.00", got.Status, got.PaidAmount.Total)
		}
		ev := partialEvents(o.ID)
		var expired []map[string]any
		for _, d := range ev {
			if d["sessionStatus"] == "PARTIAL_EXPIRED" {
				expired = append(expired, d)
			}
		}
		if len(expired) != 1 || paid(expired[0]) != "5.00" || !strings.Contains(fmt.Sprint(expired[0]["reason"]), "total was not reached") {
			t.Fatalf("PARTIAL_EXPIRED events %v, want one with paidAmount 5.00 and the reason", expired)
		}
		if amount, _ := expired[0]["amount"].(map[string]any); fmt.Sprint(amount["total"]) != "20.00" {
			t.Errorf("PARTIAL_EXPIRED event amount %v, want 20.00", expired[0]["amount"])
		}
		if n := h.count(`SELECT count(*) FROM checkout_sessions WHERE request_id = $1 AND attempt = 'closed' AND next_check_at IS NULL`, s.RequestID); n != 1 {
			t.Errorf("the expired session is still probed")
		}
		if n := h.count(`SELECT count(*) FROM order_timeline WHERE order_id = $1 AND kind = 'note' AND message LIKE 'the session expired%'`, o.ID); n != 1 {
			t.Errorf("%d timeline notes of the expiry, want 1", n)
		}
		code, raw := h.checkout(g, o.ID, nil)
		if code != http.StatusConflict {
			t.Errorf("checkout for the remainder = %d %s, want 409", code, raw)
		}
	})
}

// postNotification posts body to the gateway's notification endpoint as PlacetoPay would.
func postNotification(t *testing.T, g *runningGateway, body []byte) int {
	t.Helper()
	resp, err := harnessClient.Post(g.url+"/webhooks/placetopay", "application/json", strings.NewReader(string(body)))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	return resp.StatusCode
}
