package http_test

import (
	"net/http"
	"strings"
	"testing"

	gatewayhttp "github.com/placetopay-gateway/gateway/internal/http"
)

// wantTexts fails for each of want that r's body lacks.
func wantTexts(t *testing.T, r response, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(string(r.body), w) {
			t.Errorf("the page lacks %q:\n%s", w, r.body)
		}
	}
}

// The demo shop speaks the browser's language, Spanish or English (English when it asks for
// neither), with the amount written for its locale, and opens the checkout in that language.
func TestDemoShopSpeaksTheBrowsersLanguage(t *testing.T) {
	e := newMoneyEnv(t, gatewayhttp.Config{})
	for _, tc := range []struct {
		acceptLanguage, locale, html, total string
		more                                []string
	}{
		{"es-CO,es;q=0.9,en;q=0.8", "es_CO", `<html lang="es">`, "$ 59.900 COP", []string{"Camiseta Gateway", "Pagar con PlacetoPay", "rechaza: la página de pago le deja intentar con otra tarjeta"}},
		{"es", "es_CO", `<html lang="es">`, "$ 59.900 COP", nil},
		{"en-US,en;q=0.9", "en_US", `<html lang="en">`, "COP 59,900", []string{"Gateway T-shirt", "Pay with PlacetoPay"}},
		{"", "en_US", `<html lang="en">`, "COP 59,900", []string{"Pay with PlacetoPay"}},
	} {
		t.Run(tc.acceptLanguage, func(t *testing.T) {
			lang := http.Header{"Accept-Language": {tc.acceptLanguage}}
			shop := e.do(t, http.MethodGet, "/demo", "", lang)
			shop.wantStatus(t, http.StatusOK)
			wantTexts(t, shop, append([]string{tc.html, tc.total}, tc.more...)...)

			ref, cookie := e.demoPay(t, lang)
			if got := e.provider.lastLocale(); got != tc.locale {
				t.Errorf("the checkout was opened in %q, want %q", got, tc.locale)
			}
			page := e.do(t, http.MethodGet, "/demo/orders/"+ref, "", http.Header{"Accept-Language": {tc.acceptLanguage}, "Cookie": {cookie}})
			page.wantStatus(t, http.StatusOK)
			wantTexts(t, page, tc.html, tc.total)
		})
	}
}

// The order page of an order this browser did not start still answers, in its language.
func TestDemoOrderPageWithoutTheOrdersCookie(t *testing.T) {
	e := newMoneyEnv(t, gatewayhttp.Config{})
	r := e.do(t, http.MethodGet, "/demo/orders/DEMO-NONE", "", http.Header{"Accept-Language": {"es-CO"}})
	r.wantStatus(t, http.StatusOK)
	wantTexts(t, r, "Pedido DEMO-NONE", "Este pedido no se inició desde este navegador.", "Consultando su pago")
	if strings.Contains(string(r.body), `id="total"`) {
		t.Errorf("the page shows a total it could not read:\n%s", r.body)
	}
}

// The gateway's own status page (an order with no returnUrl) is styled like the demo and
// speaks the browser's language.
func TestReturnPageSpeaksTheBrowsersLanguage(t *testing.T) {
	e := newMoneyEnv(t, gatewayhttp.Config{})
	o := e.createOrder(t, usd("RET-L10N", "1234.50"))
	for _, tc := range []struct {
		acceptLanguage string
		want           []string
	}{
		{"es-CO", []string{`<html lang="es">`, "Pedido RET-L10N", "$ 1.234,50 USD", "Esperando a su banco", "Actualizado el ", " de 20", `<style nonce="`}},
		{"en-US", []string{`<html lang="en">`, "Order RET-L10N", "USD 1,234.50", "Waiting for your bank", "Updated on ", "(UTC)"}},
	} {
		t.Run(tc.acceptLanguage, func(t *testing.T) {
			r := e.do(t, http.MethodGet, "/return/"+o.ID, "", http.Header{"Accept-Language": {tc.acceptLanguage}})
			r.wantStatus(t, http.StatusOK)
			wantTexts(t, r, tc.want...)
		})
	}
}
