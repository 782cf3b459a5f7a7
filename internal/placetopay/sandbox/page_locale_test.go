package sandbox

import (
	"cmp"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

// copSession is basicSession for 59,900 COP in locale ("" for none).
func copSession(ref, locale string) map[string]any {
	body := basicSession(ref)
	body["payment"].(map[string]any)["amount"] = map[string]any{"currency": "COP", "total": 59900}
	if locale == "" {
		delete(body, "locale")
	} else {
		body["locale"] = locale
	}
	return body
}

// The hosted page speaks the session's locale as PlacetoPay's does: Spanish for es_*, and for
// a session that names none (es_CO, PlacetoPay's default); English for any other language.
// Amounts and dates are written as the locale writes them, dates in Colombia's zone for es_CO
// and with their offset where the locale's country has no one zone.
func TestPageSpeaksTheSessionsLocale(t *testing.T) {
	h := newHarness(t)
	for _, tc := range []struct {
		locale string
		want   []string
	}{
		{"es_CO", []string{`<html lang="es">`, "Pagar con tarjeta", "$ 59.900 COP", "Esperando el pago", "2 de marzo de 2026, 10:34", "Cancelar y volver a", "/sandbox/cards?locale=es_CO"}},
		{"", []string{`<html lang="es">`, "Pagar con tarjeta", "$ 59.900 COP", "2 de marzo de 2026, 10:34", "/sandbox/cards?locale=es_CO"}},
		{"es_EC", []string{`<html lang="es">`, "$ 59.900 COP", "2 de marzo de 2026, 10:34"}},
		{"es_PR", []string{`<html lang="es">`, "$ 59,900 COP", "2 de marzo de 2026, 11:34"}},
		{"en_US", []string{`<html lang="en">`, "Pay with a card", "COP 59,900", "Awaiting payment", "March 2, 2026, 10:34 AM (UTC-05:00)", "Cancel and return to"}},
		{"pt_BR", []string{`<html lang="en">`, "Pay with a card", "COP 59,900"}},
	} {
		t.Run(cmp.Or(tc.locale, "no locale"), func(t *testing.T) {
			_, processURL := h.create(copSession("ORDER-L10N", tc.locale))
			html := string(h.page(processURL).get().want(t, http.StatusOK).Raw)
			for _, want := range tc.want {
				if !strings.Contains(html, want) {
					t.Errorf("the page lacks %q:\n%s", want, html)
				}
			}
		})
	}
}

// After a declined card the payer stays on the page, which says plainly that the card was
// declined and nothing was charged, and how many cards may still be tried; the session
// stays PENDING. At the attempts limit the session is rejected and the page says so.
func TestPageAfterADeclineOffersAnotherCardUntilTheLimit(t *testing.T) {
	h := newHarness(t, func(c *Config) { c.AttemptsLimit = 3 })
	id, processURL := h.create(copSession("ORDER-DECL", "es_CO"))
	p := h.page(processURL)
	for i, want := range []string{"le quedan 2 intentos", "es el último intento"} {
		p.post("pay", url.Values{"card": {cardDeny}}).want(t, http.StatusSeeOther)
		html := string(p.get().Raw)
		for _, w := range []string{"Pago rechazado", "La tarjeta Visa •••• 0016 fue rechazada por su emisor. No se realizó ningún cobro.", want, `name="card"`, "Esperando el pago"} {
			if !strings.Contains(html, w) {
				t.Errorf("after decline %d, the page lacks %q:\n%s", i+1, w, html)
			}
		}
		if got := status(h.query(id).Body, "status"); got != "PENDING/PT" {
			t.Errorf("after decline %d: session %s, want PENDING/PT", i+1, got)
		}
	}
	p.post("pay", url.Values{"card": {cardDeny}}).want(t, http.StatusSeeOther)
	html := string(p.get().Raw)
	if strings.Contains(html, `name="card"`) || strings.Contains(html, "Puede intentar") ||
		!strings.Contains(html, "Rechazado: se alcanzó el límite de intentos de pago") || !strings.Contains(html, "Volver a") {
		t.Errorf("at the attempts limit the page should say the session was rejected and lead back:\n%s", html)
	}
}

// GET /sandbox/cards is a page for browsers, in the language of the payment page that linked
// it (or the browser's), and stays JSON for tools.
func TestCardsPageForBrowsersJSONForTools(t *testing.T) {
	h := newHarness(t)
	get := func(path string, header http.Header) (*http.Response, string) {
		req, _ := http.NewRequest(http.MethodGet, h.url+path, nil)
		req.Header = header
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, string(b)
	}
	browser := "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
	for _, tc := range []struct {
		name, path string
		header     http.Header
		want       []string
	}{
		{"linked from a Spanish page", "/sandbox/cards?locale=es_CO", http.Header{"Accept": {browser}, "Accept-Language": {"en-US"}},
			[]string{`<html lang="es">`, "Tarjetas de prueba", "<code>4110760000000081</code>", "Aprueba", "Rechaza", "Queda pendiente 2 minutos y luego se aprueba", "Queda pendiente 3 minutos y luego se rechaza", "$ 200,00 USD", "11/28"}},
		{"a Spanish browser", "/sandbox/cards", http.Header{"Accept": {browser}, "Accept-Language": {"es-CO,es;q=0.9"}},
			[]string{`<html lang="es">`, "Tarjetas de prueba"}},
		{"an English browser", "/sandbox/cards", http.Header{"Accept": {browser}, "Accept-Language": {"en-US,en;q=0.9"}},
			[]string{`<html lang="en">`, "Test cards", "<code>4110760000000016</code>", "Declines", "Pending for 2 minutes, then approved", "USD 200.00"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, html := get(tc.path, tc.header)
			if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
				t.Fatalf("HTTP %d, %s", resp.StatusCode, resp.Header.Get("Content-Type"))
			}
			for _, want := range tc.want {
				if !strings.Contains(html, want) {
					t.Errorf("the page lacks %q:\n%s", want, html)
				}
			}
			csp := resp.Header.Get("Content-Security-Policy")
			nonce := regexp.MustCompile(`style-src 'nonce-([A-Za-z0-9_-]+)'`).FindStringSubmatch(csp)
			if nonce == nil || !strings.Contains(html, `<style nonce="`+nonce[1]+`">`) || strings.Contains(csp, "unsafe-") {
				t.Errorf("Content-Security-Policy %q does not allow exactly the page's style by nonce", csp)
			}
		})
	}
	for _, accept := range []string{"", "*/*", "application/json"} {
		resp, body := get("/sandbox/cards", http.Header{"Accept": {accept}})
		if !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") || !strings.Contains(body, `"behaviour":"pending then approved"`) {
			t.Errorf("Accept %q: %s\n%s", accept, resp.Header.Get("Content-Type"), body)
		}
	}
}
