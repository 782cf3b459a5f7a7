package main

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/placetopay-gateway/gateway/internal/pgtest"
	"github.com/placetopay-gateway/gateway/internal/placetopay/sandbox"
)

// The demo shop in development: the shop's server opens the checkout (no key in the
// browser), the browser gets only the order's client secret, and the order page follows the
// order to paid.
func TestDemoShopPaysAnOrder(t *testing.T) {
	dbURL := pgtest.URL(t)
	_, addrs, _ := startRun(t, []string{"serve"}, []string{
		"DATABASE_URL=" + dbURL, "GATEWAY_ADDR=127.0.0.1:0", "GATEWAY_ADMIN_ADDR=127.0.0.1:0",
		"SANDBOX_ADDR=127.0.0.1:0", "GATEWAY_PUBLIC_URL=http://gateway.test",
	}, "public", "admin", "sandbox")
	public, control := "http://"+addrs["public"], sandbox.Control{BaseURL: "http://" + addrs["sandbox"], HTTP: testClient}
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

	resp, err := noRedirect.Get(public + "/demo")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(page), "Pay with PlacetoPay") || strings.Contains(string(page), "sk_dev_") {
		t.Fatalf("GET /demo = %d, want the shop page without any API key:\n%s", resp.StatusCode, page)
	}
	// The cart shows the 19 % IVA the price includes (COP 50,336.13 + 9,563.87).
	if !strings.Contains(string(page), "VAT (IVA 19 %)") || !strings.Contains(string(page), "COP 9,563.87") || !strings.Contains(string(page), "COP 50,336.13") {
		t.Errorf("the shop page does not show the IVA:\n%s", page)
	}

	resp, err = noRedirect.Post(public+"/demo/pay", "application/x-www-form-urlencoded", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc := resp.Header.Get("Location")
	m := regexp.MustCompile(`/session/(\d+)/[0-9a-f]+$`).FindStringSubmatch(loc)
	if resp.StatusCode != http.StatusSeeOther || m == nil {
		t.Fatalf("POST /demo/pay = %d to %q, want 303 to a sandbox processUrl", resp.StatusCode, loc)
	}
	var id, secret, ref string
	for _, c := range resp.Cookies() {
		if strings.HasPrefix(c.Name, "demo_") {
			v, _ := url.QueryUnescape(c.Value)
			id, secret, _ = strings.Cut(v, ".")
			ref = strings.TrimPrefix(c.Name, "demo_")
		}
	}
	if !strings.HasPrefix(secret, "cs_") || id == "" {
		t.Fatalf("cookies %v, want demo_<ref> holding the order id and its client secret", resp.Cookies())
	}

	requestID, _ := strconv.ParseInt(m[1], 10, 64) // digits, by the pattern
	// The IVA is sent to PlacetoPay as the amount's valueAddedTax, with its base.
	sent, err := control.Session(t.Context(), requestID)
	if err != nil {
		t.Fatal(err)
	}
	if taxes, _ := json.Marshal(sent.Request["payment"].(map[string]any)["amount"].(map[string]any)["taxes"]); string(taxes) != `[{"amount":9563.87,"base":50336.13,"kind":"valueAddedTax"}]` {
		t.Errorf("the demo's session was sent the taxes %s, want the IVA of 9563.87 on 50336.13", taxes)
	}
	if _, err := control.Pay(t.Context(), requestID, "4110760000000081"); err != nil {
		t.Fatalf("paying in the sandbox: %v", err)
	}
	req, _ := http.NewRequest(http.MethodGet, public+"/v1/orders/"+id+"?refresh=true", nil)
	req.Header.Set("X-Client-Secret", secret)
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var order struct{ Status string }
	_ = json.NewDecoder(resp.Body).Decode(&order)
	resp.Body.Close()
	if order.Status != "paid" {
		t.Errorf("order after paying = %q, want paid", order.Status)
	}

	resp, err = noRedirect.Get(public + "/demo/orders/" + ref)
	if err != nil {
		t.Fatal(err)
	}
	page, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(page), ref) {
		t.Errorf("GET /demo/orders/%s = %d, want the order page", ref, resp.StatusCode)
	}

	// Try again needs the browser that started the order.
	resp, err = noRedirect.Post(public+"/demo/orders/"+ref+"/retry", "application/x-www-form-urlencoded", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("retry without the order's cookie = %d, want 401", resp.StatusCode)
	}
}

// A payer who cancels on the payment page: the order fails (the merchant's cancel alone is
// "cancelled"), and the client-secret view names the session PlacetoPay rejected with ?C, by
// which the order page says "Payment cancelled".
func TestDemoOrderCancelledOnThePaymentPage(t *testing.T) {
	dbURL := pgtest.URL(t)
	_, addrs, _ := startRun(t, []string{"serve"}, []string{
		"DATABASE_URL=" + dbURL, "GATEWAY_ADDR=127.0.0.1:0", "GATEWAY_ADMIN_ADDR=127.0.0.1:0",
		"SANDBOX_ADDR=127.0.0.1:0", "GATEWAY_PUBLIC_URL=http://gateway.test",
	}, "public", "admin", "sandbox")
	public := "http://" + addrs["public"]
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

	req, _ := http.NewRequest(http.MethodPost, public+"/demo/pay", nil)
	req.Header.Set("Accept-Language", "es-CO")
	resp, err := noRedirect.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	processURL, err := url.Parse(resp.Header.Get("Location"))
	if err != nil || resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("POST /demo/pay = %d to %q, want 303 to a processUrl", resp.StatusCode, resp.Header.Get("Location"))
	}
	var id, secret string
	for _, c := range resp.Cookies() {
		if strings.HasPrefix(c.Name, "demo_") {
			v, _ := url.QueryUnescape(c.Value)
			id, secret, _ = strings.Cut(v, ".")
		}
	}

	// The payment page is in Spanish: the shop opened the checkout with locale es_CO.
	page, err := noRedirect.Get("http://" + addrs["sandbox"] + processURL.Path)
	if err != nil {
		t.Fatal(err)
	}
	html, _ := io.ReadAll(page.Body)
	page.Body.Close()
	if !strings.Contains(string(html), "$ 59.900 COP") || !strings.Contains(string(html), "Cancelar y volver a") ||
		!strings.Contains(string(html), "<dt>IVA</dt>") {
		t.Errorf("the payment page of a Spanish browser's checkout is not in Spanish:\n%s", html)
	}
	cancel, err := noRedirect.Post("http://"+addrs["sandbox"]+processURL.Path+"/cancel", "application/x-www-form-urlencoded", nil)
	if err != nil {
		t.Fatal(err)
	}
	cancel.Body.Close()
	if cancel.StatusCode != http.StatusSeeOther {
		t.Fatalf("cancel on the payment page = %d, want 303", cancel.StatusCode)
	}

	var view struct {
		Status      string
		LastSession *struct{ Status, Reason string }
	}
	for deadline := time.Now().Add(10 * time.Second); view.Status != "failed"; time.Sleep(100 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the order is %q 10s after the payer cancelled, want failed", view.Status)
		}
		req, _ := http.NewRequest(http.MethodGet, public+"/v1/orders/"+id+"?refresh=true", nil)
		req.Header.Set("X-Client-Secret", secret)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_ = json.NewDecoder(resp.Body).Decode(&view)
		resp.Body.Close()
	}
	if view.LastSession == nil || view.LastSession.Status != "REJECTED" || view.LastSession.Reason != "?C" {
		t.Errorf("lastSession %+v, want REJECTED/?C", view.LastSession)
	}
}
