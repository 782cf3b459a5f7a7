package http_test

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestCreateOrderKeepsTaxesAndDetailsExactly: an order's taxes and details are parsed as
// exactly as its total (strings or numbers, the currency's digits), kept in minor units and
// returned as decimal strings inside amount.
func TestCreateOrderKeepsTaxesAndDetailsExactly(t *testing.T) {
	e := newEnv(t)
	tests := []struct {
		name, amount, want string
		stored             [2]string // amount_taxes, amount_details as Postgres prints them
	}{
		{"COP IVA included",
			`{"currency":"COP","total":"59900","taxes":[{"kind":"valueAddedTax","amount":9563.87,"base":"50336.13"}],"details":[{"kind":"subtotal","amount":"50336.13"},{"kind":"discount","amount":0}]}`,
			`{"currency":"COP","total":"59900.00","taxes":[{"kind":"valueAddedTax","amount":"9563.87","base":"50336.13"}],"details":[{"kind":"subtotal","amount":"50336.13"},{"kind":"discount","amount":"0.00"}]}`,
			[2]string{`[{"kind": "valueAddedTax", "baseMinor": 5033613, "amountMinor": 956387}]`, `[{"kind": "subtotal", "amountMinor": 5033613}, {"kind": "discount", "amountMinor": 0}]`}},
		{"CLP whole pesos, a tax without base",
			`{"currency":"CLP","total":11900,"taxes":[{"kind":"valueAddedTax","amount":"1900"},{"kind":"municipalTax","amount":0}]}`,
			`{"currency":"CLP","total":"11900","taxes":[{"kind":"valueAddedTax","amount":"1900"},{"kind":"municipalTax","amount":"0"}]}`,
			[2]string{`[{"kind": "valueAddedTax", "amountMinor": 1900}, {"kind": "municipalTax", "amountMinor": 0}]`, `[]`}},
		{"no taxes nor details: the amount as before",
			`{"currency":"USD","total":"10.00"}`, `{"currency":"USD","total":"10.00"}`, [2]string{`[]`, `[]`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.do(t, http.MethodPost, "/v1/orders", `{"description":"taxes","amount":`+tt.amount+`}`, auth(apiKey))
			r.wantStatus(t, http.StatusCreated)
			var o struct {
				ID     string          `json:"id"`
				Amount json.RawMessage `json:"amount"`
			}
			if err := json.Unmarshal(r.body, &o); err != nil {
				t.Fatal(err)
			}
			if string(o.Amount) != tt.want {
				t.Errorf("amount = %s, want %s", o.Amount, tt.want)
			}
			var stored [2]string
			if err := e.pool.QueryRow(context.Background(), `SELECT amount_taxes::text, amount_details::text FROM orders WHERE id = $1`, o.ID).
				Scan(&stored[0], &stored[1]); err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(tt.stored, stored); d != "" {
				t.Errorf("stored (-want +got):\n%s", d)
			}
			got := e.do(t, http.MethodGet, "/v1/orders/"+o.ID, "", auth(apiKey))
			got.wantStatus(t, http.StatusOK)
			if err := json.Unmarshal(got.body, &o); err != nil || string(o.Amount) != tt.want {
				t.Errorf("GET amount = %s, want %s", o.Amount, tt.want)
			}
		})
	}
}

// TestCreateOrderRefusesBadTaxesAndDetails: every bad tax or detail is a problem naming it,
// and writes nothing.
func TestCreateOrderRefusesBadTaxesAndDetails(t *testing.T) {
	e := newEnv(t)
	tests := []struct {
		name, amount string
		status       int
		field        string
	}{
		{"unknown tax kind", `"taxes":[{"kind":"iva","amount":"1"}]`, 422, "amount.taxes[0].kind"},
		{"tax kind missing", `"taxes":[{"amount":"1"}]`, 422, "amount.taxes[0].kind"},
		{"unknown detail kind", `"details":[{"kind":"subtotal","amount":"1"},{"kind":"gift","amount":"1"}]`, 422, "amount.details[1].kind"},
		{"tax amount missing", `"taxes":[{"kind":"valueAddedTax"}]`, 422, "amount.taxes[0].amount"},
		{"three decimals", `"taxes":[{"kind":"valueAddedTax","amount":"1.001"}]`, 422, "amount.taxes[0].amount"},
		{"negative base", `"taxes":[{"kind":"valueAddedTax","amount":"1","base":-1}]`, 422, "amount.taxes[0].base"},
		{"negative detail", `"details":[{"kind":"tip","amount":"-0.01"}]`, 422, "amount.details[0].amount"},
		{"exponent", `"details":[{"kind":"tip","amount":1e3}]`, 422, "amount.details[0].amount"},
		{"above the maximum", `"details":[{"kind":"tip","amount":"10000000000.00"}]`, 422, "amount.details[0].amount"},
		{"amount is a boolean", `"details":[{"kind":"tip","amount":true}]`, 400, "amount.details[0].amount"},
		{"unknown member", `"taxes":[{"kind":"valueAddedTax","amount":"1","rate":19}]`, 400, "amount.taxes[0].rate"},
		{"taxes is an object", `"taxes":{"kind":"valueAddedTax"}`, 400, "amount.taxes"},
		{"21 taxes", `"taxes":[` + repeat(`{"kind":"stateTax","amount":"1"}`, 21) + `]`, 422, "amount.taxes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := e.orderCount(t)
			r := e.do(t, http.MethodPost, "/v1/orders", `{"description":"x","amount":{"currency":"USD","total":"10.00",`+tt.amount+`}}`, auth(apiKey))
			code := "invalid"
			if tt.status == 400 {
				code = "bad_request"
			}
			r.wantProblem(t, tt.status, code, tt.field)
			if e.orderCount(t) != before {
				t.Error("a refused order was written")
			}
		})
	}
}

func repeat(s string, n int) string {
	out := s
	for range n - 1 {
		out += "," + s
	}
	return out
}
