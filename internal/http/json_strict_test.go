package http_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/google/uuid"
	"go.uber.org/zap"

	"github.com/placetopay-gateway/gateway/internal/autopay"
	gatewayhttp "github.com/placetopay-gateway/gateway/internal/http"
	"github.com/placetopay-gateway/gateway/internal/orders"
)

// newEnvWithEveryRoute serves every route that reads a body. The money path, wallet and
// autopay have no working services behind them: a body must be refused before any is
// called.
func newEnvWithEveryRoute(t *testing.T) *env {
	t.Helper()
	return newEnvWith(t, gatewayhttp.Config{APIKeys: []string{apiKey}, Money: &gatewayhttp.MoneyPath{},
		Wallet: &orders.Wallet{}, Autopay: &autopay.Service{}}, zap.NewNop())
}

// bodyRoutes are the routes that read a merchant's body, each with an object member of its
// body and a member of that object.
func bodyRoutes() []bodyRoute {
	id := uuid.New().String()
	return []bodyRoute{
		{http.MethodPost, "/v1/orders", "amount", "total"},
		{http.MethodPost, "/v1/orders/" + id + "/checkout", "recurring", "periodicity"},
		{http.MethodPost, "/v1/orders/" + id + "/refunds", "amount", "total"},
		{http.MethodPost, "/v1/orders/" + id + "/capture", "amount", "total"},
		{http.MethodPost, "/v1/orders/" + id + "/reauthorize", "amount", "total"},
		{http.MethodPost, "/v1/charges", "amount", "total"},
		{http.MethodPost, "/v1/autopay", "amount", "total"},
		{http.MethodPatch, "/v1/autopay/" + id, "amount", "total"},
		{http.MethodPost, "/v1/autopay/" + id + "/edit", "amount", "total"},
	}
}

type bodyRoute struct{ method, path, object, member string }

// body is {"<names[0]>": {"<names[1]>": "1.00"}, …}, one member per pair of names.
func (r bodyRoute) body(pairs ...[2]string) string {
	out := "{"
	for i, p := range pairs {
		if i > 0 {
			out += ","
		}
		out += fmt.Sprintf(`%q:{%q:"1.00"}`, p[0], p[1])
	}
	return out + "}"
}

// A name given twice is refused with a 400 naming it, on every route that reads a body:
// another parser in front of the gateway may read the first value where the gateway
// would have charged the last.
func TestBodiesRefuseDuplicateNames(t *testing.T) {
	e := newEnvWithEveryRoute(t)
	for _, r := range bodyRoutes() {
		o, m := r.object, r.member
		for _, tt := range []struct{ name, body, field string }{
			{o + " twice", r.body([2]string{o, m}, [2]string{o, m}), o},
			{m + " twice", fmt.Sprintf(`{%q:{%q:"1.00",%q:"999.00"}}`, o, m, m), o + "." + m},
		} {
			t.Run(r.method+" "+r.path+" "+tt.name, func(t *testing.T) {
				e.do(t, r.method, r.path, tt.body, auth(apiKey)).wantProblem(t, http.StatusBadRequest, "bad_request", tt.field)
			})
		}
	}
	// The attack as it was: 1.00 for whoever reads the first amount, 999.00 charged.
	e.do(t, http.MethodPost, "/v1/orders", `{"amount":{"currency":"USD","total":"1.00"},"amount":{"currency":"USD","total":"999.00"}}`, auth(apiKey)).
		wantProblem(t, http.StatusBadRequest, "bad_request", "amount")
	if n := e.orderCount(t); n != 0 {
		t.Errorf("orders = %d after refused requests, want 0", n)
	}
}

// Names are matched as written: "AMOUNT" is not "amount", it is refused with a 400 naming
// it, as is a name in another case beside the right one.
func TestBodiesRefuseRecasedNames(t *testing.T) {
	e := newEnvWithEveryRoute(t)
	for _, r := range bodyRoutes() {
		o, m := r.object, r.member
		upper, title := strings.ToUpper(o), strings.ToUpper(o[:1])+o[1:]
		for _, tt := range []struct{ name, body, field string }{
			{upper, r.body([2]string{upper, m}), upper},
			{title + " beside " + o, r.body([2]string{o, m}, [2]string{title, m}), title},
			{strings.ToUpper(m), r.body([2]string{o, strings.ToUpper(m)}), o + "." + strings.ToUpper(m)},
		} {
			t.Run(r.method+" "+r.path+" "+tt.name, func(t *testing.T) {
				e.do(t, r.method, r.path, tt.body, auth(apiKey)).wantProblem(t, http.StatusBadRequest, "bad_request", tt.field)
			})
		}
	}
	if n := e.orderCount(t); n != 0 {
		t.Errorf("orders = %d after refused requests, want 0", n)
	}
}

// Text that is not UTF-8 is refused with a 400, never replaced with U+FFFD and stored.
func TestBodiesRefuseInvalidUTF8(t *testing.T) {
	e := newEnvWithEveryRoute(t)
	for _, tt := range []struct{ name, body, field string }{
		{"invalid byte", "{\"description\":\"caf\xe9\",\"amount\":{\"currency\":\"USD\",\"total\":\"1.00\"}}", "description"},
		{"cut sequence", "{\"amount\":{\"currency\":\"USD\",\"total\":\"1.00\"},\"reference\":\"R-\xc3\"}", "reference"},
		{"lone surrogate", `{"description":"\ud800","amount":{"currency":"USD","total":"1.00"}}`, "description"},
		{"in an item", "{\"amount\":{\"currency\":\"USD\",\"total\":\"1.00\"},\"items\":[{\"name\":\"a\",\"qty\":1,\"price\":\"1.00\"},{\"name\":\"\xff\",\"qty\":1,\"price\":\"1.00\"}]}", "items[1].name"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e.do(t, http.MethodPost, "/v1/orders", tt.body, auth(apiKey)).wantProblem(t, http.StatusBadRequest, "bad_request", tt.field)
		})
	}
	if n := e.orderCount(t); n != 0 {
		t.Errorf("orders = %d after refused requests, want 0", n)
	}
}
