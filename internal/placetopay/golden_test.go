package placetopay

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"flag"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/placetopay-gateway/gateway/internal/placetopay/openapitest"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden.json from what the client sends")

// Where PlacetoPay's published servers live: requests are validated as if sent there.
const (
	checkoutHost = "https://checkout-test.placetopay.com"
	autopayHost  = "https://api-test.placetopay.com"
)

// specExceptions lists, per golden case, the only validation errors the published
// OpenAPI documents raise against a correct request, because the documents are wrong there.
// Each entry must still occur (a fixed document makes the test fail until it is removed), and
// any other error fails the test.
var specExceptions = map[string][]string{
	// InstrumentTokenToken is declared `type: number` although a token is a hexadecimal
	// string (the document's own examples: token: faketoken12f2…; the subtoken is a string).
	"collect_token":    {"$.instrument.token.token got string, want number"},
	"invalidate_token": {"$.instrument.token.token got string, want number"},
	// /autopay/search declares `enum` on the filters.chargeTypes and filters.status arrays
	// themselves (not on their items), so no array can ever match.
	"autopay_search": {
		"$.filters.chargeTypes value must be one of 'TOTAL_BALANCE', 'MINIMUM_BALANCE', 'FIXED'",
		"$.filters.status value must be one of 'FAILED', 'REJECTED', 'APPROVED'",
	},
	// /autopay/transactions declares `enum` on the filters.status array itself.
	"autopay_transactions": {"$.filters.status value must be one of 'OK', 'FAILED', 'REJECTED', 'APPROVED', 'APPROVED_PARCIAL'"},
}

// specMissing lists golden cases whose endpoint the documents do not describe at all.
var specMissing = map[string]string{
	// The deprecated /api/reverse was removed from the docs (commit b76de4d7, 2026-05-15) in
	// favour of /api/transaction action reverse; every official SDK still calls it.
	"reverse_legacy": "/api/reverse is not in checkout-openapi.yaml",
}

type goldenCase struct {
	name string
	spec string // openapitest.Checkout or openapitest.Autopay
	call func(*Client) error
}

func goldenCases() []goldenCase {
	session := func(name string, req CreateSessionRequest) goldenCase {
		return goldenCase{"create_session_" + name, openapitest.Checkout, func(c *Client) error {
			_, err := c.CreateSession(bg, req)
			return err
		}}
	}
	tx := func(name string, req TransactionRequest) goldenCase {
		return goldenCase{"transaction_" + name, openapitest.Checkout, func(c *Client) error {
			_, err := c.TransactionAction(bg, req)
			return err
		}}
	}
	return []goldenCase{
		session("basic", sessionBasic()),
		session("partial", sessionPartial()),
		session("recurring", sessionRecurring()),
		session("dispersion", sessionDispersion()),
		session("checkin", sessionCheckin()),
		session("subscription", sessionSubscription()),
		session("subscribe", sessionSubscribe()),
		session("autopay", sessionAutopay()),
		session("full", sessionFull()),
		{"query_session", openapitest.Checkout, func(c *Client) error { _, err := c.QuerySession(bg, 1); return err }},
		{"cancel_session", openapitest.Checkout, func(c *Client) error { _, err := c.CancelSession(bg, 28); return err }},
		{"collect_token", openapitest.Checkout, func(c *Client) error { _, err := c.Collect(bg, collectRequest()); return err }},
		{"collect_subtoken", openapitest.Checkout, func(c *Client) error { _, err := c.Collect(bg, collectSubtoken()); return err }},
		tx("checkout", TransactionRequest{InternalReference: 640, Action: ActionCheckout, Amount: &Amount{Currency: "USD", Total: "500"}}),
		tx("release", TransactionRequest{InternalReference: 640, Action: ActionCheckout, Amount: &Amount{Currency: "USD", Total: "0"}}),
		tx("reauthorization", TransactionRequest{InternalReference: 640, Action: ActionReauthorization, Amount: &Amount{Currency: "USD", Total: "1500"}}),
		tx("reverse", TransactionRequest{InternalReference: 123, Action: ActionReverse}),
		tx("reverse_partial", TransactionRequest{InternalReference: 123, Action: ActionReverse, Amount: &Amount{Currency: "COP", Total: "1000.50"}}),
		tx("confirm", TransactionRequest{InternalReference: 84, Action: ActionConfirm}),
		tx("cancel", TransactionRequest{InternalReference: 84, Action: ActionCancel}),
		{"reverse_legacy", "", func(c *Client) error {
			_, err := c.Reverse(bg, ReverseRequest{InternalReference: 1})
			return err
		}},
		{"invalidate_token", openapitest.Checkout, func(c *Client) error {
			_, err := c.InvalidateToken(bg, InvalidateTokenRequest{Locale: "en_US", Instrument: Instrument{Token: &Token{Token: "a3bfc8e2afb9ac5583922eccd6d2061c1b0592b099f04e352a894f37ae51cf1a"}}})
			return err
		}},
		{"invalidate_subtoken", openapitest.Checkout, func(c *Client) error {
			_, err := c.InvalidateToken(bg, InvalidateTokenRequest{Locale: "en_US", Instrument: Instrument{Token: &Token{Subtoken: "8740257204881112"}}})
			return err
		}},
		{"autopay_session_create", openapitest.Autopay, func(c *Client) error {
			req := sessionAutopay()
			req.Type = "" // set by the client
			_, err := c.CreateAutopaySession(bg, req)
			return err
		}},
		{"autopay_session_edit", openapitest.Autopay, func(c *Client) error { _, err := c.CreateAutopaySession(bg, autopayEdit()); return err }},
		{"autopay_query", openapitest.Autopay, func(c *Client) error { _, err := c.QueryAutopaySession(bg, 7); return err }},
		{"autopay_search", openapitest.Autopay, func(c *Client) error {
			_, err := c.SearchAutopay(bg, AutopaySearchRequest{
				Filters: &AutopaySearchFilters{
					Reference: "ACC00012345", ChargeTypes: []string{"FIXED", "TOTAL_BALANCE"}, Status: []string{"APPROVED"},
					CreatedAt: &DateRange{From: "2025-09-01", To: "2025-09-30"},
				},
				Pagination: &PaginationRequest{PerPage: 10, CurrentPage: 1}, Locale: "es_CO",
			})
			return err
		}},
		{"autopay_cancel", openapitest.Autopay, func(c *Client) error {
			_, err := c.CancelAutopay(bg, AutopayCancelRequest{ID: "2972c13d-6315-4da3-80d7-64c24eb232ad", Locale: "es_CO"})
			return err
		}},
		{"autopay_transactions", openapitest.Autopay, func(c *Client) error {
			_, err := c.AutopayTransactions(bg, AutopayTransactionsRequest{
				ID: "2972c13d-6315-4da3-80d7-64c24eb232ad",
				Filters: &AutopayTransactionFilters{
					InternalReference: "1598634446", Status: []string{"APPROVED"},
					Amount: &AmountBase{Currency: "USD", Total: "100"}, CreatedAt: &DateRange{From: "2025-09-01"},
				},
				Pagination: &PaginationRequest{PerPage: 15},
			})
			return err
		}},
	}
}

// Every operation and every session option sends exactly the golden body, with the
// documented headers and auth, and (but for documented spec errors) a body that PlacetoPay's
// own OpenAPI documents accept.
func TestGoldenRequests(t *testing.T) {
	seen := map[string]bool{}
	for _, tc := range goldenCases() {
		t.Run(tc.name, func(t *testing.T) {
			fake := newFake(t, okAnswers)
			if err := tc.call(newTestClient(t, testConfig(fake.URL))); err != nil {
				t.Fatalf("call: %v", err)
			}
			reqs := fake.requests()
			if len(reqs) != 1 {
				t.Fatalf("%d requests sent, want 1", len(reqs))
			}
			got := reqs[0]
			if got.Method != http.MethodPost {
				t.Errorf("method %s, want POST", got.Method)
			}
			for _, h := range []string{"Content-Type", "Accept"} {
				if v := got.Header.Get(h); v != "application/json" {
					t.Errorf("%s = %q, want application/json", h, v)
				}
			}
			checkAuth(t, got.Body, "nonce-0000000001")
			compareGolden(t, tc.name, got.Body)
			if tc.spec == "" {
				if specMissing[tc.name] == "" {
					t.Fatal("no spec to validate against and no documented reason")
				}
				return
			}
			validateAgainstSpec(t, tc.name, tc.spec, got)
		})
		seen[tc.name] = true
	}
	for name := range specExceptions {
		if !seen[name] {
			t.Errorf("spec exception for unknown case %q", name)
		}
	}
}

// checkAuth verifies the auth object: the login, the injected nonce in Base64, the injected
// clock as seed, and the documented SHA-256 tranKey over the raw nonce.
func checkAuth(t *testing.T, body []byte, rawNonce string) {
	t.Helper()
	var msg struct{ Auth Auth }
	if err := json.Unmarshal(body, &msg); err != nil {
		t.Fatalf("body is not JSON: %v", err)
	}
	key, _ := TranKey(SHA256, []byte(rawNonce), testNow.Format(time.RFC3339), testSecret)
	want := Auth{Login: testLogin, TranKey: key, Nonce: base64.StdEncoding.EncodeToString([]byte(rawNonce)), Seed: "2026-03-10T09:30:00-05:00"}
	if diff := cmp.Diff(want, msg.Auth); diff != "" {
		t.Errorf("auth (-want +got):\n%s", diff)
	}
	if bytes.Contains(body, []byte(testSecret)) {
		t.Error("the secret key was sent")
	}
}

func compareGolden(t *testing.T, name string, body []byte) {
	t.Helper()
	var pretty bytes.Buffer
	if err := json.Indent(&pretty, body, "", "  "); err != nil {
		t.Fatalf("body is not JSON: %v", err)
	}
	pretty.WriteByte('\n')
	path := filepath.Join("testdata", name+".golden.json")
	if *update {
		if err := os.WriteFile(path, pretty.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), pretty.String()); diff != "" {
		t.Errorf("%s (-golden +sent):\n%s", path, diff)
	}
}

// validateAgainstSpec replays the recorded request against the published document.
func validateAgainstSpec(t *testing.T, name, spec string, got recorded) {
	t.Helper()
	host := checkoutHost
	if spec == openapitest.Autopay {
		host = autopayHost
	}
	req, err := http.NewRequest(http.MethodPost, host+got.Path, bytes.NewReader(got.Body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header = got.Header.Clone()
	allowed := specExceptions[name]
	used := map[string]bool{}
	for _, e := range openapitest.Request(t, spec, req) {
		// One line per refusal: a message, then "; "-separated field errors. Every field
		// error must be a documented exception; a refusal without field errors never is.
		parts := strings.Split(e, "; ")
		if len(parts) == 1 {
			t.Errorf("%s refuses the request: %s", spec, e)
			continue
		}
		for _, p := range parts[1:] {
			ok := false
			for _, a := range allowed {
				if p == a {
					ok, used[a] = true, true
				}
			}
			if !ok {
				t.Errorf("%s refuses the request: %s: %s", spec, parts[0], p)
			}
		}
	}
	for _, a := range allowed {
		if !used[a] {
			t.Errorf("documented spec exception %q no longer occurs: remove it", a)
		}
	}
}

// The patched schemas do validate: a broken collect or transaction action is refused.
func TestSpecValidationRefusesBrokenRequests(t *testing.T) {
	tests := []struct{ name, path, body, want string }{
		{"transaction with unknown action", "/api/transaction",
			`{"auth":{"login":"l","tranKey":"k","nonce":"n","seed":"2026-03-10T09:30:00-05:00"},"internalReference":1,"action":"refund"}`,
			"$.action value must be one of"},
		{"transaction with string internalReference", "/api/transaction",
			`{"auth":{"login":"l","tranKey":"k","nonce":"n","seed":"2026-03-10T09:30:00-05:00"},"internalReference":"x","action":"reverse"}`,
			"$.internalReference got string, want integer"},
		{"collect with unknown pocket", "/api/collect",
			`{"auth":{"login":"l","tranKey":"k","nonce":"n","seed":"2026-03-10T09:30:00-05:00"},"payer":{},"ipAddress":"127.0.0.1","userAgent":"t",
			  "payment":{"reference":"r","amount":{"currency":"USD","total":1}},"instrument":{"token":{"subtoken":"8740257204881111"},"pocket":"11"}}`,
			"$.instrument.pocket value must be one of"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodPost, checkoutHost+tt.path, strings.NewReader(tt.body))
			req.Header.Set("Content-Type", "application/json")
			errs := openapitest.Request(t, openapitest.Checkout, req)
			if !strings.Contains(strings.Join(errs, "\n"), tt.want) {
				t.Errorf("errors %q do not mention %q", errs, tt.want)
			}
		})
	}
}
