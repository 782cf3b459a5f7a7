package http_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"
)

func TestCreateOrder(t *testing.T) {
	e := newEnv(t)
	body := `{
		"reference": "ORD-1001",
		"description": "Two mugs",
		"amount": {"currency": "USD", "total": "10.50"},
		"buyer": {"name": "Ana", "surname": "Gómez", "email": "ana@example.com", "document": "1040035000", "documentType": "CC"},
		"items": [{"sku": "MUG", "name": "Mug", "qty": 2, "price": 5.25, "tax": "0.84"}],
		"returnUrl": "https://shop.example/orders/1001"
	}`
	start := time.Now().Add(-time.Minute)
	r := e.do(t, http.MethodPost, "/v1/orders", body, auth(apiKey))
	r.wantStatus(t, http.StatusCreated)
	if ct := r.header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type = %q, want application/json", ct)
	}
	var got order
	r.decode(t, &got)

	if _, err := uuid.Parse(got.ID); err != nil {
		t.Errorf("id %q is not a UUID: %v", got.ID, err)
	}
	if loc := r.header.Get("Location"); loc != "/v1/orders/"+got.ID {
		t.Errorf("Location = %q, want /v1/orders/%s", loc, got.ID)
	}
	if !strings.HasPrefix(got.ClientSecret, "cs_") || len(got.ClientSecret) < 20 {
		t.Errorf("clientSecret = %q, want a long cs_ secret", got.ClientSecret)
	}
	if got.CreatedAt.Before(start) || !got.UpdatedAt.Equal(got.CreatedAt) {
		t.Errorf("createdAt %v, updatedAt %v: want a fresh time, both equal", got.CreatedAt, got.UpdatedAt)
	}
	want := order{
		ID: got.ID, Reference: "ORD-1001", Description: "Two mugs", Status: "pending",
		Amount:         money{"USD", "10.50"},
		PaidAmount:     money{"USD", "0.00"},
		RefundedAmount: money{"USD", "0.00"},
		Buyer: map[string]any{"name": "Ana", "surname": "Gómez", "email": "ana@example.com",
			"document": "1040035000", "documentType": "CC"},
		Items:        []map[string]any{{"sku": "MUG", "name": "Mug", "qty": 2.0, "price": "5.25", "tax": "0.84"}},
		ReturnURL:    "https://shop.example/orders/1001",
		ClientSecret: got.ClientSecret,
		Sessions:     []json.RawMessage{}, Payments: []json.RawMessage{},
		CreatedAt: got.CreatedAt, UpdatedAt: got.UpdatedAt,
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("created order (-want +got):\n%s", d)
	}

	// The order behind Location is the one created, without its client secret.
	var fetched order
	e.do(t, http.MethodGet, r.header.Get("Location"), "", auth(apiKey)).decode(t, &fetched)
	want.ClientSecret = ""
	if d := cmp.Diff(want, fetched); d != "" {
		t.Errorf("GET Location (-want +got):\n%s", d)
	}
	if n := e.orderCount(t); n != 1 {
		t.Errorf("orders = %d, want 1", n)
	}
	var stored int
	if err := e.pool.QueryRow(context.Background(),
		"SELECT count(*) FROM orders WHERE client_secret_hash = sha256($1::text::bytea)", got.ClientSecret).Scan(&stored); err != nil {
		t.Fatal(err)
	}
	if stored != 1 {
		t.Errorf("the stored client secret hash does not match the one returned")
	}
}

func TestCreateOrderGeneratesReference(t *testing.T) {
	e := newEnv(t)
	a := e.createOrder(t, usd("", "1.00"))
	b := e.createOrder(t, usd("", "1.00"))
	for _, o := range []order{a, b} {
		if !strings.HasPrefix(o.Reference, "GW") || len(o.Reference) < 8 || len(o.Reference) > 32 {
			t.Errorf("generated reference %q: want GW and at most 32 characters", o.Reference)
		}
	}
	if a.Reference == b.Reference || a.ClientSecret == b.ClientSecret || a.ID == b.ID {
		t.Errorf("two orders share a reference, secret or id: %+v %+v", a, b)
	}
}

// TestCreateOrderAmounts checks that totals, as JSON numbers or strings, come back and are
// stored exactly: values a float64 cannot hold exactly must survive untouched.
func TestCreateOrderAmounts(t *testing.T) {
	e := newEnv(t)
	tests := []struct {
		name      string
		amount    string // the amount member as sent
		want      money
		wantMinor int64
	}{
		{"number 10.5", `{"currency":"USD","total":10.5}`, money{"USD", "10.50"}, 1050},
		{"string 10.50", `{"currency":"USD","total":"10.50"}`, money{"USD", "10.50"}, 1050},
		{"number 0.3", `{"currency":"USD","total":0.3}`, money{"USD", "0.30"}, 30},
		{"string 0.3", `{"currency":"USD","total":"0.3"}`, money{"USD", "0.30"}, 30},
		{"number 0.1", `{"currency":"USD","total":0.1}`, money{"USD", "0.10"}, 10},
		{"number 0.01", `{"currency":"USD","total":0.01}`, money{"USD", "0.01"}, 1},
		{"number 19.99", `{"currency":"USD","total":19.99}`, money{"USD", "19.99"}, 1999},
		{"string 19.99", `{"currency":"USD","total":"19.99"}`, money{"USD", "19.99"}, 1999},
		{"number 1234567.89", `{"currency":"USD","total":1234567.89}`, money{"USD", "1234567.89"}, 123456789},
		{"string 1234567.89", `{"currency":"USD","total":"1234567.89"}`, money{"USD", "1234567.89"}, 123456789},
		{"whole number", `{"currency":"USD","total":42}`, money{"USD", "42.00"}, 4200},
		{"leading zeros", `{"currency":"USD","total":"007.10"}`, money{"USD", "7.10"}, 710},
		{"maximum as number", `{"currency":"USD","total":9999999999.99}`, money{"USD", "9999999999.99"}, 999999999999},
		{"maximum as string", `{"currency":"COP","total":"9999999999.99"}`, money{"COP", "9999999999.99"}, 999999999999},
		{"COP one digit", `{"currency":"COP","total":"1500.5"}`, money{"COP", "1500.50"}, 150050},
		{"CLP number", `{"currency":"CLP","total":5000}`, money{"CLP", "5000"}, 5000},
		{"CLP string", `{"currency":"CLP","total":"12345"}`, money{"CLP", "12345"}, 12345},
		{"CLP maximum", `{"currency":"CLP","total":9999999999}`, money{"CLP", "9999999999"}, 9999999999},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := e.createOrder(t, `{"description":"amounts","amount":`+tt.amount+`}`)
			if d := cmp.Diff(tt.want, o.Amount); d != "" {
				t.Errorf("amount (-want +got):\n%s", d)
			}
			if d := cmp.Diff(money{tt.want.Currency, zero(tt.want.Currency)}, o.PaidAmount); d != "" {
				t.Errorf("paidAmount (-want +got):\n%s", d)
			}
			var minor int64
			var currency string
			if err := e.pool.QueryRow(context.Background(), "SELECT total_minor, currency FROM orders WHERE id = $1", o.ID).Scan(&minor, &currency); err != nil {
				t.Fatal(err)
			}
			if minor != tt.wantMinor || currency != tt.want.Currency {
				t.Errorf("stored %d %s, want %d %s", minor, currency, tt.wantMinor, tt.want.Currency)
			}
		})
	}
}

func zero(currency string) string {
	if currency == "CLP" {
		return "0"
	}
	return "0.00"
}

// TestCreateOrderRejects checks that every bad request is a problem naming the field at
// fault, and that none of them writes anything.
func TestCreateOrderRejects(t *testing.T) {
	e := newEnv(t)
	e.createOrder(t, usd("TAKEN-1", "5.00"))
	const (
		bad     = http.StatusBadRequest
		invalid = http.StatusUnprocessableEntity
	)
	amount := func(a string) string { return `{"description":"x","amount":` + a + `}` }
	tests := []struct {
		name        string
		contentType string // "" means application/json
		body        string
		status      int
		code, field string
	}{
		{"malformed JSON", "", `{"amount":{"currency":"USD","total":"1.00"}`, bad, "bad_request", ""},
		{"not JSON at all", "", `amount=10`, bad, "bad_request", ""},
		{"unquoted key", "", `{amount: 1}`, bad, "bad_request", ""},
		{"empty body", "", ``, bad, "bad_request", ""},
		{"only whitespace", "", "  \n ", bad, "bad_request", ""},
		{"array instead of object", "", `[]`, bad, "bad_request", ""},
		{"two JSON values", "", usd("", "1.00") + usd("", "2.00"), bad, "bad_request", ""},
		{"trailing brace", "", usd("", "1.00") + `}`, bad, "bad_request", ""},
		{"trailing bracket", "", usd("", "1.00") + `]`, bad, "bad_request", ""},
		{"trailing garbage", "", usd("", "1.00") + `x`, bad, "bad_request", ""},
		{"unknown field", "", `{"colour":"red","amount":{"currency":"USD","total":"1.00"}}`, bad, "bad_request", "colour"},
		{"reference is a number", "", `{"reference":5,"amount":{"currency":"USD","total":"1.00"}}`, bad, "bad_request", "reference"},
		{"amount is a string", "", `{"amount":"10.00 USD"}`, bad, "bad_request", "amount"},
		{"currency is a number", "", amount(`{"currency":840,"total":"1.00"}`), bad, "bad_request", "amount.currency"},
		{"total is a boolean", "", amount(`{"currency":"USD","total":true}`), bad, "bad_request", "amount.total"},
		{"total is an object", "", amount(`{"currency":"USD","total":{"value":1}}`), bad, "bad_request", "amount.total"},
		{"total is null", "", amount(`{"currency":"USD","total":null}`), bad, "bad_request", "amount.total"},
		{"items is an object", "", `{"amount":{"currency":"USD","total":"1.00"},"items":{}}`, bad, "bad_request", "items"},
		{"unknown currency", "", amount(`{"currency":"XYZ","total":"1.00"}`), invalid, "invalid", "amount.currency"},
		{"lowercase currency", "", amount(`{"currency":"usd","total":"1.00"}`), invalid, "invalid", "amount.currency"},
		{"missing currency", "", amount(`{"total":"1.00"}`), invalid, "invalid", "amount.currency"},
		{"three decimals as number", "", amount(`{"currency":"USD","total":10.005}`), invalid, "invalid", "amount.total"},
		{"three decimals as string", "", amount(`{"currency":"USD","total":"10.005"}`), invalid, "invalid", "amount.total"},
		{"trailing zero past the exponent", "", amount(`{"currency":"USD","total":"10.500"}`), invalid, "invalid", "amount.total"},
		{"CLP with decimals", "", amount(`{"currency":"CLP","total":5000.5}`), invalid, "invalid", "amount.total"},
		{"negative number", "", amount(`{"currency":"USD","total":-5.00}`), invalid, "invalid", "amount.total"},
		{"negative string", "", amount(`{"currency":"USD","total":"-0.01"}`), invalid, "invalid", "amount.total"},
		{"zero number", "", amount(`{"currency":"USD","total":0}`), invalid, "invalid", "amount.total"},
		{"zero string", "", amount(`{"currency":"USD","total":"0.00"}`), invalid, "invalid", "amount.total"},
		{"above the maximum", "", amount(`{"currency":"USD","total":10000000000.00}`), invalid, "invalid", "amount.total"},
		{"a cent above the maximum", "", amount(`{"currency":"USD","total":"10000000000"}`), invalid, "invalid", "amount.total"},
		{"CLP above the maximum", "", amount(`{"currency":"CLP","total":10000000000}`), invalid, "invalid", "amount.total"},
		{"beyond int64", "", amount(`{"currency":"USD","total":"99999999999999999999999"}`), invalid, "invalid", "amount.total"},
		{"exponent", "", amount(`{"currency":"USD","total":1e2}`), invalid, "invalid", "amount.total"},
		{"plus sign", "", amount(`{"currency":"USD","total":"+1.00"}`), invalid, "invalid", "amount.total"},
		{"thousands separator", "", amount(`{"currency":"USD","total":"1,000.00"}`), invalid, "invalid", "amount.total"},
		{"padded string", "", amount(`{"currency":"USD","total":" 1.00"}`), invalid, "invalid", "amount.total"},
		{"bare point", "", amount(`{"currency":"USD","total":"1."}`), invalid, "invalid", "amount.total"},
		{"empty total", "", amount(`{"currency":"USD","total":""}`), invalid, "invalid", "amount.total"},
		{"missing total", "", amount(`{"currency":"USD"}`), invalid, "invalid", "amount.total"},
		{"missing amount", "", `{"description":"no amount"}`, invalid, "invalid", "amount"},
		{"null amount", "", `{"amount":null}`, invalid, "invalid", "amount"},
		{"empty object", "", `{}`, invalid, "invalid", "amount"},
		{"reference of 33 characters", "", usd(strings.Repeat("R", 33), "1.00"), invalid, "invalid", "reference"},
		{"reference with spaces around", "", usd(" REF-1", "1.00"), invalid, "invalid", "reference"},
		{"reference already used", "", usd("TAKEN-1", "1.00"), http.StatusConflict, "conflict", "reference"},
		{"description of 251 characters", "", `{"description":"` + strings.Repeat("d", 251) + `","amount":{"currency":"USD","total":"1.00"}}`, invalid, "invalid", "description"},
		{"returnUrl not http", "", `{"amount":{"currency":"USD","total":"1.00"},"returnUrl":"javascript:alert(1)"}`, invalid, "invalid", "returnUrl"},
		{"buyer email invalid", "", `{"amount":{"currency":"USD","total":"1.00"},"buyer":{"email":"not-an-email"}}`, invalid, "invalid", "buyer.email"},
		{"item without quantity", "", `{"amount":{"currency":"USD","total":"1.00"},"items":[{"name":"Mug","price":"1.00"}]}`, invalid, "invalid", "items[0].qty"},
		{"item price with three decimals", "", `{"amount":{"currency":"USD","total":"1.00"},"items":[{"name":"Mug","qty":1,"price":"1.001"}]}`, invalid, "invalid", "items[0].price"},
		{"item tax negative", "", `{"amount":{"currency":"USD","total":"1.00"},"items":[{"name":"Mug","qty":1,"price":"1.00","tax":"-1"}]}`, invalid, "invalid", "items[0].tax"},
		{"text/plain", "text/plain", usd("", "1.00"), http.StatusUnsupportedMediaType, "unsupported_media_type", ""},
		{"form", "application/x-www-form-urlencoded", `amount=1`, http.StatusUnsupportedMediaType, "unsupported_media_type", ""},
		{"unparsable Content-Type", "application/", usd("", "1.00"), http.StatusUnsupportedMediaType, "unsupported_media_type", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := auth(apiKey)
			if tt.contentType != "" {
				h.Set("Content-Type", tt.contentType)
			}
			r := e.do(t, http.MethodPost, "/v1/orders", tt.body, h)
			r.wantProblem(t, tt.status, tt.code, tt.field)
			if n := e.orderCount(t); n != 1 {
				t.Errorf("orders = %d after a refused request, want 1 (the TAKEN-1 order)", n)
			}
		})
	}
}

func TestCreateOrderAcceptsLimits(t *testing.T) {
	e := newEnv(t)
	tests := []struct{ name, contentType, body string }{
		{"reference of 32 characters", "application/json", usd(strings.Repeat("R", 32), "1.00")},
		{"reference of 32 two-byte characters", "application/json", usd(strings.Repeat("ñ", 32), "1.00")},
		{"charset parameter", "application/json; charset=utf-8", usd("", "1.00")},
		{"+json media type", "application/merge-patch+json", usd("", "1.00")},
		{"no Content-Type", "", usd("", "1.00")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := auth(apiKey)
			h.Del("Content-Type")
			if tt.contentType != "" {
				h.Set("Content-Type", tt.contentType)
			}
			r := e.do(t, http.MethodPost, "/v1/orders", tt.body, h)
			r.wantStatus(t, http.StatusCreated)
		})
	}
}

// TestCreateOrderBodyTooLarge checks the 64 KiB bound, whether the size is announced in
// Content-Length or only found while reading a chunked body, with and without an
// Idempotency-Key (whose middleware reads the body first).
func TestCreateOrderBodyTooLarge(t *testing.T) {
	e := newEnv(t)
	big := `{"description":"` + strings.Repeat("a", 70<<10) + `","amount":{"currency":"USD","total":"1.00"}}`
	for _, chunked := range []bool{false, true} {
		for _, idemKey := range []string{"", "big-body"} {
			t.Run(fmt.Sprintf("chunked=%v/idempotency key=%q", chunked, idemKey), func(t *testing.T) {
				var body io.Reader = strings.NewReader(big)
				if chunked {
					body = io.MultiReader(body) // hides the length: the client sends it chunked
				}
				req, err := http.NewRequest(http.MethodPost, e.ts.URL+"/v1/orders", body)
				if err != nil {
					t.Fatal(err)
				}
				h := auth(apiKey)
				if idemKey != "" {
					h.Set("Idempotency-Key", idemKey)
				}
				r := e.send(t, req, h)
				r.wantProblem(t, http.StatusRequestEntityTooLarge, "too_large", "")
				if n := e.orderCount(t); n != 0 {
					t.Errorf("orders = %d, want 0", n)
				}
				if n := e.count(t, "SELECT count(*) FROM idempotency_keys"); n != 0 {
					t.Errorf("idempotency records = %d, want 0", n)
				}
			})
		}
	}
	t.Run("exactly the limit", func(t *testing.T) {
		base := usd("", "1.00")
		body := base[:len(base)-1] + strings.Repeat(" ", 64<<10-len(base)) + "}"
		if len(body) != 64<<10 {
			t.Fatalf("body is %d bytes", len(body))
		}
		e.do(t, http.MethodPost, "/v1/orders", body, auth(apiKey)).wantStatus(t, http.StatusCreated)
	})
}

func TestGetOrder(t *testing.T) {
	e := newEnv(t)
	a := e.createOrder(t, `{"reference":"GET-A","description":"a","amount":{"currency":"USD","total":"12.34"},"buyer":{"name":"Ana","email":"ana@example.com"}}`)
	b := e.createOrder(t, usd("GET-B", "1.00"))
	missing := uuid.Must(uuid.NewV7()).String()
	full := a
	full.ClientSecret = ""

	t.Run("with the API key: the whole order", func(t *testing.T) {
		r := e.do(t, http.MethodGet, "/v1/orders/"+a.ID, "", auth(apiKey))
		r.wantStatus(t, http.StatusOK)
		if ct := r.header.Get("Content-Type"); ct != "application/json" {
			t.Errorf("Content-Type = %q", ct)
		}
		var got order
		r.decode(t, &got)
		if d := cmp.Diff(full, got); d != "" {
			t.Errorf("order (-want +got):\n%s", d)
		}
		if strings.Contains(string(r.body), "clientSecret") || strings.Contains(string(r.body), a.ClientSecret) {
			t.Errorf("GET shows the client secret: %s", r.body)
		}
	})
	t.Run("with the API key and a wrong client secret: the API key decides", func(t *testing.T) {
		r := e.do(t, http.MethodGet, "/v1/orders/"+a.ID, "", auth(apiKey, "X-Client-Secret", "cs_wrong"))
		r.wantStatus(t, http.StatusOK)
		var got order
		r.decode(t, &got)
		if d := cmp.Diff(full, got); d != "" {
			t.Errorf("order (-want +got):\n%s", d)
		}
	})
	t.Run("with the client secret: status fields only", func(t *testing.T) {
		r := e.do(t, http.MethodGet, "/v1/orders/"+a.ID, "", http.Header{"X-Client-Secret": {a.ClientSecret}})
		r.wantStatus(t, http.StatusOK)
		if cc := r.header.Get("Cache-Control"); cc != "no-store" {
			t.Errorf("Cache-Control = %q, want no-store", cc)
		}
		var fields map[string]json.RawMessage
		r.decode(t, &fields)
		keys := make([]string, 0, len(fields))
		for k := range fields {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		if d := cmp.Diff([]string{"amount", "id", "paidAmount", "refundedAmount", "status", "updatedAt"}, keys); d != "" {
			t.Errorf("keys (-want +got):\n%s", d)
		}
		var got order
		r.decode(t, &got)
		want := order{ID: a.ID, Status: "pending", Amount: money{"USD", "12.34"}, PaidAmount: money{"USD", "0.00"},
			RefundedAmount: money{"USD", "0.00"}, UpdatedAt: a.UpdatedAt}
		if d := cmp.Diff(want, got); d != "" {
			t.Errorf("status view (-want +got):\n%s", d)
		}
	})
	tests := []struct {
		name   string
		id     string
		header http.Header
		status int
		code   string
	}{
		{"unknown id", missing, auth(apiKey), http.StatusNotFound, "not_found"},
		{"malformed id", "not-a-uuid", auth(apiKey), http.StatusNotFound, "not_found"},
		{"id with a suffix", a.ID + "x", auth(apiKey), http.StatusNotFound, "not_found"},
		{"unknown id with a client secret", missing, http.Header{"X-Client-Secret": {a.ClientSecret}}, http.StatusNotFound, "not_found"},
		{"malformed id with a client secret", "nope", http.Header{"X-Client-Secret": {a.ClientSecret}}, http.StatusNotFound, "not_found"},
		{"wrong client secret", a.ID, http.Header{"X-Client-Secret": {"cs_wrong"}}, http.StatusUnauthorized, "unauthorized"},
		{"client secret of another order", a.ID, http.Header{"X-Client-Secret": {b.ClientSecret}}, http.StatusUnauthorized, "unauthorized"},
		{"client secret with a suffix", a.ID, http.Header{"X-Client-Secret": {a.ClientSecret + "x"}}, http.StatusUnauthorized, "unauthorized"},
		{"empty client secret", a.ID, http.Header{"X-Client-Secret": {""}}, http.StatusUnauthorized, "unauthorized"},
		{"no credentials", a.ID, http.Header{}, http.StatusUnauthorized, "unauthorized"},
		{"right secret but a wrong API key", a.ID, http.Header{"X-Client-Secret": {a.ClientSecret}, "Authorization": {"Bearer nope"}}, http.StatusUnauthorized, "unauthorized"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.do(t, http.MethodGet, "/v1/orders/"+tt.id, "", tt.header)
			wantField := ""
			if tt.code == "not_found" {
				wantField = "id"
			}
			r.wantProblem(t, tt.status, tt.code, wantField)
			if strings.Contains(string(r.body), "Ana") || strings.Contains(string(r.body), "GET-A") {
				t.Errorf("a refused request shows the order: %s", r.body)
			}
		})
	}
}

// TestGetOrderRefreshIsTrueOrFalse: refresh is a boolean; any other value is a 400 naming
// the parameter, for API-key and client-secret callers alike, never silently a read
// without refresh.
func TestGetOrderRefreshIsTrueOrFalse(t *testing.T) {
	e := newEnv(t)
	o := e.createOrder(t, usd("", "5.00"))
	callers := map[string]http.Header{
		"API key":       auth(apiKey),
		"client secret": {"X-Client-Secret": {o.ClientSecret}},
	}
	for name, header := range callers {
		for _, q := range []string{"refresh=true", "refresh=false", ""} {
			t.Run(name+" "+q, func(t *testing.T) {
				e.do(t, http.MethodGet, "/v1/orders/"+o.ID+"?"+q, "", header).wantStatus(t, http.StatusOK)
			})
		}
		for _, q := range []string{"refresh=yes", "refresh=1", "refresh=TRUE", "refresh=", "refresh=true&refresh=x"} {
			t.Run(name+" "+q, func(t *testing.T) {
				p := e.do(t, http.MethodGet, "/v1/orders/"+o.ID+"?"+q, "", header).wantProblem(t, http.StatusBadRequest, "bad_request", "refresh")
				if !strings.Contains(p.Detail, "true or false") {
					t.Errorf("detail %q does not say what refresh may be", p.Detail)
				}
			})
		}
	}
}

// listPage is the body of GET /v1/orders.
type listPage struct {
	Data       []order `json:"data"`
	NextCursor *string `json:"nextCursor"`
}

func (e *env) list(t *testing.T, query string) listPage {
	t.Helper()
	r := e.do(t, http.MethodGet, "/v1/orders"+query, "", auth(apiKey))
	r.wantStatus(t, http.StatusOK)
	var raw map[string]json.RawMessage
	r.decode(t, &raw)
	if _, ok := raw["nextCursor"]; !ok {
		t.Errorf("the page has no nextCursor member: %s", r.body)
	}
	var p listPage
	r.decode(t, &p)
	return p
}

func refs(os []order) []string {
	out := []string{}
	for _, o := range os {
		out = append(out, o.Reference)
	}
	return out
}

func TestListOrders(t *testing.T) {
	e := newEnv(t)
	if p := e.list(t, ""); len(p.Data) != 0 || p.NextCursor != nil {
		t.Fatalf("empty list = %+v", p)
	}
	var created []order
	for i := 1; i <= 5; i++ {
		created = append(created, e.createOrder(t, usd(fmt.Sprintf("L%d", i), "1.00")))
	}
	e.do(t, http.MethodPost, "/v1/orders/"+created[1].ID+"/cancel", "", auth(apiKey)).wantStatus(t, http.StatusOK)

	t.Run("newest first", func(t *testing.T) {
		p := e.list(t, "")
		if d := cmp.Diff([]string{"L5", "L4", "L3", "L2", "L1"}, refs(p.Data)); d != "" {
			t.Errorf("references (-want +got):\n%s", d)
		}
		if p.NextCursor != nil {
			t.Errorf("nextCursor = %q on the only page", *p.NextCursor)
		}
		if p.Data[3].Status != "cancelled" || p.Data[0].ClientSecret != "" {
			t.Errorf("listed orders: %+v", p.Data)
		}
	})
	t.Run("limit", func(t *testing.T) {
		p := e.list(t, "?limit=2")
		if d := cmp.Diff([]string{"L5", "L4"}, refs(p.Data)); d != "" {
			t.Errorf("references (-want +got):\n%s", d)
		}
		if p.NextCursor == nil {
			t.Error("no nextCursor with more orders to come")
		}
	})
	pages := func(t *testing.T, query string) [][]string {
		t.Helper()
		var out [][]string
		cursor := ""
		for range 10 {
			q := query
			if cursor != "" {
				q += "&cursor=" + cursor
			}
			p := e.list(t, q)
			out = append(out, refs(p.Data))
			if p.NextCursor == nil {
				return out
			}
			cursor = *p.NextCursor
		}
		t.Fatal("paging does not end")
		return nil
	}
	t.Run("cursor paging", func(t *testing.T) {
		if d := cmp.Diff([][]string{{"L5", "L4"}, {"L3", "L2"}, {"L1"}}, pages(t, "?limit=2")); d != "" {
			t.Errorf("pages (-want +got):\n%s", d)
		}
		if d := cmp.Diff([][]string{{"L5", "L4", "L3", "L2", "L1"}}, pages(t, "?limit=5")); d != "" {
			t.Errorf("pages (-want +got):\n%s", d)
		}
	})
	t.Run("a new order does not shift a page in progress", func(t *testing.T) {
		first := e.list(t, "?limit=2")
		extra := e.createOrder(t, usd("L6", "1.00"))
		defer e.do(t, http.MethodPost, "/v1/orders/"+extra.ID+"/cancel", "", auth(apiKey))
		second := e.list(t, "?limit=2&cursor="+*first.NextCursor)
		if d := cmp.Diff([]string{"L3", "L2"}, refs(second.Data)); d != "" {
			t.Errorf("second page (-want +got):\n%s", d)
		}
	})
	t.Run("status filter", func(t *testing.T) {
		if d := cmp.Diff([][]string{{"L5", "L4"}, {"L3", "L1"}}, pages(t, "?status=pending&limit=2")); d != "" {
			t.Errorf("pending pages (-want +got):\n%s", d)
		}
		if d := cmp.Diff([]string{"L6", "L2"}, refs(e.list(t, "?status=cancelled").Data)); d != "" {
			t.Errorf("cancelled (-want +got):\n%s", d)
		}
		if d := cmp.Diff([]string{}, refs(e.list(t, "?status=paid").Data)); d != "" {
			t.Errorf("paid (-want +got):\n%s", d)
		}
	})
	tests := []struct{ query, field string }{
		{"?limit=abc", "limit"},
		{"?limit=0", "limit"},
		{"?limit=-1", "limit"},
		{"?limit=101", "limit"},
		{"?limit=1.5", "limit"},
		{"?limit=99999999999999999999", "limit"},
		{"?status=bogus", "status"},
		{"?status=PENDING", "status"},
		{"?cursor=!!!", "cursor"},
		{"?cursor=bm90LWEtY3Vyc29y", "cursor"},                           // base64 of "not-a-cursor"
		{"?cursor=MjAyNi0wMS0wMVQwMDowMDowMFosbm90LWEtdXVpZA", "cursor"}, // a time, then no uuid
	}
	for _, tt := range tests {
		t.Run("invalid "+tt.query, func(t *testing.T) {
			e.do(t, http.MethodGet, "/v1/orders"+tt.query, "", auth(apiKey)).
				wantProblem(t, http.StatusUnprocessableEntity, "invalid", tt.field)
		})
	}
	t.Run("limits 1 and 100", func(t *testing.T) {
		if n := len(e.list(t, "?limit=1").Data); n != 1 {
			t.Errorf("limit=1 gave %d orders", n)
		}
		if n := len(e.list(t, "?limit=100").Data); n != 6 {
			t.Errorf("limit=100 gave %d orders, want 6", n)
		}
	})
}

func TestCancelOrder(t *testing.T) {
	e := newEnv(t)
	o := e.createOrder(t, usd("CANCEL-1", "3.00"))

	r := e.do(t, http.MethodPost, "/v1/orders/"+o.ID+"/cancel", "", auth(apiKey))
	r.wantStatus(t, http.StatusOK)
	var got order
	r.decode(t, &got)
	if got.ID != o.ID || got.Status != "cancelled" || got.Reference != "CANCEL-1" || got.ClientSecret != "" {
		t.Errorf("cancelled order = %+v", got)
	}
	if got.UpdatedAt.Before(o.UpdatedAt) {
		t.Errorf("updatedAt went back: %v before %v", got.UpdatedAt, o.UpdatedAt)
	}
	var fetched order
	e.do(t, http.MethodGet, "/v1/orders/"+o.ID, "", auth(apiKey)).decode(t, &fetched)
	if d := cmp.Diff(got, fetched); d != "" {
		t.Errorf("GET after cancel (-want +got):\n%s", d)
	}
	if n := e.count(t, "SELECT count(*) FROM events WHERE order_id = $1 AND type = 'order.cancelled'", o.ID); n != 1 {
		t.Errorf("order.cancelled events = %d, want 1", n)
	}

	tests := []struct {
		name, id    string
		status      int
		code, field string
	}{
		{"twice", o.ID, http.StatusConflict, "conflict", ""},
		{"unknown id", uuid.Must(uuid.NewV7()).String(), http.StatusNotFound, "not_found", "id"},
		{"malformed id", "42", http.StatusNotFound, "not_found", "id"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e.do(t, http.MethodPost, "/v1/orders/"+tt.id+"/cancel", "", auth(apiKey)).
				wantProblem(t, tt.status, tt.code, tt.field)
		})
	}
	if n := e.count(t, "SELECT count(*) FROM events WHERE order_id = $1", o.ID); n != 1 {
		t.Errorf("events = %d after the refused cancel, want 1", n)
	}
}

func TestUnknownRouteAndMethod(t *testing.T) {
	e := newEnv(t)
	e.do(t, http.MethodGet, "/v1/nope", "", auth(apiKey)).wantProblem(t, http.StatusNotFound, "not_found", "")
	e.do(t, http.MethodDelete, "/v1/orders", "", auth(apiKey)).wantProblem(t, http.StatusMethodNotAllowed, "method_not_allowed", "")
}
