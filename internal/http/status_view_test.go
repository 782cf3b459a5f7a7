package http_test

import (
	"net/http"
	"testing"

	gatewayhttp "github.com/placetopay-gateway/gateway/internal/http"
)

// The client-secret view names what PlacetoPay last said of the order's newest session, once
// there is one: a storefront's page tells a payer who cancelled from a failed payment by it.
func TestStatusViewNamesTheLastSession(t *testing.T) {
	e := newMoneyEnv(t, gatewayhttp.Config{})
	o := e.createOrder(t, usd("", "10.00"))
	secret := http.Header{"X-Client-Secret": {o.ClientSecret}}
	type view struct {
		Status      string `json:"status"`
		LastSession *struct {
			Status string `json:"status"`
		} `json:"lastSession"`
	}
	read := func() (v view) {
		r := e.do(t, http.MethodGet, "/v1/orders/"+o.ID, "", secret)
		r.wantStatus(t, http.StatusOK)
		r.decode(t, &v)
		return v
	}
	before := read()
	if before.LastSession != nil {
		t.Errorf("before any checkout: lastSession %+v, want none", before.LastSession)
	}
	e.do(t, http.MethodPost, "/v1/orders/"+o.ID+"/checkout", "{}", auth(apiKey)).wantStatus(t, http.StatusCreated)
	after := read()
	if after.LastSession == nil || after.LastSession.Status != "PENDING" {
		t.Errorf("after the checkout: lastSession %+v, want PENDING", after.LastSession)
	}
}
