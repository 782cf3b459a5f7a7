package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/placetopay-gateway/gateway/internal/placetopay/openapitest"
)

// TestMoneyPathTaxesAndCheckoutFieldsReachPlacetoPayAsItsDocumentSays: an order with taxes
// and details and a checkout with every PlacetoPay field go through the merchant API to the
// real sandbox over HTTP; the request the gateway sends is valid against PlacetoPay's
// Checkout OpenAPI document and carries each value as given, the sandbox receives and echoes
// it, and every refusal is a 422 naming the field, with nothing written and no PlacetoPay
// call. The payer never reaches a log line or the database.
func TestMoneyPathTaxesAndCheckoutFieldsReachPlacetoPayAsItsDocumentSays(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessConfig{probeInterval: time.Hour, proxy: true})
	g := h.gateways[0]
	refused := func(method, path string, body any, field string) {
		t.Helper()
		orders := h.count(`SELECT count(*) FROM orders`)
		sessions := h.count(`SELECT count(*) FROM checkout_sessions`)
		timeline := h.count(`SELECT count(*) FROM order_timeline`)
		creates := h.proxy.creates.Load()
		code, raw := h.call(g, method, path, body)
		var p struct {
			Code  string `json:"code"`
			Field string `json:"field"`
		}
		h.decode(raw, &p)
		if code != http.StatusUnprocessableEntity || p.Code != "invalid" || p.Field != field {
			t.Errorf("%s %s %v = %d %s, want 422 invalid on %s", method, path, body, code, raw, field)
		}
		if h.count(`SELECT count(*) FROM orders`) != orders || h.count(`SELECT count(*) FROM checkout_sessions`) != sessions ||
			h.count(`SELECT count(*) FROM order_timeline`) != timeline {
			t.Errorf("%s %s refused on %s wrote to the database", method, path, field)
		}
		if h.proxy.creates.Load() != creates {
			t.Errorf("%s %s refused on %s called PlacetoPay", method, path, field)
		}
	}
	amount := map[string]any{
		"currency": "COP", "total": "59900.00",
		"taxes": []any{map[string]any{"kind": "valueAddedTax", "amount": "9563.87", "base": 50336.13}},
		"details": []any{
			map[string]any{"kind": "subtotal", "amount": "50336.13"},
			map[string]any{"kind": "shipping", "amount": 0},
		},
	}
	code, raw := h.call(g, http.MethodPost, "/v1/orders", map[string]any{"description": "Camiseta Gateway", "amount": amount})
	if code != http.StatusCreated {
		t.Fatalf("POST /v1/orders with taxes and details = %d %s", code, raw)
	}
	var o struct {
		ID     string          `json:"id"`
		Amount json.RawMessage `json:"amount"`
	}
	h.decode(raw, &o)
	wantAmount := `{"currency":"COP","total":"59900.00","taxes":[{"kind":"valueAddedTax","amount":"9563.87","base":"50336.13"}],` +
		`"details":[{"kind":"subtotal","amount":"50336.13"},{"kind":"shipping","amount":"0.00"}]}`
	if string(o.Amount) != wantAmount {
		t.Errorf("the order's amount = %s, want %s", o.Amount, wantAmount)
	}
	if code, raw := h.call(g, http.MethodGet, "/v1/orders/"+o.ID, nil); code != http.StatusOK || !strings.Contains(string(raw), wantAmount) {
		t.Errorf("GET the order = %d %s, want its amount %s", code, raw, wantAmount)
	}

	checkout := map[string]any{
		"locale": "es_CO", "paymentMethod": "visa,master,pse",
		"payer": map[string]any{
			"name": "Ana María", "surname": "Gómez", "email": "ana.gomez@example.com", "document": "1122334455",
			"documentType": "CC", "mobile": "+573001112233", "company": "Tienda Ana",
			"address": map[string]any{"street": "Calle 1 # 2-3", "city": "Medellín", "state": "ANT", "postalCode": "050001", "country": "CO", "phone": "+5746041234"},
		},
		"fields": []any{
			map[string]any{"keyword": "invoice", "value": "FV-1001", "displayOn": "both"},
			map[string]any{"keyword": "units", "value": 2, "displayOn": "none"},
			map[string]any{"keyword": "store", "value": "Medellín"},
		},
		"skipResult": true, "noBuyerFill": true,
		"metadata": map[string]any{"channel": "web", "campaign": map[string]any{"id": 7}},
	}

	t.Run("every refusal is a 422 on its field, before anything is written or sent", func(t *testing.T) {
		orderWith := func(edit func(a map[string]any)) map[string]any {
			a := map[string]any{"currency": "COP", "total": "59900.00"}
			edit(a)
			return map[string]any{"description": "refused", "amount": a}
		}
		for field, a := range map[string]map[string]any{
			"amount.taxes[0].kind":   orderWith(func(a map[string]any) { a["taxes"] = []any{map[string]any{"kind": "iva", "amount": "1"}} }),
			"amount.details[0].kind": orderWith(func(a map[string]any) { a["details"] = []any{map[string]any{"kind": "gift", "amount": "1"}} }),
			"amount.taxes[0].amount": orderWith(func(a map[string]any) { a["taxes"] = []any{map[string]any{"kind": "valueAddedTax", "amount": "1.001"}} }),
			"amount.taxes[0].base": orderWith(func(a map[string]any) {
				a["taxes"] = []any{map[string]any{"kind": "valueAddedTax", "amount": "1", "base": "-5"}}
			}),
			"amount.details[0].amount": orderWith(func(a map[string]any) { a["details"] = []any{map[string]any{"kind": "tip", "amount": -1}} }),
			"amount.details[1].amount": orderWith(func(a map[string]any) {
				a["details"] = []any{map[string]any{"kind": "tip", "amount": 1}, map[string]any{"kind": "fee"}}
			}),
		} {
			refused(http.MethodPost, "/v1/orders", a, field)
		}
		long := strings.Repeat("x", 61)
		path := "/v1/orders/" + o.ID + "/checkout"
		with := func(k string, v any) map[string]any { return map[string]any{k: v} }
		payer := func(k string, v any) map[string]any {
			p := map[string]any{"name": "Ana", "email": "ana@example.com", "document": "1122334455", "documentType": "CC"}
			p[k] = v
			return with("payer", p)
		}
		for field, body := range map[string]map[string]any{
			"allowPartial":        with("allowPartial", true),
			"dispersion":          with("dispersion", []any{map[string]any{"agreementType": "MERCHANT", "amount": map[string]any{"currency": "COP", "total": "59900.00"}}}),
			"fields[0].displayOn": with("fields", []any{map[string]any{"keyword": "invoice", "value": "1", "displayOn": "always"}}),
			"fields[0].keyword":   with("fields", []any{map[string]any{"keyword": strings.Repeat("k", 51), "value": "1"}}),
			"fields[0].value":     with("fields", []any{map[string]any{"keyword": "note", "value": strings.Repeat("v", 256)}}),
			"payer.email":         payer("email", "ana@"),
			"payer.document":      payer("document", "11 22"),
			"payer.documentType":  payer("documentType", "cedula"),
			"payer.name":          payer("name", long),
			"payer.surname":       payer("surname", long),
			"payer.address.state": payer("address", map[string]any{"state": "Antioquia"}),
			"metadata":            with("metadata", map[string]any{"blob": strings.Repeat("m", 2100)}),
			"paymentMethod":       with("paymentMethod", "visa, master"),
		} {
			refused(http.MethodPost, path, body, field)
		}
	})

	t.Run("the order and a checkout with every field reach PlacetoPay as its document describes", func(t *testing.T) {
		code, raw := h.checkout(g, o.ID, checkout)
		if code != http.StatusCreated {
			t.Fatalf("checkout with every field = %d %s", code, raw)
		}
		var s checkoutJSON
		h.decode(raw, &s)
		sent := h.proxy.sessionRequest()
		req, err := http.NewRequest(http.MethodPost, "https://checkout-test.placetopay.com/api/session", bytes.NewReader(sent))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/json")
		for _, e := range openapitest.Request(t, openapitest.Checkout, req) {
			t.Errorf("PlacetoPay's Checkout document refuses the request: %s", e)
		}
		var got map[string]json.RawMessage
		h.decode(sent, &got)
		var payment map[string]json.RawMessage
		h.decode(got["payment"], &payment)
		want := map[string]string{
			"amount": `{"currency":"COP","total":59900.00,"taxes":[{"kind":"valueAddedTax","amount":9563.87,"base":50336.13}],` +
				`"details":[{"kind":"subtotal","amount":50336.13},{"kind":"shipping","amount":0.00}]}`,
			"payer": `{"document":"1122334455","documentType":"CC","name":"Ana María","surname":"Gómez","company":"Tienda Ana",` +
				`"email":"ana.gomez@example.com","mobile":"+573001112233","address":{"street":"Calle 1 # 2-3","city":"Medellín",` +
				`"state":"ANT","postalCode":"050001","country":"CO","phone":"+5746041234"}}`,
			"fields": `[{"keyword":"invoice","value":"FV-1001","displayOn":"both"},{"keyword":"units","value":2,"displayOn":"none"},` +
				`{"keyword":"store","value":"Medellín"}]`,
			"skipResult": `true`, "noBuyerFill": `true`, "paymentMethod": `"visa,master,pse"`,
			"metadata": `{"campaign":{"id":7},"channel":"web"}`,
		}
		have := map[string]string{"amount": string(payment["amount"])}
		for k := range want {
			if k != "amount" {
				have[k] = string(got[k])
			}
		}
		if d := cmp.Diff(want, have); d != "" {
			t.Errorf("what the gateway sent (-want +got):\n%s", d)
		}

		// The sandbox received the same, and its query echoes it as PlacetoPay's does.
		rec := h.sandboxSession(s.RequestID)
		echoed, _ := json.Marshal(rec.Request["payment"].(map[string]any)["amount"])
		if !json.Valid(echoed) || !bytes.Contains(echoed, []byte(`"valueAddedTax"`)) || !bytes.Contains(echoed, []byte(`9563.87`)) {
			t.Errorf("GET /sandbox/sessions/%d shows the amount %s, want the taxes sent", s.RequestID, echoed)
		}
		info, err := h.placetopayClient().QuerySession(t.Context(), s.RequestID)
		if err != nil {
			t.Fatal(err)
		}
		var echo struct {
			Payment struct {
				Amount struct {
					Taxes   []map[string]any `json:"taxes"`
					Details []map[string]any `json:"details"`
				} `json:"amount"`
			} `json:"payment"`
			SkipResult bool             `json:"skipResult"`
			Fields     []map[string]any `json:"fields"`
		}
		h.decode(info.Request, &echo)
		if len(echo.Payment.Amount.Taxes) != 1 || fmt.Sprint(echo.Payment.Amount.Taxes[0]["amount"]) != "9563.87" ||
			len(echo.Payment.Amount.Details) != 2 || !echo.SkipResult || len(echo.Fields) < 3 {
			t.Errorf("the session query echoes %s, want the taxes, details, skipResult and fields sent", info.Request)
		}

		// The payer is personal data: sent to PlacetoPay, never logged or stored.
		for _, pii := range []string{"ana.gomez@example.com", "1122334455", "Gómez", "+573001112233"} {
			if strings.Contains(g.logs.String(), pii) {
				t.Errorf("a log line holds the payer's %q", pii)
			}
			if n := h.count(`SELECT count(*) FROM checkout_sessions WHERE request::text LIKE '%' || $1 || '%'`, pii) +
				h.count(`SELECT count(*) FROM order_timeline WHERE coalesce(payload::text, '') || coalesce(message, '') LIKE '%' || $1 || '%'`, pii) +
				h.count(`SELECT count(*) FROM events WHERE data::text LIKE '%' || $1 || '%'`, pii); n != 0 {
				t.Errorf("the database holds the payer's %q in %d rows", pii, n)
			}
		}
	})
}
