package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/placetopay-gateway/gateway/internal/pgtest"
)

// TestServeDeliversOrderEvents: with MERCHANT_WEBHOOK_URL set, serve delivers a cancelled
// order's event to the merchant, signed, and lists it on GET /v1/events.
func TestServeDeliversOrderEvents(t *testing.T) {
	const key, secret = "events-test-key-0123456789", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	var (
		mu   sync.Mutex
		got  []*http.Request
		body [][]byte
	)
	merchant := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		got, body = append(got, r), append(body, b)
		mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	}))
	defer merchant.Close()

	logs, addrs, stop := startRun(t, nil, []string{
		"DATABASE_URL=" + pgtest.URL(t),
		"GATEWAY_ADDR=127.0.0.1:0",
		"GATEWAY_ADMIN_ADDR=127.0.0.1:0",
		"SANDBOX_ADDR=127.0.0.1:0",
		"GATEWAY_API_KEYS=" + key,
		"MERCHANT_WEBHOOK_URL=" + merchant.URL + "/hooks",
		"MERCHANT_WEBHOOK_SECRET=" + secret,
	}, "public", "admin")
	waitReady(t, addrs["admin"], time.Now().Add(60*time.Second))
	public := "http://" + addrs["public"]
	call := func(method, path, reqBody string) []byte {
		t.Helper()
		req, err := http.NewRequest(method, public+path, strings.NewReader(reqBody))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+key)
		req.Header.Set("Content-Type", "application/json")
		res, err := testClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		if res.StatusCode >= 300 {
			t.Fatalf("%s %s = %d %s", method, path, res.StatusCode, b)
		}
		return b
	}
	var o struct{ ID string }
	if err := json.Unmarshal(call(http.MethodPost, "/v1/orders", `{"description":"events","amount":{"currency":"USD","total":"10.00"}}`), &o); err != nil {
		t.Fatal(err)
	}
	call(http.MethodPost, "/v1/orders/"+o.ID+"/cancel", "")

	deadline := time.Now().Add(30 * time.Second)
	for {
		mu.Lock()
		n := len(got)
		mu.Unlock()
		if n > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the merchant got no event within 30s")
		}
		time.Sleep(20 * time.Millisecond)
	}
	mu.Lock()
	req, payload := got[0], body[0]
	mu.Unlock()
	wh, err := standardwebhooks.NewWebhook(secret)
	if err != nil {
		t.Fatal(err)
	}
	if err := wh.Verify(payload, req.Header); err != nil {
		t.Errorf("signature: %v", err)
	}
	var ev struct{ ID, Type, OrderID string }
	if err := json.Unmarshal(payload, &ev); err != nil || ev.Type != "order.cancelled" || ev.OrderID != o.ID {
		t.Fatalf("delivered %s (%v), want order %s's order.cancelled", payload, err, o.ID)
	}

	deadline = time.Now().Add(30 * time.Second)
	for {
		var page struct {
			Data []struct{ ID string }
		}
		if err := json.Unmarshal(call(http.MethodGet, "/v1/events", ""), &page); err != nil {
			t.Fatal(err)
		}
		if len(page.Data) == 1 && page.Data[0].ID == ev.ID {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("GET /v1/events = %+v, want the delivered event %s", page.Data, ev.ID)
		}
		time.Sleep(20 * time.Millisecond)
	}

	if err := stop(); err != nil {
		t.Fatalf("run: %v", err)
	}
	if _, ok := findLog(t, logs.String(), "delivering order events to the merchant"); !ok {
		t.Error("no start line for the deliverer")
	}
	if strings.Contains(logs.String(), secret[len("whsec_"):]) {
		t.Error("the log shows the webhook secret")
	}
}

// TestServeRefusesABadWebhookSecret: a whsec_ secret that is not base64 stops serve at start
// with a line naming the variable.
func TestServeRefusesABadWebhookSecret(t *testing.T) {
	err := run(context.Background(), []string{"gateway"}, []string{
		"DATABASE_URL=" + pgtest.URL(t),
		"GATEWAY_ADDR=127.0.0.1:0",
		"GATEWAY_ADMIN_ADDR=127.0.0.1:0",
		"SANDBOX_ADDR=127.0.0.1:0",
		"MERCHANT_WEBHOOK_URL=http://127.0.0.1:1/hooks",
		"MERCHANT_WEBHOOK_SECRET=whsec_this is not base64!",
	}, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "MERCHANT_WEBHOOK_SECRET") {
		t.Fatalf("run = %v, want an error naming MERCHANT_WEBHOOK_SECRET", err)
	}
	if strings.Contains(err.Error(), "this is not base64") {
		t.Errorf("error %q quotes the secret", err)
	}
}
