package http_test

import (
	"encoding/base64"
	"net/http"
	"strings"
	"testing"

	"go.uber.org/zap"

	gatewayhttp "github.com/placetopay-gateway/gateway/internal/http"
)

func TestAuthentication(t *testing.T) {
	e := newEnv(t)
	o := e.createOrder(t, usd("auth-1", "10.00"))

	routes := []struct {
		method, path, body string
		ok                 int
	}{
		{http.MethodGet, "/v1/orders", "", http.StatusOK},
		{http.MethodGet, "/v1/orders/" + o.ID, "", http.StatusOK},
		{http.MethodPost, "/v1/orders", usd("", "1.00"), http.StatusCreated},
	}
	tests := []struct {
		name          string
		authorization string // "" sends no header
		wantOK        bool
	}{
		{"missing header", "", false},
		{"wrong key", "Bearer not-the-key-0123456789", false},
		{"key prefix", "Bearer " + apiKey[:len(apiKey)-1], false},
		{"key with suffix", "Bearer " + apiKey + "x", false},
		{"empty bearer", "Bearer ", false},
		{"bearer without space", "Bearer" + apiKey, false},
		{"basic scheme", "Basic " + base64.StdEncoding.EncodeToString([]byte(apiKey+":")), false},
		{"key without scheme", apiKey, false},
		{"first key", "Bearer " + apiKey, true},
		{"second key", "Bearer " + otherAPIKey, true},
	}
	for _, tt := range tests {
		for _, rt := range routes {
			t.Run(tt.name+"/"+rt.method+" "+strings.Replace(rt.path, o.ID, ":id", 1), func(t *testing.T) {
				before := e.orderCount(t)
				h := http.Header{}
				if rt.body != "" {
					h.Set("Content-Type", "application/json")
				}
				if tt.authorization != "" {
					h.Set("Authorization", tt.authorization)
				}
				r := e.do(t, rt.method, rt.path, rt.body, h)
				if tt.wantOK {
					r.wantStatus(t, rt.ok)
					return
				}
				p := r.wantProblem(t, http.StatusUnauthorized, "unauthorized", "")
				if token := strings.TrimPrefix(tt.authorization, "Bearer "); token != "" && strings.Contains(string(r.body), token) {
					t.Errorf("the 401 echoes the credentials: %s", p.Detail)
				}
				if got := e.orderCount(t); got != before {
					t.Errorf("orders = %d after a refused request, want %d", got, before)
				}
			})
		}
	}

	t.Run("an empty configured key admits nobody", func(t *testing.T) {
		blank := newEnvWith(t, gatewayhttp.Config{APIKeys: []string{"", apiKey}}, zap.NewNop())
		for _, h := range []string{"Bearer ", "Bearer"} {
			blank.do(t, http.MethodGet, "/v1/orders", "", http.Header{"Authorization": {h}}).
				wantProblem(t, http.StatusUnauthorized, "unauthorized", "")
		}
		blank.do(t, http.MethodGet, "/v1/orders", "", auth(apiKey)).wantStatus(t, http.StatusOK)
	})

	t.Run("cancel refused without a valid key", func(t *testing.T) {
		r := e.do(t, http.MethodPost, "/v1/orders/"+o.ID+"/cancel", "", auth("wrong-key-0123456789abcdef"))
		r.wantProblem(t, http.StatusUnauthorized, "unauthorized", "")
		var got order
		e.do(t, http.MethodGet, "/v1/orders/"+o.ID, "", auth(apiKey)).decode(t, &got)
		if got.Status != "pending" {
			t.Errorf("status = %q after a refused cancel, want pending", got.Status)
		}
	})
}
