package main

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/placetopay-gateway/gateway/internal/placetopay"
	"github.com/placetopay-gateway/gateway/internal/placetopay/sandbox"
	"github.com/placetopay-gateway/gateway/internal/tokens"
)

// tokenKey is the harness's GATEWAY_TOKEN_KEY: the current key "k2" and an older "k1".
var (
	tokenKeyCurrent = bytes.Repeat([]byte{0x42}, 32)
	tokenKeyOld     = bytes.Repeat([]byte{0x17}, 32)
	tokenKey        = "k2:" + hex.EncodeToString(tokenKeyCurrent) + ",k1:" + hex.EncodeToString(tokenKeyOld)
)

type paymentMethodJSON struct {
	ID                string `json:"id"`
	CustomerReference string `json:"customerReference"`
	Franchise         string `json:"franchise"`
	LastDigits        string `json:"lastDigits"`
	ValidUntil        string `json:"validUntil"`
	OrderID           string `json:"orderId"`
	Site              string `json:"site"`
	CreatedAt         string `json:"createdAt"`
}

type fieldProblemJSON struct {
	Status int    `json:"status"`
	Code   string `json:"code"`
	Detail string `json:"detail"`
	Field  string `json:"field"`
}

// tokensHarness records every merchant API answer of a test, to check that no token is in any.
type tokensHarness struct {
	*harness
	bodies bytes.Buffer
}

func (h *tokensHarness) api(method, path string, body any) (int, []byte) {
	h.t.Helper()
	code, raw := h.call(h.gateways[0], method, path, body)
	h.bodies.Write(raw)
	return code, raw
}

func (h *tokensHarness) paymentMethods(customer string) []paymentMethodJSON {
	h.t.Helper()
	code, raw := h.api(http.MethodGet, "/v1/customers/"+customer+"/payment-methods", nil)
	if code != http.StatusOK {
		h.t.Fatalf("list payment methods of %s = %d %s", customer, code, raw)
	}
	var out struct {
		Data []paymentMethodJSON `json:"data"`
	}
	h.decode(raw, &out)
	return out.Data
}

// sandboxToken returns the token and subtoken the sandbox issued in a session.
func (h *tokensHarness) sandboxToken(requestID int64) (string, string) {
	h.t.Helper()
	s := h.sandboxSession(requestID)
	if s.Token["token"] == "" || s.Token["subtoken"] == "" {
		h.t.Fatalf("sandbox session %d issued no token: %+v", requestID, s)
	}
	return s.Token["token"], s.Token["subtoken"]
}

// collectDirect charges token at the sandbox directly, as the gateway would, with the
// default site's login.
func (h *tokensHarness) collectDirect(token, reference, total string) (*placetopay.SessionInformation, error) {
	return h.collectAt(h.placetopayClient(), token, reference, total)
}

// collectAt charges token at the sandbox with client c's login.
func (h *tokensHarness) collectAt(c *placetopay.Client, token, reference, total string) (*placetopay.SessionInformation, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return c.Collect(ctx, placetopay.CollectRequest{
		Payer:     &placetopay.Person{Name: "Ana", Surname: "Gómez", Email: "ana@example.com", Document: "1040035000", DocumentType: "CC"},
		IPAddress: "127.0.0.1", UserAgent: "test",
		Payment: placetopay.PaymentRequest{Reference: reference, Description: "direct",
			Amount: placetopay.Amount{Currency: "USD", Total: placetopay.Decimal(total)}},
		Instrument: placetopay.Instrument{Token: &placetopay.Token{Token: token}},
	})
}

// sandboxCollects counts the collects the sandbox approved for reference.
func (h *tokensHarness) sandboxCollects(reference string) int {
	h.t.Helper()
	approvals, err := h.sandbox.Approvals(h.t.Context())
	if err != nil {
		h.t.Fatal(err)
	}
	n := 0
	for _, a := range approvals {
		if a.Kind == "collect" && a.Reference == reference {
			n++
		}
	}
	return n
}

func (h *tokensHarness) charge(body map[string]any) (int, []byte) {
	h.t.Helper()
	return h.api(http.MethodPost, "/v1/charges", body)
}

func chargeBody(customer, pm, reference, total string) map[string]any {
	return map[string]any{
		"customerReference": customer, "paymentMethodId": pm, "reference": reference,
		"description": "monthly plan", "amount": map[string]string{"currency": "USD", "total": total},
		"payer": map[string]string{"name": "Ana", "surname": "Gómez", "email": "ana@example.com", "document": "1040035000", "documentType": "CC"},
	}
}

// TestMoneyPathStoredCards: cards stored by a subscription session and by a subscribe
// payment, listed masked, charged through /api/collect, refused when PlacetoPay says the
// token is invalid, protected against a second charge, and deleted (invalidated at
// PlacetoPay first); tokens encrypted at rest and never in an answer or a log.
func TestMoneyPathStoredCards(t *testing.T) {
	h := &tokensHarness{harness: newHarness(t, harnessConfig{probeInterval: time.Hour, downInstance: true,
		env: func(string) []string { return []string{"GATEWAY_TOKEN_KEY=" + tokenKey} }})}
	const customer = "cust-0042"
	var secrets []string // every token and subtoken the sandbox issued

	// 1. A subscription session stores the card and charges nothing.
	o1 := h.createOrder(h.gateways[0], "10.00", "")
	code, raw := h.api(http.MethodPost, "/v1/orders/"+o1.ID+"/checkout", map[string]any{"type": "subscription", "customerReference": customer})
	if code != http.StatusCreated {
		t.Fatalf("subscription checkout = %d %s", code, raw)
	}
	var s1 checkoutJSON
	h.decode(raw, &s1)
	h.pay(s1.RequestID, cardApprove)
	tok1, sub1 := h.sandboxToken(s1.RequestID)
	secrets = append(secrets, tok1, sub1)
	if got := h.order(h.gateways[0], o1.ID, true); got.Status != "pending" || got.PaidAmount.Total != "0.00" {
		t.Fatalf("after a subscription session the order is %s, paid %s; want pending, nothing paid", got.Status, got.PaidAmount.Total)
	}
	list := h.paymentMethods(customer)
	if len(list) != 1 || list[0].LastDigits != "0081" || list[0].Franchise == "" || list[0].OrderID != o1.ID || list[0].ValidUntil == "" {
		t.Fatalf("payment methods after the subscription = %+v, want one ending 0081 from order %s", list, o1.ID)
	}
	pm1 := list[0].ID
	// Applying the same answer again stores nothing more.
	h.order(h.gateways[0], o1.ID, true)
	if n := h.count(`SELECT count(*) FROM payment_methods`); n != 1 {
		t.Fatalf("%d payment methods after a second query of the session, want 1", n)
	}

	// 2. At rest: AES-GCM under the current key, bound to the row; not the token's bytes.
	var (
		keyID           string
		sealed, subSeal []byte
		rowText         string
	)
	if err := h.db.QueryRow(context.Background(), `SELECT key_id, token_sealed, subtoken_sealed, row_to_json(p)::text FROM payment_methods p WHERE id = $1`, pm1).
		Scan(&keyID, &sealed, &subSeal, &rowText); err != nil {
		t.Fatal(err)
	}
	for _, secret := range []string{tok1, sub1} {
		if bytes.Contains(sealed, []byte(secret)) || bytes.Contains(subSeal, []byte(secret)) || strings.Contains(rowText, secret) ||
			strings.Contains(rowText, hex.EncodeToString([]byte(secret))) {
			t.Fatalf("the payment_methods row holds a token in the clear: %s", rowText)
		}
	}
	right, _ := tokens.ParseKeys(tokenKey)
	aad := []byte("payment_method:" + pm1 + ":token")
	if got, err := right.Open(keyID, sealed, aad); err != nil || string(got) != tok1 || keyID != "k2" {
		t.Fatalf("the configured key opens %q (key %s, %v); want the sandbox's token under k2", got, keyID, err)
	}
	other, _ := tokens.ParseKeys("k2:" + hex.EncodeToString(bytes.Repeat([]byte{0x43}, 32)))
	if _, err := other.Open(keyID, sealed, aad); err == nil {
		t.Fatal("another key decrypts the stored token")
	}
	if _, err := right.Open(keyID, sealed, []byte("payment_method:"+uuid.NewString()+":token")); err == nil {
		t.Fatal("the stored token decrypts as another row's")
	}

	// 3. Checkout validation: a stored card needs a valid customer reference.
	for _, c := range []struct {
		body  map[string]any
		field string
	}{
		{map[string]any{"type": "subscription"}, "customerReference"},
		{map[string]any{"subscribe": true}, "customerReference"},
		{map[string]any{"subscribe": true, "customerReference": "ana@example.com"}, "customerReference"},
		{map[string]any{"subscribe": true, "customerReference": strings.Repeat("c", 65)}, "customerReference"},
		{map[string]any{"type": "checkin", "subscribe": true, "customerReference": customer}, "subscribe"},
	} {
		code, raw := h.api(http.MethodPost, "/v1/orders/"+o1.ID+"/checkout", c.body)
		var p fieldProblemJSON
		h.decode(raw, &p)
		if code != http.StatusUnprocessableEntity || p.Field != c.field {
			t.Errorf("checkout %v = %d %s, want 422 on %s", c.body, code, raw, c.field)
		}
	}

	// 4. A subscribe payment is paid and stores the card.
	o2 := h.createOrder(h.gateways[0], "20.00", "")
	code, raw = h.api(http.MethodPost, "/v1/orders/"+o2.ID+"/checkout", map[string]any{"subscribe": true, "customerReference": customer})
	if code != http.StatusCreated {
		t.Fatalf("subscribe checkout = %d %s", code, raw)
	}
	var s2 checkoutJSON
	h.decode(raw, &s2)
	h.pay(s2.RequestID, cardApprove)
	tok2, sub2 := h.sandboxToken(s2.RequestID)
	secrets = append(secrets, tok2, sub2)
	if got := h.order(h.gateways[0], o2.ID, true); got.Status != "paid" || got.PaidAmount.Total != "20.00" {
		t.Fatalf("subscribe payment: order %s paid %s, want paid 20.00", got.Status, got.PaidAmount.Total)
	}
	list = h.paymentMethods(customer)
	if len(list) != 2 || list[0].OrderID != o2.ID {
		t.Fatalf("payment methods after the subscribe payment = %+v, want two, newest from %s", list, o2.ID)
	}
	pm2 := list[0].ID
	if other := h.paymentMethods("cust-9999"); len(other) != 0 {
		t.Fatalf("another customer sees %+v", other)
	}

	// 5. A charge of the stored card is paid from PlacetoPay's answer.
	code, raw = h.charge(chargeBody(customer, pm1, "plan-2026-11", "15.00"))
	if code != http.StatusCreated {
		t.Fatalf("charge = %d %s, want 201", code, raw)
	}
	var charged orderJSON
	h.decode(raw, &charged)
	if charged.Status != "paid" || charged.PaidAmount.Total != "15.00" || charged.Reference != "plan-2026-11" ||
		len(charged.Payments) != 1 || charged.Payments[0].Status != "APPROVED" {
		t.Fatalf("charged order = %s", raw)
	}
	if n := h.count(`SELECT count(*) FROM payments WHERE order_id = $1 AND kind = 'collect'`, charged.ID); n != 1 {
		t.Errorf("%d collect payments on the charged order, want 1", n)
	}
	if h.eventsOf(charged.ID, "order.paid") != 1 || h.transitionsTo(charged.ID, "paid") != 1 {
		t.Error("the charge did not write one transition to paid and one order.paid event")
	}
	if n := h.sandboxCollects("plan-2026-11"); n != 1 {
		t.Fatalf("the sandbox approved %d collects for the reference, want 1", n)
	}

	// 6. The same charge again: the gateway answers with the existing order and sends nothing.
	code, raw = h.charge(chargeBody(customer, pm1, "plan-2026-11", "15.00"))
	var p fieldProblemJSON
	h.decode(raw, &p)
	if code != http.StatusConflict || p.Field != "reference" || !strings.Contains(p.Detail, charged.ID) {
		t.Fatalf("second identical charge = %d %s, want 409 naming order %s", code, raw, charged.ID)
	}
	if n := h.sandboxCollects("plan-2026-11"); n != 1 {
		t.Fatalf("after a second charge the sandbox approved %d collects for the reference, want 1", n)
	}
	// PlacetoPay's own 24-hour protection, which repeating a charge of unknown outcome relies
	// on: the same reference, amount and currency answers the first charge.
	again, err := h.collectDirect(tok1, "plan-2026-11", "15.00")
	if err != nil || charged.Sessions[0].RequestID == nil || int64(again.RequestID) != *charged.Sessions[0].RequestID {
		t.Fatalf("the same collect within 24 h = %+v, %v; want the first charge's requestId %v", again, err, charged.Sessions[0].RequestID)
	}
	if n := h.sandboxCollects("plan-2026-11"); n != 1 {
		t.Fatalf("the same collect within 24 h made %d approvals, want 1", n)
	}

	// 7. Bad charges change nothing.
	orders := h.count(`SELECT count(*) FROM orders`)
	for _, c := range []struct {
		body  map[string]any
		code  int
		field string
	}{
		{chargeBody("cust-9999", pm1, "other-1", "15.00"), http.StatusNotFound, "paymentMethodId"},
		{chargeBody(customer, uuid.NewString(), "other-2", "15.00"), http.StatusNotFound, "paymentMethodId"},
		{chargeBody(customer, pm1, "", "15.00"), http.StatusUnprocessableEntity, "reference"},
		{chargeBody(customer, pm1, "other-3", "15.001"), http.StatusUnprocessableEntity, "amount.total"},
		{chargeBody("bad ref", pm1, "other-4", "15.00"), http.StatusUnprocessableEntity, "customerReference"},
	} {
		code, raw := h.charge(c.body)
		var p fieldProblemJSON
		h.decode(raw, &p)
		if code != c.code || p.Field != c.field {
			t.Errorf("charge %v = %d %s, want %d on %s", c.body, code, raw, c.code, c.field)
		}
	}
	if n := h.count(`SELECT count(*) FROM orders`); n != orders {
		t.Fatalf("refused charges created %d orders", n-orders)
	}

	// 8. A token PlacetoPay no longer accepts (XN): 422 with the reason, the order failed.
	c := h.placetopayClient()
	if _, err := c.InvalidateToken(context.Background(), placetopay.InvalidateTokenRequest{
		Instrument: placetopay.Instrument{Token: &placetopay.Token{Token: tok2}}}); err != nil {
		t.Fatal(err)
	}
	code, raw = h.charge(chargeBody(customer, pm2, "plan-2026-12", "15.00"))
	h.decode(raw, &p)
	if code != http.StatusUnprocessableEntity || p.Field != "paymentMethodId" || !strings.Contains(p.Detail, "XN") {
		t.Fatalf("charge of an invalid token = %d %s, want 422 with XN", code, raw)
	}
	var failedID, failedStatus string
	if err := h.db.QueryRow(context.Background(), `SELECT id::text, status FROM orders WHERE reference = 'plan-2026-12'`).Scan(&failedID, &failedStatus); err != nil {
		t.Fatal(err)
	}
	if failedStatus != "failed" || !strings.Contains(p.Detail, failedID) || h.eventsOf(failedID, "order.failed") != 1 {
		t.Fatalf("the refused charge's order %s is %s (detail %q), want failed with one order.failed event", failedID, failedStatus, p.Detail)
	}

	// 9. Delete while PlacetoPay is down: 502, and the card is kept.
	code, raw = h.call(h.down, http.MethodDelete, "/v1/customers/"+customer+"/payment-methods/"+pm1, nil)
	h.bodies.Write(raw)
	if code != http.StatusBadGateway {
		t.Fatalf("delete with PlacetoPay down = %d %s, want 502", code, raw)
	}
	if len(h.paymentMethods(customer)) != 2 {
		t.Fatal("a delete PlacetoPay did not confirm removed the card")
	}

	// 10. Delete invalidates at PlacetoPay, then removes it here; an already invalid token
	// (XN) is removed too.
	if code, raw := h.api(http.MethodDelete, "/v1/customers/"+customer+"/payment-methods/"+pm1, nil); code != http.StatusNoContent {
		t.Fatalf("delete = %d %s, want 204", code, raw)
	}
	if _, err := h.collectDirect(tok1, "after-delete", "1.00"); err == nil || !strings.Contains(err.Error(), "XN") {
		t.Fatalf("the deleted card's token still charges at PlacetoPay: %v", err)
	}
	if code, raw := h.api(http.MethodDelete, "/v1/customers/"+customer+"/payment-methods/"+pm2, nil); code != http.StatusNoContent {
		t.Fatalf("delete of an already invalid token = %d %s, want 204", code, raw)
	}
	if list := h.paymentMethods(customer); len(list) != 0 {
		t.Fatalf("payment methods after deleting both = %+v", list)
	}
	if code, raw := h.api(http.MethodDelete, "/v1/customers/"+customer+"/payment-methods/"+pm1, nil); code != http.StatusNotFound {
		t.Fatalf("second delete = %d %s, want 404", code, raw)
	}
	if code, raw := h.charge(chargeBody(customer, pm1, "plan-2027-01", "15.00")); code != http.StatusNotFound {
		t.Fatalf("charge of a deleted card = %d %s, want 404", code, raw)
	}
	var erased int
	_ = h.db.QueryRow(context.Background(), `SELECT count(*) FROM payment_methods WHERE deleted_at IS NOT NULL AND octet_length(token_sealed) = 0 AND subtoken_sealed IS NULL`).Scan(&erased)
	if erased != 2 {
		t.Fatalf("%d deleted rows have their sealed token erased, want 2", erased)
	}

	// 11. No token or subtoken in any answer, log line or timeline payload.
	logs := h.gateways[0].logs.String() + h.down.logs.String()
	var timeline string
	_ = h.db.QueryRow(context.Background(), `SELECT coalesce(string_agg(payload::text, ' '), '') FROM order_timeline`).Scan(&timeline)
	for _, secret := range secrets {
		switch {
		case strings.Contains(h.bodies.String(), secret):
			t.Errorf("a merchant API answer holds a token")
		case strings.Contains(logs, secret):
			t.Errorf("the gateway log holds a token")
		case strings.Contains(timeline, secret):
			t.Errorf("the order timeline holds a token")
		}
	}
	if !strings.Contains(logs, "payment method stored") {
		t.Error("the log does not record the stored payment method (is the log captured?)")
	}
}

// storeCard runs a subscription session paid with card and returns the stored payment
// method's id.
func (h *tokensHarness) storeCard(customer, card string) string {
	h.t.Helper()
	o := h.createOrder(h.gateways[0], "1.00", "")
	code, raw := h.api(http.MethodPost, "/v1/orders/"+o.ID+"/checkout", map[string]any{"type": "subscription", "customerReference": customer})
	if code != http.StatusCreated {
		h.t.Fatalf("subscription checkout = %d %s", code, raw)
	}
	var s checkoutJSON
	h.decode(raw, &s)
	h.pay(s.RequestID, card)
	h.order(h.gateways[0], o.ID, true)
	for _, pm := range h.paymentMethods(customer) {
		if pm.OrderID == o.ID {
			return pm.ID
		}
	}
	h.t.Fatalf("the subscription of order %s stored no payment method", o.ID)
	return ""
}

// TestMoneyPathChargeOutcomes: a pending collect is probed until PlacetoPay approves it, and
// a charge whose answer was lost is settled by sending it again, which PlacetoPay's 24-hour
// protection answers with the first charge: one charge at PlacetoPay, one paid order.
func TestMoneyPathChargeOutcomes(t *testing.T) {
	h := &tokensHarness{harness: newHarness(t, harnessConfig{probeInterval: time.Second, proxy: true,
		sandbox: sandbox.Config{PendingDelay: 30 * time.Second}, env: func(string) []string { return []string{"GATEWAY_TOKEN_KEY=" + tokenKey} }})}
	const customer = "cust-7"

	t.Run("pending collect is probed", func(t *testing.T) {
		pm := h.storeCard(customer, cardPendingApprove)
		code, raw := h.charge(chargeBody(customer, pm, "pend-1", "30.00"))
		if code != http.StatusCreated {
			t.Fatalf("charge = %d %s", code, raw)
		}
		var o orderJSON
		h.decode(raw, &o)
		if o.Status != "pending" || len(o.Payments) != 1 || o.Payments[0].Status != "PENDING" {
			t.Fatalf("a pending collect gave %s", raw)
		}
		h.advance(31 * time.Second)
		got, _ := h.waitStatus(h.gateways[0], o.ID, "paid", 10*time.Second)
		if got.PaidAmount.Total != "30.00" || h.eventsOf(o.ID, "order.paid") != 1 {
			t.Fatalf("after the probe: %+v", got)
		}
	})

	t.Run("concurrent identical charges", func(t *testing.T) {
		pm := h.storeCard(customer, cardApprove)
		body := chargeBody(customer, pm, "race-1", "7.00")
		const n = 6
		codes := sendAtOnce(n, func() *http.Request {
			raw, _ := json.Marshal(body)
			req, _ := http.NewRequest(http.MethodPost, h.gateways[0].url+"/v1/charges", bytes.NewReader(raw))
			req.Header.Set("Authorization", "Bearer "+merchantAPIKey)
			req.Header.Set("Content-Type", "application/json")
			return req
		})
		created, conflicts := 0, 0
		for _, c := range codes {
			switch c {
			case http.StatusCreated:
				created++
			case http.StatusConflict:
				conflicts++
			default:
				t.Errorf("a concurrent charge answered %d", c)
			}
		}
		if created != 1 || conflicts != n-1 {
			t.Fatalf("%d created and %d conflicts, want 1 and %d", created, conflicts, n-1)
		}
		if n := h.sandboxCollects("race-1"); n != 1 {
			t.Fatalf("the sandbox approved %d collects, want 1", n)
		}
	})

	t.Run("lost answer, charge repeated", func(t *testing.T) {
		pm := h.storeCard(customer, cardApprove)
		h.proxy.loseCollects.Store(1)
		body := chargeBody(customer, pm, "lost-1", "12.00")
		code, raw := h.charge(body)
		var p fieldProblemJSON
		h.decode(raw, &p)
		if code != http.StatusBadGateway || !strings.Contains(p.Detail, "lost-1") {
			t.Fatalf("charge with its answer lost = %d %s, want 502 naming the reference", code, raw)
		}
		if n := h.sandboxCollects("lost-1"); n != 1 {
			t.Fatalf("the sandbox approved %d collects, want 1 (the answer was lost, not the charge)", n)
		}
		var status string
		_ = h.db.QueryRow(context.Background(), `SELECT status FROM orders WHERE reference = 'lost-1'`).Scan(&status)
		if status != "pending" {
			t.Fatalf("after an unknown outcome the order is %q, want pending", status)
		}
		// While the collect's outcome is unknown the order can be neither cancelled nor paid
		// another way: the lost collect may have charged the card.
		var orderID string
		_ = h.db.QueryRow(context.Background(), `SELECT id FROM orders WHERE reference = 'lost-1'`).Scan(&orderID)
		for _, action := range []string{"cancel", "checkout"} {
			code, raw := h.call(h.gateways[0], http.MethodPost, "/v1/orders/"+orderID+"/"+action, nil)
			var p fieldProblemJSON
			h.decode(raw, &p)
			if code != http.StatusConflict || !strings.Contains(p.Detail, "repeat the charge") {
				t.Errorf("%s while the collect's outcome is unknown = %d %s, want 409 saying to repeat the charge", action, code, raw)
			}
		}
		if n := h.count(`SELECT count(*) FROM checkout_sessions WHERE order_id = $1`, orderID); n != 1 {
			t.Errorf("%d sessions for the order, want only the collect attempt", n)
		}
		code, raw = h.charge(body)
		if code != http.StatusCreated {
			t.Fatalf("repeated charge = %d %s, want 201", code, raw)
		}
		var o orderJSON
		h.decode(raw, &o)
		if o.Status != "paid" || o.PaidAmount.Total != "12.00" || len(o.Payments) != 1 {
			t.Fatalf("repeated charge gave %s, want the order paid once", raw)
		}
		if n := h.sandboxCollects("lost-1"); n != 1 {
			t.Fatalf("after the repeat the sandbox approved %d collects, want 1", n)
		}
		if n := h.count(`SELECT count(*) FROM orders WHERE reference = 'lost-1'`); n != 1 {
			t.Fatalf("%d orders for the reference, want 1", n)
		}
		// Settled now: a third time is a conflict.
		if code, raw := h.charge(body); code != http.StatusConflict {
			t.Fatalf("third charge = %d %s, want 409", code, raw)
		}
	})

	t.Run("lost answer, never sent again after 23 hours", func(t *testing.T) {
		pm := h.storeCard(customer, cardApprove)
		h.proxy.loseCollects.Store(1)
		body := chargeBody(customer, pm, "late-1", "15.00")
		if code, raw := h.charge(body); code != http.StatusBadGateway {
			t.Fatalf("charge with its answer lost = %d %s, want 502", code, raw)
		}
		// A day later the merchant repeats it: PlacetoPay's 24-hour protection is about to end.
		if _, err := h.db.Exec(context.Background(), `UPDATE orders SET created_at = now() - interval '25 hours' WHERE reference = 'late-1'`); err != nil {
			t.Fatal(err)
		}
		code, raw := h.charge(body)
		var p fieldProblemJSON
		h.decode(raw, &p)
		if code != http.StatusConflict || !strings.Contains(p.Detail, "not sent again") {
			t.Fatalf("the charge repeated 25 hours later = %d %s, want 409 saying it is not sent again", code, raw)
		}
		if n := h.sandboxCollects("late-1"); n != 1 {
			t.Errorf("the sandbox approved %d collects, want only the first", n)
		}
		var status, reason string
		if err := h.db.QueryRow(context.Background(), `SELECT o.status, coalesce(t.message, '') FROM orders o
			JOIN order_timeline t ON t.order_id = o.id AND t.to_status = 'review' WHERE o.reference = 'late-1'`).Scan(&status, &reason); err != nil {
			t.Fatal(err)
		}
		if status != "review" || !strings.Contains(reason, "first sent at") {
			t.Errorf("order %s (%q), want review with the first attempt's details", status, reason)
		}
		if code, raw := h.charge(body); code != http.StatusConflict {
			t.Errorf("a third try = %d %s, want 409", code, raw)
		}
	})
}
