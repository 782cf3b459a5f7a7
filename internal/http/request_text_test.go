package http_test

import (
	"net/http"
	"regexp"
	"strings"
	"testing"

	gatewayhttp "github.com/placetopay-gateway/gateway/internal/http"
	"github.com/placetopay-gateway/gateway/internal/http/contract"
)

// Text Postgres cannot store (invalid UTF-8, NUL) in the path, a query parameter or a header
// the gateway reads is a 400 naming the parameter, never a 500 from the query it would reach.
func TestUnstorableTextIsABadRequestNamingTheParameter(t *testing.T) {
	e := newMoneyEnv(t, gatewayhttp.Config{})
	o := e.createOrder(t, usd("", "1.00"))
	key := func(k string) http.Header { return auth(apiKey, "Idempotency-Key", k) }

	tests := []struct {
		name, method, path string
		header             http.Header
		field              string
	}{
		{"Idempotency-Key not UTF-8", http.MethodPost, "/v1/orders", key("ab\xffcd"), "Idempotency-Key"},
		{"query value not UTF-8", http.MethodGet, "/v1/autopay?reference=%ff", auth(apiKey), "reference"},
		{"query value with NUL", http.MethodGet, "/v1/autopay?reference=a%00b", auth(apiKey), "reference"},
		{"query name not UTF-8", http.MethodGet, "/v1/orders?%ff=1", auth(apiKey), "\ufffd"},
		{"path not UTF-8, with an Idempotency-Key", http.MethodPost, "/v1/orders/%ff/cancel", key("k1"), "id"},
		{"path not UTF-8, upper-case escape", http.MethodPost, "/v1/orders/%FF/cancel", key("k2"), "id"},
		{"path with NUL, with an Idempotency-Key", http.MethodPost, "/v1/orders/%00/cancel", key("k3"), "id"},
		{"autopay path not UTF-8", http.MethodPatch, "/v1/autopay/%ff", key("k4"), "id"},
		{"payment reference not UTF-8", http.MethodPost, "/v1/orders/" + o.ID + "/payments/%ff/confirm", key("k5"), "ref"},
		{"X-Client-Secret not UTF-8", http.MethodGet, "/v1/orders/" + o.ID, http.Header{"X-Client-Secret": {"cs_\xff"}}, "X-Client-Secret"},
		{"Authorization not UTF-8", http.MethodGet, "/v1/orders", http.Header{"Authorization": {"Bearer \xff"}}, "Authorization"},
		{"return page query", http.MethodGet, "/return/" + o.ID + "?x=%ff", nil, "x"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := ""
			if tt.method == http.MethodPatch {
				body = "{}"
			}
			r := e.do(t, tt.method, tt.path, body, tt.header)
			p := r.wantProblem(t, http.StatusBadRequest, "bad_request", tt.field)
			if !strings.Contains(p.Detail, "UTF-8") {
				t.Errorf("detail %q does not say what is wrong", p.Detail)
			}
		})
	}
	if n := e.count(t, "SELECT count(*) FROM idempotency_keys"); n != 0 {
		t.Errorf("%d idempotency keys stored for refused requests", n)
	}

	// Every operation of the merchant API refuses it alike; PlacetoPay's webhooks read no
	// query string.
	param := regexp.MustCompile(`\{[^}]+\}`)
	swept := map[string]bool{}
	for _, op := range contract.Documented() {
		if swept[op.Method+" "+op.Path] || strings.HasPrefix(op.Path, "/webhooks/") {
			continue
		}
		swept[op.Method+" "+op.Path] = true
		path := param.ReplaceAllString(op.Path, "1") + "?q=%ff"
		t.Run(op.Method+" "+op.Path, func(t *testing.T) {
			e.do(t, op.Method, path, "", auth(apiKey)).wantProblem(t, http.StatusBadRequest, "bad_request", "q")
		})
	}
}

// The checkout's choices are kept in a jsonb column, which refuses NUL: a paymentMethod
// holding one is a 422 on that field, not a 500.
func TestCheckoutRefusesControlCharactersInPaymentMethod(t *testing.T) {
	e := newMoneyEnv(t, gatewayhttp.Config{})
	o := e.createOrder(t, usd("", "1.00"))
	for _, pm := range []string{`"visa\u0000"`, `"visa\u0007"`} {
		r := e.do(t, http.MethodPost, "/v1/orders/"+o.ID+"/checkout", `{"paymentMethod":`+pm+`}`, auth(apiKey))
		r.wantProblem(t, http.StatusUnprocessableEntity, "invalid", "paymentMethod")
	}
	e.do(t, http.MethodPost, "/v1/orders/"+o.ID+"/checkout", `{"paymentMethod":"visa"}`, auth(apiKey)).wantStatus(t, http.StatusCreated)
}
