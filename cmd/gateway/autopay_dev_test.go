package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/placetopay-gateway/gateway/internal/pgtest"
	"github.com/placetopay-gateway/gateway/internal/placetopay"
	"github.com/placetopay-gateway/gateway/internal/placetopay/sandbox"
)

// In development the embedded sandbox gets the generated autopay webhook credentials and
// sends its webhooks and settlements to the gateway's own endpoints.
func TestDevelopmentAutopayWithTheEmbeddedSandbox(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	logs, addrs, _ := startRun(t, []string{"serve"}, []string{
		"DATABASE_URL=" + pgtest.URL(t), "GATEWAY_ADDR=" + addr, "GATEWAY_ADMIN_ADDR=127.0.0.1:0",
		"SANDBOX_ADDR=127.0.0.1:0", "GATEWAY_PUBLIC_URL=http://" + addr,
	}, "public", "admin", "sandbox")
	keyLine, ok := findLog(t, logs.String(), "development API key (GATEWAY_API_KEYS is empty, so one was generated for this run)")
	if !ok {
		t.Fatalf("no development API key in the log:\n%s", logs)
	}
	if _, ok := findLog(t, logs.String(), "development autopay webhook credentials (PLACETOPAY_AUTOPAY_WEBHOOK_USER and _PASSWORD are empty, so these were generated for this run)"); !ok {
		t.Errorf("no line with the generated autopay webhook credentials")
	}
	key, _ := keyLine["apiKey"].(string)
	public, control := "http://"+addrs["public"], sandbox.Control{BaseURL: "http://" + addrs["sandbox"], HTTP: testClient}
	call := func(method, path string, body any) (int, map[string]any) {
		t.Helper()
		var rd io.Reader
		if body != nil {
			raw, _ := json.Marshal(body)
			rd = bytes.NewReader(raw)
		}
		req, _ := http.NewRequest(method, public+path, rd)
		req.Header.Set("Authorization", "Bearer "+key)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&out)
		return resp.StatusCode, out
	}

	code, opened := call(http.MethodPost, "/v1/autopay", map[string]any{
		"reference": "DEV-1", "description": "Dev plan", "returnUrl": "https://shop.example/back",
		"recurring": map[string]any{"type": "TOTAL_BALANCE", "periodicity": "M", "interval": 1, "nextPayment": nextMonth()},
	})
	if code != http.StatusCreated {
		t.Fatalf("POST /v1/autopay = %d %v", code, opened)
	}
	if _, err := control.Pay(t.Context(), int64(opened["requestId"].(float64)), cardApprove); err != nil {
		t.Fatalf("sandbox pay: %v", err)
	}
	var e map[string]any
	for deadline := time.Now().Add(15 * time.Second); ; {
		_, e = call(http.MethodGet, "/v1/autopay/"+opened["id"].(string), nil)
		if e["status"] == "active" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("enrolment %v not active from the sandbox's webhook; log:\n%s", e, logs)
		}
		time.Sleep(50 * time.Millisecond)
	}
	charged, err := control.ChargeAutopay(t.Context(), e["autopayId"].(string),
		sandbox.AutopayCharge{Amount: &placetopay.AmountBase{Currency: "USD", Total: "12.34"}})
	if err != nil || len(charged.Settlements) != 1 || charged.Settlements[0].Status != http.StatusOK {
		t.Fatalf("sandbox charge = %+v, %v, want its settlement answered 200 by the gateway", charged, err)
	}
	_, e = call(http.MethodGet, "/v1/autopay/"+opened["id"].(string), nil)
	charges, _ := e["charges"].([]any)
	if len(charges) != 1 || charges[0].(map[string]any)["status"] != "approved" {
		t.Errorf("charges = %v, want one approved", e["charges"])
	}
}
