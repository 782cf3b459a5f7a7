package http_test

import (
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"

	"github.com/placetopay-gateway/gateway/internal/autopay"
	gatewayhttp "github.com/placetopay-gateway/gateway/internal/http"
	"github.com/placetopay-gateway/gateway/internal/orders"
	"github.com/placetopay-gateway/gateway/internal/pgtest"
	"github.com/placetopay-gateway/gateway/internal/placetopay"
	"github.com/placetopay-gateway/gateway/internal/webhooks"
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

// PlacetoPay's notifications are held to the same rule: a correctly signed body with a
// name given twice, in another case, or with invalid UTF-8 is a 400 naming the key, and is
// not stored.
func TestNotificationBodiesRefuseAmbiguousNames(t *testing.T) {
	const secret = "notify-secret"
	pool := pgtest.Pool(t)
	inbox := webhooks.NewInbox(secret, webhooks.AllSignatures, orders.NewNotifications(orders.NewStore(pool, zap.NewNop()), orders.NewWaker(), zap.NewNop()), prometheus.NewRegistry())
	e := newEnvWith(t, gatewayhttp.Config{APIKeys: []string{apiKey}, Inbox: inbox}, zap.NewNop())

	const date = "2026-03-10T09:31:12-05:00"
	sig, _ := placetopay.NotificationSignature(placetopay.SHA256, 640, "APPROVED", date, secret)
	status := func(s string) string { return `{"status":"` + s + `","reason":"00","date":"` + date + `"}` }
	signed := `"signature":"` + sig + `"`
	for _, tt := range []struct{ name, body, field string }{
		{"status twice", `{"status":` + status("REJECTED") + `,"status":` + status("APPROVED") + `,"requestId":640,` + signed + `}`, "status"},
		{"requestId twice", `{"status":` + status("APPROVED") + `,"requestId":641,"requestId":640,` + signed + `}`, "requestId"},
		{"Status beside status", `{"Status":` + status("REJECTED") + `,"status":` + status("APPROVED") + `,"requestId":640,` + signed + `}`, "Status"},
		{"REQUESTID", `{"status":` + status("APPROVED") + `,"REQUESTID":640,` + signed + `}`, "REQUESTID"},
		{"invalid UTF-8", "{\"status\":" + status("APPROVED") + ",\"requestId\":640,\"reference\":\"\xff\"," + signed + "}", "reference"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e.do(t, http.MethodPost, "/webhooks/placetopay", tt.body, auth("")).wantProblem(t, http.StatusBadRequest, "bad_request", tt.field)
		})
	}
	var n int
	if err := pool.QueryRow(context.Background(), `SELECT count(*) FROM notifications`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Errorf("notifications = %d after refused bodies, want 0", n)
	}
	// The body as PlacetoPay sends it is taken.
	e.do(t, http.MethodPost, "/webhooks/placetopay", `{"status":`+status("APPROVED")+`,"requestId":640,"reference":"R-1",`+signed+`}`, auth("")).
		wantStatus(t, http.StatusOK)
}

// The autopay settlement and webhook bodies too: a 400 whose message names the key.
func TestAutopayBodiesRefuseAmbiguousNames(t *testing.T) {
	const user, pass = "placetopay", "hook-pass"
	e := newEnvWith(t, gatewayhttp.Config{APIKeys: []string{apiKey}, Autopay: &autopay.Service{},
		AutopayWebhook: &gatewayhttp.BasicCredentials{User: user, Password: pass}}, zap.NewNop())
	const id = "2972c13d-6315-4da3-80d7-64c24eb232ad"
	for _, tt := range []struct{ name, path, body, key string }{
		{"settlement total twice", "/webhooks/placetopay/autopay/settlement", `{"id":"` + id + `","transaction":{"status":{"status":"APPROVED"},` +
			`"internalReference":99887766,"amount":{"currency":"USD","total":"10.00","total":"1000.00"}}}`, "transaction.amount.total"},
		{"settlement TOTAL", "/webhooks/placetopay/autopay/settlement", `{"id":"` + id + `","transaction":{"status":{"status":"APPROVED"},` +
			`"internalReference":99887766,"amount":{"currency":"USD","TOTAL":"1000.00"}}}`, "transaction.amount.TOTAL"},
		{"webhook type twice", "/webhooks/placetopay/autopay/webhook", `{"id":"` + id + `","type":"AUTOPAY_UPDATED","type":"AUTOPAY_CANCELED",` +
			`"date":"2023-01-19 15:57:23","signature":"sha256:00"}`, "type"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			h := auth("")
			h.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(user+":"+pass)))
			r := e.do(t, http.MethodPost, tt.path, tt.body, h)
			r.wantStatus(t, http.StatusBadRequest)
			var answer struct {
				Status struct{ Status, Reason, Message string } `json:"status"`
			}
			r.decode(t, &answer)
			if answer.Status.Status != "FAILED" || !strings.Contains(answer.Status.Message, strconv.Quote(tt.key)) {
				t.Errorf("status %+v, want FAILED with a message naming %q", answer.Status, tt.key)
			}
		})
	}
}
