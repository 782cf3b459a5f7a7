package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"testing"
	"time"
)

// TestMoneyPathCreateOrderRequestRunAgain: a create-order whose answer was never stored under
// its Idempotency-Key (its replica died, or Postgres failed over, after the order committed)
// is run again when the retry takes the key over. It answers 201 with the order it created,
// with a new client secret (the first was only in the lost answer, so it stops working),
// instead of a 409 on the reference; there is still one order. Another request with the same
// reference is still a 409.
func TestMoneyPathCreateOrderRequestRunAgain(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessConfig{probeInterval: time.Minute})
	g := h.gateways[0]
	type created struct {
		ID           string `json:"id"`
		Reference    string `json:"reference"`
		Status       string `json:"status"`
		ClientSecret string `json:"clientSecret"`
	}
	create := func(key string) (int, created, []byte) {
		t.Helper()
		body, _ := json.Marshal(map[string]any{"reference": "ORD-AGAIN-1", "description": "rerun",
			"amount": map[string]string{"currency": "USD", "total": "12.00"}})
		req, err := http.NewRequest(http.MethodPost, g.url+"/v1/orders", bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+merchantAPIKey)
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Idempotency-Key", key)
		resp, err := harnessClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		raw, _ := io.ReadAll(resp.Body)
		var c created
		_ = json.Unmarshal(raw, &c)
		return resp.StatusCode, c, raw
	}
	status := func(id, secret string) int {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, g.url+"/v1/orders/"+id, nil)
		req.Header.Set("X-Client-Secret", secret)
		resp, err := harnessClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}

	code, first, raw := create("create-again-1")
	if code != http.StatusCreated || first.ClientSecret == "" {
		t.Fatalf("create = %d %s, want 201 with a client secret", code, raw)
	}
	// The key's record is gone, as when the answer was never stored and the lease ended.
	if _, err := h.db.Exec(t.Context(), `DELETE FROM idempotency_keys`); err != nil {
		t.Fatal(err)
	}
	code, again, raw := create("create-again-1")
	if code != http.StatusCreated || again.ID != first.ID || again.Status != "pending" {
		t.Fatalf("the request run again = %d %s, want 201 with order %s", code, raw, first.ID)
	}
	if again.ClientSecret == "" || again.ClientSecret == first.ClientSecret {
		t.Fatalf("the request run again answers client secret %q, want a new one", again.ClientSecret)
	}
	if n := h.count(`SELECT count(*) FROM orders WHERE reference = 'ORD-AGAIN-1'`); n != 1 {
		t.Fatalf("%d orders with the reference, want 1", n)
	}
	if got := status(first.ID, again.ClientSecret); got != http.StatusOK {
		t.Errorf("the new client secret reads the order: %d, want 200", got)
	}
	if got := status(first.ID, first.ClientSecret); got == http.StatusOK {
		t.Error("the lost answer's client secret still reads the order")
	}
	// Another request (another key) with the same reference is still refused.
	if code, _, raw := create("create-again-2"); code != http.StatusConflict {
		t.Fatalf("another request with the reference = %d %s, want 409", code, raw)
	}
	if n := h.count(`SELECT count(*) FROM orders`); n != 1 {
		t.Fatalf("%d orders, want 1", n)
	}
}
