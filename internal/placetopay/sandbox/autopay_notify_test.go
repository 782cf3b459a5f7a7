package sandbox

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"testing"
	"time"

	pp "github.com/placetopay-gateway/gateway/internal/placetopay"
)

type merchantCall struct {
	path, user, pass string
	body             []byte
}

// The autopay calls to the merchant (docs/placetopay.md#autopay-webhooks): signed webhooks and settlements, with
// the merchant's Basic credentials, at {AutopayURL}/autopay/webhook and /autopay/settlement.
func TestAutopayMerchantCalls(t *testing.T) {
	calls := make(chan merchantCall, 100)
	merchant := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		u, p, _ := r.BasicAuth()
		calls <- merchantCall{path: r.URL.Path, user: u, pass: p, body: b}
		w.WriteHeader(http.StatusOK)
	}))
	t.Cleanup(merchant.Close)
	h := newHarness(t, func(c *Config) {
		c.AutopayURL, c.AutopayUser, c.AutopayPassword = merchant.URL+"/merchant", "ptp", "basic-secret"
	})
	next := func(wantPath string) map[string]any {
		t.Helper()
		select {
		case c := <-calls:
			if c.path != wantPath || c.user != "ptp" || c.pass != "basic-secret" {
				t.Fatalf("call to %s as %s:%s, want %s with the Basic credentials", c.path, c.user, c.pass, wantPath)
			}
			var m map[string]any
			if err := json.Unmarshal(c.body, &m); err != nil {
				t.Fatal(err)
			}
			if wantPath == "/merchant/autopay/webhook" {
				if _, err := pp.VerifyAutopayWebhook(c.body, testSecret); err != nil {
					t.Errorf("webhook %s: %v", c.body, err)
				}
				if d, _ := m["date"].(string); !regexp.MustCompile(`^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$`).MatchString(d) {
					t.Errorf("webhook date %q, want YYYY-MM-DD HH:MM:SS", d)
				}
			}
			return m
		case <-time.After(10 * time.Second):
			t.Fatalf("no call to %s", wantPath)
			return nil
		}
	}

	id := h.enroll(autopaySession("CREATE", "", "Water bill"))
	if m := next("/merchant/autopay/webhook"); m["type"] != "AUTOPAY_CREATED" || m["id"] != id || m["reference"] != "ACC-1" {
		t.Errorf("first webhook %v, want AUTOPAY_CREATED of %s", m, id)
	}
	h.enroll(autopaySession("EDIT", id, "Water bill, new amount"))
	if m := next("/merchant/autopay/webhook"); m["type"] != "AUTOPAY_UPDATED" || m["id"] != id {
		t.Errorf("edit webhook %v, want AUTOPAY_UPDATED", m)
	}

	r := h.control(http.MethodPost, "/sandbox/autopay/"+id+"/charge", map[string]any{"settlements": 2}).want(t, http.StatusOK)
	ref := str(r.Body, "internalReference")
	for range 2 {
		m := next("/merchant/autopay/settlement")
		if m["id"] != id || str(m, "transaction", "internalReference") != ref || status(m, "transaction", "status") != "APPROVED/00" ||
			str(m, "transaction", "amount", "total") != "20" {
			t.Errorf("settlement %v, want approved charge %s of 20", m, ref)
		}
	}
	if got := str(r.Body, "settlements", 1, "status"); got != "200" {
		t.Errorf("second settlement delivery = %q, want 200", got)
	}

	r = h.control(http.MethodPost, "/sandbox/autopay/"+id+"/charge", map[string]any{"outcome": "fail"}).want(t, http.StatusOK)
	if m := next("/merchant/autopay/webhook"); m["type"] != "AUTOPAY_TRANSACTION_FAILED" || str(m, "additional", "transactionID") != str(r.Body, "internalReference") {
		t.Errorf("failed charge webhook %v, want AUTOPAY_TRANSACTION_FAILED of %s", m, str(r.Body, "internalReference"))
	}
	if got := status(r.Body, "status"); got != "REJECTED/05" {
		t.Errorf("failed charge status %s", got)
	}

	h.api("/autopay/cancel", map[string]any{"id": id}).want(t, http.StatusOK)
	if m := next("/merchant/autopay/webhook"); m["type"] != "AUTOPAY_CANCELED" {
		t.Errorf("cancel webhook %v, want AUTOPAY_CANCELED", m)
	}
	list := h.control(http.MethodGet, "/sandbox/autopay/calls", nil).want(t, http.StatusOK)
	if n := len(get(list.Body, "data").([]any)); n != 5 {
		t.Errorf("recorded calls = %d, want 5 (4 webhooks, 1 settlement)", n)
	}
}
