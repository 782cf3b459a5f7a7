package main

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/placetopay-gateway/gateway/internal/placetopay"
	"github.com/placetopay-gateway/gateway/internal/placetopay/sandbox"
)

// TestSitesStoredCardsChargeAtTheSiteThatSavedThem: PlacetoPay's tokens work only at the
// site that issued them. A card saved by a session of the us site is charged there (the
// collect is the us login's, the order the us site's and paid), a charge in a currency that
// site does not take is a 422 with nothing written or sent, and deleting the card invalidates
// its token at the us site.
func TestSitesStoredCardsChargeAtTheSiteThatSavedThem(t *testing.T) {
	h := &tokensHarness{harness: newHarness(t, harnessConfig{
		probeInterval:     time.Hour,
		sites:             []harnessSite{{name: "us", login: usSiteLogin, secret: usSiteSecret, currencies: []string{"USD"}}},
		defaultCurrencies: []string{"COP"},
		env:               func(string) []string { return []string{"GATEWAY_TOKEN_KEY=" + tokenKey} },
		sandbox:           sandbox.Config{},
	})}
	g := h.gateways[0]
	const customer = "cust-us-0007"

	code, raw := h.createSiteOrder(g, "USD", "10.00", "")
	if code != http.StatusCreated {
		t.Fatalf("order in USD = %d %s", code, raw)
	}
	var o orderJSON
	h.decode(raw, &o)
	code, raw = h.api(http.MethodPost, "/v1/orders/"+o.ID+"/checkout", map[string]any{"type": "subscription", "customerReference": customer})
	if code != http.StatusCreated {
		t.Fatalf("subscription checkout = %d %s", code, raw)
	}
	var s checkoutJSON
	h.decode(raw, &s)
	if got := h.sandboxSession(s.RequestID).Login; got != usSiteLogin {
		t.Fatalf("the subscription session was opened by %q, want the us site's login", got)
	}
	h.pay(s.RequestID, cardApprove)
	tok, _ := h.sandboxToken(s.RequestID)
	h.order(g, o.ID, true)
	list := h.paymentMethods(customer)
	if len(list) != 1 {
		t.Fatalf("payment methods after the subscription = %+v, want one", list)
	}
	pm := list[0].ID
	if site := h.count(`SELECT count(*) FROM payment_methods WHERE id = $1 AND site = 'us'`, pm); site != 1 || list[0].Site != "us" {
		t.Fatalf("the stored card is not the us site's: %+v", list[0])
	}
	if _, err := h.collectDirect(tok, "cross-site", "1.00"); err == nil || !strings.Contains(err.Error(), "XN") {
		t.Fatalf("the us site's token charged at the default site: %v", err)
	}

	// A charge in a currency the card's site does not take: refused, nothing written or sent.
	orders := h.count(`SELECT count(*) FROM orders`)
	body := chargeBody(customer, pm, "us-plan-cop", "15000")
	body["amount"] = map[string]string{"currency": "COP", "total": "15000"}
	code, raw = h.charge(body)
	var p fieldProblemJSON
	h.decode(raw, &p)
	if code != http.StatusUnprocessableEntity || p.Field != "amount.currency" {
		t.Fatalf("charge in COP of the us site's card = %d %s, want 422 on amount.currency", code, raw)
	}
	if n := h.count(`SELECT count(*) FROM orders`); n != orders {
		t.Fatalf("%d orders after a refused charge, want %d", n, orders)
	}
	if n := h.sandboxCollects("us-plan-cop"); n != 0 {
		t.Fatalf("a refused charge reached PlacetoPay (%d collects)", n)
	}

	// The charge goes to the us site, and so does its order.
	code, raw = h.charge(chargeBody(customer, pm, "us-plan-2026-12", "15.00"))
	if code != http.StatusCreated {
		t.Fatalf("charge = %d %s, want 201", code, raw)
	}
	var charged orderJSON
	h.decode(raw, &charged)
	if charged.Status != "paid" || charged.PaidAmount.Total != "15.00" || len(charged.Sessions) != 1 || charged.Sessions[0].RequestID == nil {
		t.Fatalf("charged order = %s", raw)
	}
	if got := h.sandboxSession(*charged.Sessions[0].RequestID).Login; got != usSiteLogin {
		t.Fatalf("the collect was sent by %q, want the us site's login", got)
	}
	if n := h.count(`SELECT count(*) FROM orders WHERE id = $1 AND site = 'us'`, charged.ID); n != 1 {
		t.Error("the charge's order is not the us site's")
	}
	if n := h.count(`SELECT count(*) FROM checkout_sessions WHERE order_id = $1 AND site = 'us'`, charged.ID); n != 1 {
		t.Error("the charge's session is not the us site's")
	}
	// The gateway's own query of it goes to the us site too: the order reads paid again.
	if got := h.order(g, charged.ID, true); got.Status != "paid" {
		t.Fatalf("charged order after a query = %s, want paid", got.Status)
	}

	// Deleting the card invalidates the token at the us site.
	if code, raw := h.api(http.MethodDelete, "/v1/customers/"+customer+"/payment-methods/"+pm, nil); code != http.StatusNoContent {
		t.Fatalf("delete = %d %s, want 204", code, raw)
	}
	us, err := placetopay.New(placetopay.Config{BaseURL: h.sandboxURL,
		Credentials: placetopay.Credentials{Login: usSiteLogin, SecretKey: usSiteSecret}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.collectAt(us, tok, "after-delete", "1.00"); err == nil || !strings.Contains(err.Error(), "XN") {
		t.Fatalf("the deleted card's token still charges at the us site: %v", err)
	}
	if strings.Contains(h.bodies.String(), tok) {
		t.Fatal("an answer holds the token")
	}
}
