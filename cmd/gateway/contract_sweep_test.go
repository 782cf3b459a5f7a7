package main

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// TestContractErrorSweep produces, on real gateways, the error answers every operation of
// the OpenAPI document declares and the feature tests have no reason to: no API key (401),
// an unknown id (404), a parameter of the wrong type (400, 404, 422), a too long
// Idempotency-Key (400), a reused one with another body (422), an oversized body (413), a
// body that is not JSON (415), and PlacetoPay down (502).
// TestMain validates each answer against the document; here each status is also asserted.
func TestContractErrorSweep(t *testing.T) {
	// The autopay API fails, slowly: long enough for a second request to find the first in
	// flight.
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(time.Second)
		http.Error(w, "down for the test", http.StatusServiceUnavailable)
	}))
	t.Cleanup(slow.Close)
	h := newHarness(t, harnessConfig{probeInterval: time.Hour, downInstance: true,
		env: func(string) []string {
			return []string{"PLACETOPAY_AUTOPAY_URL=" + slow.URL,
				"PLACETOPAY_AUTOPAY_WEBHOOK_USER=sweep-user", "PLACETOPAY_AUTOPAY_WEBHOOK_PASSWORD=sweep-password-0123456789abcdef"}
		}})
	g := h.gateways[0]
	send := func(g *runningGateway, method, path, body string, header http.Header) (int, string) {
		t.Helper()
		var rd io.Reader
		if body != "" {
			rd = strings.NewReader(body)
		}
		req, err := http.NewRequest(method, g.url+path, rd)
		if err != nil {
			t.Fatal(err)
		}
		req.Header = header
		resp, err := harnessClient.Do(req)
		if err != nil {
			t.Fatalf("%s %s: %v", method, path, err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	withKey := func(kv ...string) http.Header {
		hd := http.Header{"Authorization": {"Bearer " + merchantAPIKey}, "Content-Type": {"application/json"}}
		for i := 0; i+1 < len(kv); i += 2 {
			hd.Set(kv[i], kv[i+1])
		}
		return hd
	}
	want := func(g *runningGateway, status int, method, path, body string, header http.Header) {
		t.Helper()
		if got, b := send(g, method, path, body, header); got != status {
			t.Errorf("%s %s = %d, want %d: %.300s", method, path, got, status, b)
		}
	}

	const unknown = "00000000-0000-4000-8000-000000000000"
	orderPath := "/v1/orders/" + unknown
	autopayPath := "/v1/autopay/" + unknown
	methodsPath := "/v1/customers/cust-1/payment-methods"
	posts := []string{orderPath + "/cancel", orderPath + "/checkout", orderPath + "/refunds", orderPath + "/capture", orderPath + "/reauthorize",
		orderPath + "/release", orderPath + "/payments/123/confirm", orderPath + "/payments/123/cancel", "/v1/charges", "/v1/autopay",
		autopayPath + "/edit", autopayPath + "/cancel"}
	t.Run("401 without a key", func(t *testing.T) {
		for _, p := range posts {
			want(g, 401, http.MethodPost, p, "{}", http.Header{"Content-Type": {"application/json"}})
		}
		for _, p := range []string{orderPath + "/refunds", "/v1/autopay", autopayPath, methodsPath} {
			want(g, 401, http.MethodGet, p, "", nil)
		}
		want(g, 401, http.MethodPatch, autopayPath, "{}", http.Header{"Content-Type": {"application/json"}})
		want(g, 401, http.MethodDelete, methodsPath+"/"+unknown, "", nil)
	})
	t.Run("400 Idempotency-Key too long", func(t *testing.T) {
		long := strings.Repeat("k", 300)
		for _, p := range posts {
			want(g, 400, http.MethodPost, p, "{}", withKey("Idempotency-Key", long))
		}
		want(g, 400, http.MethodPatch, autopayPath, "{}", withKey("Idempotency-Key", long))
	})
	t.Run("404 unknown", func(t *testing.T) {
		for _, p := range []string{orderPath + "/capture", orderPath + "/release", orderPath + "/payments/123/confirm",
			orderPath + "/payments/123/cancel", orderPath + "/checkout", autopayPath + "/cancel"} {
			want(g, 404, http.MethodPost, p, "", withKey())
		}
		want(g, 404, http.MethodPost, orderPath+"/reauthorize", `{"amount":{"currency":"USD","total":"1.00"}}`, withKey())
		want(g, 404, http.MethodPost, autopayPath+"/edit", `{"description":"x"}`, withKey())
		want(g, 404, http.MethodPatch, autopayPath, `{"description":"x"}`, withKey())
		want(g, 404, http.MethodGet, orderPath+"/refunds", "", withKey())
		want(g, 404, http.MethodGet, autopayPath, "", withKey())
		want(g, 404, http.MethodGet, "/return/not-an-order", "", nil)
	})
	t.Run("parameters of the wrong type", func(t *testing.T) {
		// The document types them: a boolean refresh, UUID ids, integer references and limits.
		for _, q := range []string{"yes", "1", ""} {
			want(g, 400, http.MethodGet, orderPath+"?refresh="+q, "", withKey())
			want(g, 400, http.MethodGet, autopayPath+"?refresh="+q, "", withKey())
		}
		want(g, 404, http.MethodGet, "/v1/orders/not-a-uuid", "", withKey())
		want(g, 404, http.MethodGet, "/v1/autopay/not-a-uuid", "", withKey())
		want(g, 404, http.MethodPost, orderPath+"/payments/not-a-number/confirm", "", withKey())
		want(g, 404, http.MethodPost, orderPath+"/payments/-5/cancel", "", withKey())
		want(g, 404, http.MethodDelete, methodsPath+"/not-a-uuid", "", withKey())
		for _, p := range []string{"/v1/orders", "/v1/events", "/v1/autopay"} {
			for _, l := range []string{"abc", "1.5", "0", "101"} {
				want(g, 422, http.MethodGet, p+"?limit="+l, "", withKey())
			}
		}
	})
	t.Run("422 Idempotency-Key reused with another body", func(t *testing.T) {
		for i, p := range posts {
			key := fmt.Sprintf("sweep-%d", i)
			send(g, http.MethodPost, p, `{}`, withKey("Idempotency-Key", key))
			want(g, 422, http.MethodPost, p, `{"other":1}`, withKey("Idempotency-Key", key))
		}
		send(g, http.MethodPatch, autopayPath, `{}`, withKey("Idempotency-Key", "sweep-patch"))
		want(g, 422, http.MethodPatch, autopayPath, `{"other":1}`, withKey("Idempotency-Key", "sweep-patch"))
		want(g, 422, http.MethodGet, "/v1/autopay?limit=0", "", withKey())
		want(g, 422, http.MethodGet, "/v1/customers/not%20a%20ref/payment-methods", "", withKey())
		want(g, 422, http.MethodDelete, "/v1/customers/not%20a%20ref/payment-methods/"+unknown, "", withKey())
	})
	t.Run("400, 413 and 415 bodies", func(t *testing.T) {
		big := `{"description":"` + strings.Repeat("x", 70<<10) + `"}`
		for _, p := range []string{orderPath + "/checkout", "/v1/charges", "/v1/autopay"} {
			want(g, 413, http.MethodPost, p, big, withKey())
			want(g, 415, http.MethodPost, p, "hello", withKey("Content-Type", "text/plain"))
		}
		want(g, 413, http.MethodPost, "/webhooks/placetopay", big, http.Header{"Content-Type": {"application/json"}})
		want(g, 413, http.MethodPost, "/webhooks/placetopay/default", big, http.Header{"Content-Type": {"application/json"}})
		for _, p := range []string{"/v1/charges", "/v1/autopay", autopayPath + "/edit", orderPath + "/capture", orderPath + "/reauthorize",
			orderPath + "/release", orderPath + "/payments/123/confirm", orderPath + "/payments/123/cancel"} {
			want(g, 400, http.MethodPost, p, `{"nope":1}`, withKey())
		}
		want(g, 400, http.MethodPatch, autopayPath, `{"nope":1}`, withKey())
		basic := http.Header{"Content-Type": {"application/json"}}
		req, _ := http.NewRequest(http.MethodPost, "http://x", nil)
		req.SetBasicAuth("sweep-user", "sweep-password-0123456789abcdef")
		basic.Set("Authorization", req.Header.Get("Authorization"))
		want(g, 400, http.MethodPost, "/webhooks/placetopay/autopay/webhook", `{"id":1}`, basic)
	})
	t.Run("502 PlacetoPay down, 409 in flight", func(t *testing.T) {
		body := `{"reference":"AP-SWEEP","description":"gym","recurring":{"type":"FIXED","periodicity":"M","interval":1,"nextPayment":"` +
			time.Now().AddDate(0, 1, 0).Format("2006-01-02") + `","maxPeriods":-1},"amount":{"currency":"USD","total":"10.00"},"returnUrl":"https://shop.example/r"}`
		first := make(chan struct{})
		var firstStatus int
		go func() { // not send: t.Fatal must not run off the test's goroutine
			defer close(first)
			req, _ := http.NewRequest(http.MethodPost, g.url+"/v1/autopay", strings.NewReader(body))
			req.Header = withKey("Idempotency-Key", "sweep-slow")
			if resp, err := harnessClient.Do(req); err == nil {
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				firstStatus = resp.StatusCode
			}
		}()
		time.Sleep(300 * time.Millisecond)
		want(g, 409, http.MethodPost, "/v1/autopay", body, withKey("Idempotency-Key", "sweep-slow"))
		<-first
		if firstStatus != 502 {
			t.Errorf("POST /v1/autopay with the autopay API down = %d, want 502", firstStatus)
		}
		// Authorized preauthorizations: a reauthorization and a release whose outcome is lost.
		held := func() string {
			o := h.createOrder(g, "20.00", "")
			code, raw := h.checkout(g, o.ID, map[string]any{"type": "checkin"})
			if code != 201 {
				t.Fatalf("checkin checkout = %d %s", code, raw)
			}
			var s checkoutJSON
			h.decode(raw, &s)
			h.pay(s.RequestID, cardApprove)
			h.waitStatus(g, o.ID, "authorized", 10*time.Second)
			return o.ID
		}
		want(h.down, 502, http.MethodPost, "/v1/orders/"+held()+"/reauthorize", `{"amount":{"currency":"USD","total":"25.00"}}`, withKey())
		want(h.down, 502, http.MethodPost, "/v1/orders/"+held()+"/release", "", withKey())
		// A payment waiting for confirmation: its cancel.
		waiting := h.createOrder(g, "7.00", "")
		code, raw := h.checkout(g, waiting.ID, map[string]any{"requiresConfirmation": true})
		if code != 201 {
			t.Fatalf("confirmation checkout = %d %s", code, raw)
		}
		var ws checkoutJSON
		h.decode(raw, &ws)
		h.pay(ws.RequestID, cardApprove)
		var ref int64
		for end := time.Now().Add(10 * time.Second); ref == 0 && time.Now().Before(end); time.Sleep(50 * time.Millisecond) {
			for _, p := range h.order(g, waiting.ID, true).Payments {
				if p.Status == "PENDING_CONFIRMATION" {
					ref = p.InternalReference
				}
			}
		}
		if ref == 0 {
			t.Fatal("no payment waiting for confirmation")
		}
		want(h.down, 502, http.MethodPost, fmt.Sprintf("/v1/orders/%s/payments/%d/cancel", waiting.ID, ref), "", withKey())
		// An order with an open session: its cancel.
		open := h.createOrder(g, "5.00", "")
		h.mustCheckout(g, open.ID)
		want(h.down, 502, http.MethodPost, "/v1/orders/"+open.ID+"/cancel", "", withKey())
		// An order without returnUrl: the return page shows its status.
		want(g, 200, http.MethodGet, "/return/"+open.ID, "", nil)
	})
}
