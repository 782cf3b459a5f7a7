package openapitest

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The published documents load, and validation both accepts a documented request and
// refuses a broken one, so a test that relies on it can fail.
func TestValidatorAcceptsAndRefuses(t *testing.T) {
	good := `{"auth":{"login":"aabbccdd1234567890aabbccdd123456","tranKey":"NDlpEEAIe8sbKZ6mGWQrZwbyBB62J1LcyP/a/o7LRqY=","nonce":"aWZZRVBuQWNKYnBEVlIxdA==","seed":"2016-10-26T21:37:00+00:00"},
	  "payment":{"reference":"ORDER-1","description":"Shoes","amount":{"currency":"USD","total":10.5}},
	  "expiration":"2030-01-01T00:00:00Z","returnUrl":"https://shop.example/return","ipAddress":"127.0.0.1","userAgent":"test"}`
	req, _ := http.NewRequest(http.MethodPost, "https://checkout-test.placetopay.com/api/session", strings.NewReader(good))
	req.Header.Set("Content-Type", "application/json")
	if errs := Request(t, Checkout, req); len(errs) > 0 {
		t.Fatalf("documented request refused: %v", errs)
	}
	bad := strings.Replace(good, `"total":10.5`, `"total":"ten"`, 1)
	req, _ = http.NewRequest(http.MethodPost, "https://checkout-test.placetopay.com/api/session", strings.NewReader(bad))
	req.Header.Set("Content-Type", "application/json")
	if errs := Request(t, Checkout, req); len(errs) == 0 {
		t.Fatal("a request with a string total was accepted")
	}
	Validator(t, Autopay)
}

// The autopay document's references into the checkout one resolve: a search response with
// a wrong type inside is refused.
func TestAutopayReferencesResolve(t *testing.T) {
	req, _ := http.NewRequest(http.MethodPost, "https://api-test.placetopay.com/autopay/cancel",
		strings.NewReader(`{"auth":{"login":"l","tranKey":"k","nonce":"n","seed":"2024-01-01T00:00:00Z"},"id":"2972c13d-6315-4da3-80d7-64c24eb232ad"}`))
	req.Header.Set("Content-Type", "application/json")
	if errs := Request(t, Autopay, req); len(errs) > 0 {
		t.Fatalf("documented autopay cancel refused: %v", errs)
	}
}

// Every patch still matches the published documents; when PlacetoPay fixes one, this fails
// and the patch goes.
func TestPatchesStillNeeded(t *testing.T) {
	counts := map[string]int{}
	for _, name := range []string{Checkout, Autopay} {
		raw, err := os.ReadFile(filepath.Join(Dir(t), name))
		if err != nil {
			t.Fatal(err)
		}
		patch(string(raw), counts)
	}
	for _, p := range patches {
		if counts[p.name] == 0 {
			t.Errorf("patch %q matches nothing in the published documents", p.name)
		}
	}
}
