package sandbox

import (
	"net/http"
	"strings"
	"testing"
)

// ivaSession is copSession with 19 % IVA included and a subtotal detail.
func ivaSession(ref, locale string) map[string]any {
	body := copSession(ref, locale)
	body["payment"].(map[string]any)["amount"] = map[string]any{
		"currency": "COP", "total": 59900,
		"taxes":   []any{map[string]any{"kind": "valueAddedTax", "amount": 9563.87, "base": 50336.13}},
		"details": []any{map[string]any{"kind": "subtotal", "amount": 50336.13}},
	}
	return body
}

// The hosted page's summary shows the amount's taxes and details in the session's language:
// an IVA line with its base, and the subtotal.
func TestPageShowsTheIVAAndDetailsOfTheAmount(t *testing.T) {
	h := newHarness(t)
	for _, tc := range []struct {
		locale string
		want   []string
	}{
		{"es_CO", []string{`<dt>IVA</dt><dd class="tax">$ 9.563,87 COP sobre una base de $ 50.336,13 COP</dd>`, `<dt>Subtotal</dt><dd class="detail">$ 50.336,13 COP</dd>`}},
		{"en_US", []string{`<dt>VAT (IVA)</dt><dd class="tax">COP 9,563.87 on a base of COP 50,336.13</dd>`, `<dt>Subtotal</dt><dd class="detail">COP 50,336.13</dd>`}},
	} {
		t.Run(tc.locale, func(t *testing.T) {
			_, processURL := h.create(ivaSession("ORDER-IVA", tc.locale))
			html := string(h.page(processURL).get().want(t, http.StatusOK).Raw)
			for _, want := range tc.want {
				if !strings.Contains(html, want) {
					t.Errorf("the page lacks %q:\n%s", want, html)
				}
			}
		})
	}
	_, processURL := h.create(copSession("ORDER-NO-IVA", "es_CO"))
	if html := string(h.page(processURL).get().want(t, http.StatusOK).Raw); strings.Contains(html, `class="tax"`) {
		t.Errorf("a session without taxes shows a tax line:\n%s", html)
	}
}

// The sandbox refuses what PlacetoPay refuses of taxes, details, fields and the payer.
func TestSandboxRefusesBadTaxesFieldsAndPayers(t *testing.T) {
	h := newHarness(t)
	for name, edit := range map[string]func(b map[string]any){
		"unknown tax kind": func(b map[string]any) {
			b["payment"].(map[string]any)["amount"].(map[string]any)["taxes"] = []any{map[string]any{"kind": "iva", "amount": 1}}
		},
		"unknown detail kind": func(b map[string]any) {
			b["payment"].(map[string]any)["amount"].(map[string]any)["details"] = []any{map[string]any{"kind": "gift", "amount": 1}}
		},
		"negative tax": func(b map[string]any) {
			b["payment"].(map[string]any)["amount"].(map[string]any)["taxes"] = []any{map[string]any{"kind": "valueAddedTax", "amount": -1}}
		},
		"details on a partial payment": func(b map[string]any) {
			b["payment"].(map[string]any)["allowPartial"] = true
			b["payment"].(map[string]any)["amount"].(map[string]any)["details"] = []any{map[string]any{"kind": "tip", "amount": 1}}
		},
		"taxes on a dispersion": func(b map[string]any) {
			p := b["payment"].(map[string]any)
			p["dispersion"] = []any{map[string]any{"agreementType": "MERCHANT", "amount": p["amount"]}}
			p["amount"].(map[string]any)["taxes"] = []any{map[string]any{"kind": "valueAddedTax", "amount": 1}}
		},
		"bad displayOn": func(b map[string]any) {
			b["fields"] = []any{map[string]any{"keyword": "invoice", "value": "1", "displayOn": "always"}}
		},
		"long field keyword": func(b map[string]any) {
			b["fields"] = []any{map[string]any{"keyword": strings.Repeat("k", 51), "value": "1"}}
		},
		"malformed payer email": func(b map[string]any) {
			b["payer"] = map[string]any{"name": "Ana", "email": "ana@"}
		},
		"malformed payer document": func(b map[string]any) {
			b["payer"] = map[string]any{"name": "Ana", "document": "11 22", "documentType": "CC"}
		},
	} {
		t.Run(name, func(t *testing.T) {
			body := copSession("ORDER-BAD", "es_CO")
			edit(body)
			r := h.api("/api/session", body)
			if r.Code != http.StatusBadRequest {
				t.Errorf("create = %d %s, want 400", r.Code, r.Raw)
			}
		})
	}
}
