package placetopay

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/pb33f/libopenapi"
	"github.com/pb33f/libopenapi/datamodel"
	v3 "github.com/pb33f/libopenapi/datamodel/high/v3"

	"github.com/placetopay-gateway/gateway/internal/placetopay/openapitest"
)

// responseExample is one paths.*.post.responses.*.content.application/json example.
type responseExample struct {
	spec, path, code, name string
	body                   []byte
}

func (e responseExample) key() string { return e.path + " " + e.code + " " + e.name }

// loadModel parses a published document; its unpublished external references are skipped
// (they do not touch the inline examples).
func loadModel(t *testing.T, spec string) *v3.Document {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(openapitest.Dir(t), spec))
	if err != nil {
		t.Fatal(err)
	}
	doc, err := libopenapi.NewDocumentWithConfiguration(raw, &datamodel.DocumentConfiguration{
		SkipExternalRefResolution: true, Logger: slog.New(slog.DiscardHandler),
	})
	if err != nil {
		t.Fatal(err)
	}
	m, err := doc.BuildV3Model()
	if err != nil || m == nil {
		t.Fatalf("%s: %v", spec, err)
	}
	return &m.Model
}

// yamlJSON turns an example's YAML node into JSON.
func yamlJSON(t *testing.T, node interface{ Decode(any) error }) []byte {
	t.Helper()
	var v any
	if err := node.Decode(&v); err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func responseExamples(t *testing.T, spec string) []responseExample {
	t.Helper()
	var out []responseExample
	m := loadModel(t, spec)
	for path, item := range m.Paths.PathItems.FromOldest() {
		if item.Post == nil || item.Post.Responses == nil {
			continue
		}
		for code, resp := range item.Post.Responses.Codes.FromOldest() {
			if resp == nil || resp.Content == nil {
				continue
			}
			mt := resp.Content.GetOrZero("application/json")
			if mt == nil {
				continue
			}
			if mt.Example != nil {
				out = append(out, responseExample{spec, path, code, "example", yamlJSON(t, mt.Example)})
			}
			if mt.Examples != nil {
				for name, ex := range mt.Examples.FromOldest() {
					out = append(out, responseExample{spec, path, code, name, yamlJSON(t, ex.Value)})
				}
			}
		}
	}
	return out
}

// summary is what a test compares of a decoded answer.
type summary struct {
	Status, Reason string
	RequestID      int64
	Payments       []string // "internalReference status/reason from→to ×factor"
}

func summarizeTx(tx Transaction) string {
	s := fmt.Sprintf("%d %s/%s", tx.InternalReference, tx.Status.Status, tx.Status.Reason)
	if a := tx.Amount; a != nil {
		s += fmt.Sprintf(" %s %s→%s %s ×%s", a.From.Currency, a.From.Total, a.To.Currency, a.To.Total, a.Factor)
	}
	return s
}

func summarize(v any) summary {
	var s summary
	switch r := v.(type) {
	case *CreateSessionResponse:
		s = summary{Status: r.Status.Status, Reason: string(r.Status.Reason), RequestID: int64(r.RequestID)}
	case *SessionInformation:
		s = summary{Status: r.Status.Status, Reason: string(r.Status.Reason), RequestID: int64(r.RequestID)}
		for _, tx := range r.Payment {
			s.Payments = append(s.Payments, summarizeTx(tx))
		}
	case *TransactionResponse:
		s = summary{Status: r.Status.Status, Reason: string(r.Status.Reason)}
		if r.Payment != nil {
			s.Payments = []string{summarizeTx(*r.Payment)}
		}
	case *InvalidateTokenResponse:
		s = summary{Status: r.Status.Status, Reason: string(r.Status.Reason)}
	}
	return s
}

// exampleCalls maps every path with response examples to the client call that receives it.
// The paths the client does not call are decoded by hand (see exampleWithoutCall).
var exampleCalls = map[string]func(*Client) (any, error){
	"/api/session":                    func(c *Client) (any, error) { return c.CreateSession(bg, sessionBasic()) },
	"/api/session/{requestId}":        func(c *Client) (any, error) { return c.QuerySession(bg, 1) },
	"/api/session/{requestId}/cancel": func(c *Client) (any, error) { return c.CancelSession(bg, 1) },
	"/api/collect":                    func(c *Client) (any, error) { return c.Collect(bg, collectRequest()) },
	"/api/transaction": func(c *Client) (any, error) {
		return c.TransactionAction(bg, TransactionRequest{InternalReference: 84, Action: ActionConfirm})
	},
	"/api/instrument/invalidate": func(c *Client) (any, error) {
		return c.InvalidateToken(bg, InvalidateTokenRequest{Instrument: Instrument{Token: &Token{Subtoken: "8740257204881112"}}})
	},
}

// exampleWithoutCall lists the paths with examples that the client has no method for, and
// why: their examples are only checked to carry a status the client can read.
var exampleWithoutCall = map[string]string{
	"/api/notify":              "x-internal, not for merchants (docs/placetopay.md#paths-the-client-does-not-call)",
	"/api/gateway/information": "the docs send integrators to the Gateway API instead",
	"/api/gateway/token":       "the docs send integrators to the Gateway API instead",
}

// wantExamples is what each successful example decodes to.
var wantExamples = map[string]summary{
	"/api/session 200 Respuesta": {Status: "OK", Reason: "PC", RequestID: 1},
	"/api/session/{requestId} 200 Approved": {Status: "APPROVED", Reason: "00", RequestID: 1,
		Payments: []string{"1 APPROVED/00 USD 1000→USD 1000 ×1"}},
	"/api/session/{requestId} 200 Pending": {Status: "PENDING", Reason: "PT", RequestID: 1},
	"/api/session/{requestId} 200 Rejected": {Status: "REJECTED", Reason: "XN", RequestID: 1,
		Payments: []string{"1 REJECTED/65 USD 500→USD 500 ×1"}},
	"/api/session/{requestId} 200 Partially expired": {Status: "PARTIAL_EXPIRED", Reason: "PX", RequestID: 1,
		Payments: []string{"421691 APPROVED_PARTIAL/61 USD 500→USD 500 ×1"}},
	"/api/session/{requestId} 200 Partially approved": {Status: "APPROVED_PARTIAL", Reason: "P0", RequestID: 1,
		Payments: []string{"421694 APPROVED/00 COP 5000→USD 1.05 ×0.00021"}},
	"/api/session/{requestId} 200 Pending Confirmation": {Status: "PENDING", Reason: "PT", RequestID: 1,
		Payments: []string{"84 PENDING_CONFIRMATION/PT USD 100→USD 100 ×1"}},
	"/api/collect 200 Approved": {Status: "APPROVED", Reason: "00", RequestID: 1,
		Payments: []string{"1 APPROVED/00 USD 100→USD 100 ×1"}},
	"/api/collect 200 Pending": {Status: "PENDING", Reason: "PT", RequestID: 1},
	"/api/collect 200 Rejected": {Status: "REJECTED", Reason: "XN", RequestID: 1,
		Payments: []string{"1 REJECTED/65 USD 100→USD 100 ×1"}},
	"/api/transaction 200 Checkout": {Status: "APPROVED", Reason: "00",
		Payments: []string{"643 APPROVED/00 USD 500→USD 500 ×1"}},
	"/api/transaction 200 Reauthorization": {Status: "APPROVED", Reason: "00",
		Payments: []string{"642 APPROVED/00 USD 500→USD 500 ×1"}},
	"/api/transaction 200 Reverse": {Status: "APPROVED", Reason: "00",
		Payments: []string{"644 APPROVED/00 USD 500→USD 1000 ×1"}},
	"/api/transaction 200 Confirm": {Status: "APPROVED", Reason: "00",
		Payments: []string{"84 APPROVED/00 USD 100→USD 100 ×1"}},
	"/api/transaction 200 Cancel": {Status: "REJECTED", Reason: "?C",
		Payments: []string{"84 REJECTED/?C USD 100→USD 100 ×1"}},
	"/api/instrument/invalidate 200 APPROVED": {Status: "APPROVED", Reason: "00"},
	"/api/instrument/invalidate 200 OK":       {Status: "OK", Reason: "00"},
}

// Every response example of both published documents decodes: successes into the client's
// types (compared with wantExamples), FAILED statuses and non-2xx codes into *APIError with
// the example's status, served by a loopback server through the real client.
func TestResponseExamples(t *testing.T) {
	var all []responseExample
	for _, spec := range []string{openapitest.Checkout, openapitest.Autopay} {
		all = append(all, responseExamples(t, spec)...)
	}
	// The autopay document has response schemas but no response examples; the checkout one
	// has 32 (the shared StatusResponse counted under each code that refers to it).
	if len(all) != 32 {
		t.Errorf("found %d response examples, want 32: map the new ones", len(all))
	}
	checked := map[string]bool{}
	for _, ex := range all {
		t.Run(ex.key(), func(t *testing.T) {
			if why, ok := exampleWithoutCall[ex.path]; ok {
				var env struct{ Status Status }
				if err := json.Unmarshal(ex.body, &env); err != nil || env.Status.Status == "" {
					t.Fatalf("status not readable (%v) in %s; no client call because %s", err, ex.body, why)
				}
				return
			}
			call, ok := exampleCalls[ex.path]
			if !ok {
				t.Fatalf("no client call mapped for %s", ex.path)
			}
			code := 400 // "4XX"
			if n, err := strconv.Atoi(ex.code); err == nil {
				code = n
			}
			var st struct{ Status Status }
			if err := json.Unmarshal(ex.body, &st); err != nil {
				t.Fatalf("example is not a status answer: %v", err)
			}
			fake := newFake(t, fixed(code, string(ex.body)))
			got, err := call(newTestClient(t, testConfig(fake.URL)))
			if code >= 300 || st.Status.Status == StatusFailed {
				// The shared StatusResponse puts APPROVED and OK examples under 400 and 4XX
				// too: a non-2xx answer is an error whatever its body says.
				var apiErr *APIError
				if !errors.As(err, &apiErr) {
					t.Fatalf("err = %v, want *APIError", err)
				}
				want := APIError{Operation: apiErr.Operation, HTTPStatus: code, Status: st.Status}
				if diff := cmp.Diff(want, *apiErr); diff != "" {
					t.Errorf("APIError (-want +got):\n%s", diff)
				}
				return
			}
			if err != nil {
				t.Fatalf("call: %v", err)
			}
			want, ok := wantExamples[ex.key()]
			if !ok {
				t.Fatalf("no expected summary for %s: %+v", ex.key(), summarize(got))
			}
			if diff := cmp.Diff(want, summarize(got)); diff != "" {
				t.Errorf("decoded (-want +got):\n%s", diff)
			}
		})
		checked[ex.key()] = true
	}
	for k := range wantExamples {
		if !checked[k] {
			t.Errorf("expected example %q not in the documents", k)
		}
	}
}

// Details of the documented payloads that the summaries do not show.
func TestResponseExampleDetails(t *testing.T) {
	byKey := map[string][]byte{}
	for _, ex := range responseExamples(t, openapitest.Checkout) {
		byKey[ex.key()] = ex.body
	}
	decode := func(t *testing.T, key string) SessionInformation {
		t.Helper()
		var info SessionInformation
		if err := json.Unmarshal(byKey[key], &info); err != nil {
			t.Fatalf("%s: %v", key, err)
		}
		return info
	}
	t.Run("fractional-second expiration and dispersion kept", func(t *testing.T) {
		info := decode(t, "/api/session/{requestId} 200 Partially expired")
		req, err := info.CreateRequest()
		if err != nil {
			t.Fatal(err)
		}
		if req.Expiration != "2023-03-09T23:09:14.946Z" || len(req.Payment.Dispersion) != 2 || req.Payment.Dispersion[0].Agreement != "111" {
			t.Errorf("request = %+v", req)
		}
		var disp []Transaction
		if err := json.Unmarshal(info.Payment[0].Dispersion, &disp); err != nil || len(disp) != 2 || disp[1].InternalReference != 421693 {
			t.Errorf("dispersion = %+v, %v", disp, err)
		}
		if _, ok := info.LastApprovedTransaction(); ok {
			t.Error("an APPROVED_PARTIAL transaction counted as approved")
		}
	})
	t.Run("pending payment is null", func(t *testing.T) {
		if info := decode(t, "/api/session/{requestId} 200 Pending"); info.Payment != nil || info.Subscription != nil {
			t.Errorf("payment %v subscription %v, want nil", info.Payment, info.Subscription)
		}
	})
	t.Run("confirmation flow metadata", func(t *testing.T) {
		info := decode(t, "/api/session/{requestId} 200 Pending Confirmation")
		req, err := info.CreateRequest()
		if err != nil || req.Metadata == nil || !req.Metadata.RequiresConfirmation {
			t.Errorf("metadata = %+v, %v", req.Metadata, err)
		}
	})
	t.Run("approved processor fields", func(t *testing.T) {
		info := decode(t, "/api/session/{requestId} 200 Approved")
		tx, ok := info.LastApprovedTransaction()
		if !ok || tx.Receipt != "241516" || tx.Franchise != "DF_VS" {
			t.Fatalf("last approved = %+v, %v", tx, ok)
		}
		if v, _ := tx.ProcessorFields.Lookup("lastDigits"); v != "1111" {
			t.Errorf("lastDigits = %q", v)
		}
		if v, _ := tx.ProcessorFields.Lookup("credit"); !strings.Contains(v, `"installments":0`) {
			t.Errorf("credit = %q", v)
		}
	})
}

// The component-level examples of the response schemas decode too. Their AmountBase
// examples spell the keys "currency " and "total " with a trailing space, a typo of the
// document (the path examples and every SDK fixture use "currency" and "total"), so those
// amounts decode empty and are not compared.
func TestSchemaExamples(t *testing.T) {
	m := loadModel(t, openapitest.Checkout)
	targets := map[string]func() any{
		"RedirectInformation":   func() any { return new(SessionInformation) },
		"CancelSessionResponse": func() any { return new(CancelSessionResponse) },
		"PaymentResponse":       func() any { return new(Transaction) },
		"Transaction":           func() any { return new(Transaction) },
		"TransactionDispersion": func() any { return new(Transaction) },
		"SubscriptionResponse":  func() any { return new(SubscriptionResponse) },
	}
	decoded := map[string]any{}
	for name, proxy := range m.Components.Schemas.FromOldest() {
		newOut, ok := targets[name]
		if !ok {
			continue
		}
		for i, node := range proxy.Schema().Examples {
			out := newOut()
			if err := json.Unmarshal(yamlJSON(t, node), out); err != nil {
				t.Errorf("%s example %d: %v", name, i, err)
			}
			decoded[name] = out
		}
	}
	if tx, _ := decoded["PaymentResponse"].(*Transaction); tx == nil || tx.InternalReference != 384912 || tx.Amount.To.Total != "52" {
		t.Errorf("PaymentResponse (internalReference sent as a string) = %+v", tx)
	}
	cancel, _ := decoded["CancelSessionResponse"].(*CancelSessionResponse)
	if cancel == nil || cancel.Session == nil || cancel.Session.Status.Reason != "MC" || cancel.Session.RequestID != 28 {
		t.Errorf("CancelSessionResponse = %+v", cancel)
	}
	info, _ := decoded["RedirectInformation"].(*SessionInformation)
	if info == nil || info.Subscription == nil {
		t.Fatalf("RedirectInformation = %+v", info)
	}
	if tok, _ := info.Subscription.Instrument.Lookup("token"); !strings.HasPrefix(tok, "faketoken") {
		t.Errorf("subscription token = %q", tok)
	}
	if tx := info.Payment[0]; tx.InternalReference != 12345 || tx.Amount.From.Currency != "" {
		t.Errorf("payment = %+v (the \"currency \" typo should leave the currency empty)", tx)
	}
	if len(decoded) != len(targets) {
		t.Errorf("decoded examples of %d schemas, want %d", len(decoded), len(targets))
	}
}
