package placetopay

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// The seed documents are the pages of PlacetoPay's public documentation the client was
// specified from, as rendered text in testdata/docs (one file per page, named for it; the
// first line gives the page's address).

// seedBlock is a JSON snippet of a seed document: a line "{" up to its matching "}", with
// the heading line before it.
type seedBlock struct {
	file, label string // file is the document's name without .txt
	index       int    // among the file's blocks
	text        string
}

func seedBlocks(t *testing.T) []seedBlock {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("testdata", "docs", "*.txt"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no seed documents: %v", err)
	}
	var out []seedBlock
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(string(raw), "\n")
		if !strings.HasPrefix(lines[0], "Source: ") {
			t.Fatalf("%s: the first line should name the page's address, not %q", f, lines[0])
		}
		lines = lines[1:]
		name := strings.TrimSuffix(filepath.Base(f), ".txt")
		label, n := "", 0
		for i := 0; i < len(lines); i++ {
			if strings.TrimSpace(lines[i]) != "{" {
				if s := strings.TrimSpace(lines[i]); s != "" {
					label = s
				}
				continue
			}
			depth, j := 0, i
			for ; j < len(lines); j++ {
				depth += strings.Count(lines[j], "{") - strings.Count(lines[j], "}")
				if depth == 0 {
					break
				}
			}
			out = append(out, seedBlock{name, label, n, strings.Join(lines[i:j+1], "\n")})
			n++
			i = j
		}
	}
	return out
}

// The seeds are rendered documentation, not payloads: snippets elide parts with "...",
// keep trailing commas, miss a comma once, and put a trailing space in a few keys
// ("dueDate ", "notificationUrl ", "currency ", "total "), as the OpenAPI examples do.
// lenient repairs exactly those, and nothing else, before decoding.
var (
	elidedObject  = regexp.MustCompile(`\{\s*\.\.\.\s*\}`)
	elidedValue   = regexp.MustCompile(`:\s*\.\.\.`)
	elidedLine    = regexp.MustCompile(`(?m)^\s*\.\.\.\s*$\n?`)
	trailingComma = regexp.MustCompile(`,(\s*[}\]])`)
	missingComma  = regexp.MustCompile(`("|\d|true|false|null)(\s*\n\s*")`)
	spacedKey     = regexp.MustCompile(`"(\w+) ":`)
)

func lenient(s string) []byte {
	s = elidedObject.ReplaceAllString(s, "{}")
	s = elidedValue.ReplaceAllString(s, ": {}")
	s = elidedLine.ReplaceAllString(s, "")
	s = trailingComma.ReplaceAllString(s, "$1")
	s = missingComma.ReplaceAllString(s, "$1,$2")
	s = spacedKey.ReplaceAllString(s, `"$1":`)
	return []byte(s)
}

// strict decodes with unknown fields refused: the client's types carry every field the
// seeds show.
func strict(t *testing.T, b []byte, v any) {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		t.Fatalf("%v in\n%s", err, b)
	}
}

type authed struct {
	Auth json.RawMessage `json:"auth"`
}

type seedSession struct {
	authed
	CreateSessionRequest
}

type seedCollect struct {
	authed
	CollectRequest
}

type seedTransaction struct {
	authed
	TransactionRequest
}

// Every request snippet of the seeds (the session options of the "Create a Session" page,
// testdata/docs/checkout-create-session.txt) decodes into the client's request types with no
// unknown field.
func TestSeedRequests(t *testing.T) {
	checks := map[string]func(t *testing.T, b []byte){
		"CreateSessionRequest - Simple": func(t *testing.T, b []byte) {
			var r seedSession
			strict(t, b, &r)
			if r.Payment.Amount.Total != "1000" || r.Payment.Reference != "PAY_ABC_1287" {
				t.Errorf("payment = %+v", r.Payment)
			}
		},
		"CreateSessionRequest - Partial Payment": func(t *testing.T, b []byte) {
			var r seedSession
			strict(t, b, &r)
			if !r.Payment.AllowPartial {
				t.Error("allowPartial lost")
			}
		},
		"CreateSessionRequest - Recurring Payment": func(t *testing.T, b []byte) {
			var r seedSession
			strict(t, b, &r)
			want := &Recurring{Periodicity: "D", Interval: 1, NextPayment: "2024-08-24", MaxPeriods: 1, DueDate: "2024-09-24", NotificationURL: "https://merchanturl.com/notify"}
			if diff := cmp.Diff(want, r.Payment.Recurring); diff != "" {
				t.Errorf("recurring (-want +got):\n%s", diff)
			}
		},
		"CreateSessionRequest - Dispersion Payment": func(t *testing.T, b []byte) {
			var r seedSession
			strict(t, b, &r)
			if d := r.Payment.Dispersion; len(d) != 2 || d[0].Agreement != "30" || d[1].Amount.Total != "300" {
				t.Errorf("dispersion = %+v", d)
			}
		},
		"CreateSessionRequest - Dispersion Payment Taxes": func(t *testing.T, b []byte) {
			var r seedSession
			strict(t, b, &r)
			if a := r.Payment.Dispersion[0].Amount; a.Taxes[0].Amount != "16.13" || a.Details[0].Kind != "tip" {
				t.Errorf("dispersion amount = %+v", a)
			}
		},
		"RedirectRequest - Checkin": func(t *testing.T, b []byte) {
			var r seedSession
			strict(t, b, &r)
			if r.Type != SessionTypeCheckin {
				t.Errorf("type = %q", r.Type)
			}
		},
		"GetRequestInformation - /api/session/:requestId": func(t *testing.T, b []byte) {
			var r authed
			strict(t, b, &r)
		},
		"TransactionActionRequest - Reauthorization": func(t *testing.T, b []byte) {
			var r seedTransaction
			strict(t, b, &r)
			want := TransactionRequest{InternalReference: 35, Action: ActionReauthorization, Amount: &Amount{Currency: "USD", Total: "1500"}}
			if diff := cmp.Diff(want, r.TransactionRequest); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		},
		"TransactionActionRequest - Checkout": func(t *testing.T, b []byte) {
			var r seedTransaction
			strict(t, b, &r)
			if r.Action != ActionCheckout || r.Amount.Total != "2000" {
				t.Errorf("= %+v", r.TransactionRequest)
			}
		},
		"CreateSessionRequest - Subscription": func(t *testing.T, b []byte) {
			var r seedSession
			strict(t, b, &r)
			if r.Subscription == nil || r.Subscription.Reference != "3110" {
				t.Errorf("subscription = %+v", r.Subscription)
			}
		},
		"CollectRequest": func(t *testing.T, b []byte) {
			var r seedCollect
			strict(t, b, &r)
			if r.Instrument.Token == nil || r.Instrument.Token.Token == "" {
				t.Errorf("instrument = %+v", r.Instrument)
			}
		},
		"CreateSessionRequest": func(t *testing.T, b []byte) {
			var r seedSession
			strict(t, b, &r)
			if !r.Payment.Subscribe {
				t.Error("subscribe lost")
			}
		},
	}
	seen := 0
	for _, b := range seedBlocks(t) {
		check, ok := checks[b.label]
		if !ok {
			continue
		}
		seen++
		t.Run(b.file+" "+b.label, func(t *testing.T) { check(t, lenient(b.text)) })
	}
	if seen != len(checks) {
		t.Errorf("checked %d request snippets, want %d", seen, len(checks))
	}
}

// seedResponse is how a response snippet of the seeds is received: the client call that
// gets it from a loopback server, and what must come out.
type seedResponse struct {
	call  func(*Client) (any, error)
	check func(t *testing.T, got any)
}

// Every response snippet of the seeds decodes through the client.
func TestSeedResponses(t *testing.T) {
	query := func(c *Client) (any, error) { return c.QuerySession(bg, 1) }
	responses := map[string]seedResponse{
		// This snippet elides the session status ("status": {...}), which a real answer always
		// has; the client refuses a 2xx answer without status as malformed (the outcome of
		// the call is unknown), so the snippet is also decoded directly.
		"checkout-create-session/12 Respuesta Query[SessionRequest": {func(c *Client) (any, error) {
			_, err := c.QuerySession(bg, 1)
			var te *TransportError
			if !errors.As(err, &te) || !strings.Contains(err.Error(), "no status") {
				return nil, fmt.Errorf("status-less answer: %v, want a malformed *TransportError", err)
			}
			return nil, nil
		}, func(t *testing.T, _ any) {
			var info SessionInformation
			body := lenient(seedText(t, "checkout-create-session", 12))
			if err := json.Unmarshal(body, &info); err != nil {
				t.Fatal(err)
			}
			tok, _ := info.Subscription.Instrument.Lookup("token")
			req, err := info.CreateRequest()
			if tok != "a3bfc8e2afb9ac5583922eccd6d2061c1b0592b099f04e352a894f37ae51cf1a" || err != nil || !req.Payment.Subscribe {
				t.Errorf("token %q, request %+v, %v", tok, req.Payment, err)
			}
		}},
		"checkout-api-session/0 Response": {func(c *Client) (any, error) { return c.CreateSession(bg, sessionBasic()) }, func(t *testing.T, got any) {
			if r := got.(*CreateSessionResponse); r.RequestID != 1 || !strings.HasPrefix(r.ProcessURL, "https://checkout-co.placetopay.com/session/1/") {
				t.Errorf("= %+v", r)
			}
		}},
		"checkout-api-session/1 Response": {query, func(t *testing.T, got any) {
			info := got.(*SessionInformation)
			tx, ok := info.LastApprovedTransaction()
			// The snippet spells the amount keys "currency " and "total " (repaired by lenient).
			if !ok || tx.InternalReference != 12345 || tx.Receipt != "052617800175" || tx.Amount.From.Currency != "COP" || tx.Amount.From.Total != "10000" || tx.Amount.Factor != "1" {
				t.Errorf("last approved = %+v", tx)
			}
			req, err := info.CreateRequest()
			if err != nil {
				t.Fatal(err)
			}
			// subscription.fields is a lone object here; qty is the string "1".
			if req.Type != SessionTypeCheckin || len(req.Subscription.Fields) != 1 || req.Payment.Items[0].Qty != 1 || req.Payment.Modifiers[0].Code != 17934 {
				t.Errorf("request = %+v", req)
			}
			if n := len(info.Subscription.Instrument); n != 8 {
				t.Errorf("%d instrument fields, want 8", n)
			}
		}},
		"checkout-api-session/2 Respuesta": {func(c *Client) (any, error) { return c.CancelSession(bg, 28) }, func(t *testing.T, got any) {
			r := got.(*CancelSessionResponse)
			if r.Status.Status != StatusOK || r.Session.RequestID != 28 || r.Session.Status.Reason != "MC" || r.Session.Payment != nil {
				t.Errorf("= %+v", r)
			}
		}},
		"checkout-api-payment/0 Response": {func(c *Client) (any, error) { return c.Reverse(bg, ReverseRequest{InternalReference: 1}) }, func(t *testing.T, got any) {
			r := got.(*TransactionResponse)
			if r.Payment.InternalReference != 1 || r.Payment.Authorization != "123456" || len(r.Payment.ProcessorFields) != 12 {
				t.Errorf("= %+v", r.Payment)
			}
		}},
		"checkout-api-token/0 Response": {func(c *Client) (any, error) { return c.Collect(bg, collectRequest()) }, func(t *testing.T, got any) {
			info := got.(*SessionInformation)
			if info.Status.Status != StatusApproved || len(info.Payment) != 1 || info.Payment[0].Franchise != "DF_VS" {
				t.Errorf("= %+v", info)
			}
		}},
		"checkout-api-token/1 Response": {func(c *Client) (any, error) {
			return c.InvalidateToken(bg, InvalidateTokenRequest{Instrument: Instrument{Token: &Token{Token: "a3bf"}}})
		}, func(t *testing.T, got any) {
			if r := got.(*InvalidateTokenResponse); r.Status.Status != StatusApproved || r.Status.Reason != "00" {
				t.Errorf("= %+v", r)
			}
		}},
		"autopay-api-session-es/0 Respuesta": {func(c *Client) (any, error) { return c.CreateAutopaySession(bg, sessionAutopay()) }, func(t *testing.T, got any) {
			if r := got.(*CreateSessionResponse); r.RequestID != 1 || r.Status.Reason != "00" {
				t.Errorf("= %+v", r)
			}
		}},
	}
	seen := 0
	for _, b := range seedBlocks(t) {
		if !strings.HasPrefix(b.label, "Response") && !strings.HasPrefix(b.label, "Respuesta") {
			continue
		}
		key := b.file + "/" + strconv.Itoa(b.index) + " " + b.label
		t.Run(key, func(t *testing.T) {
			if key == "checkout-api-payment/1 Response" {
				// Under the "Response" heading of Transaction actions the seed renders the
				// PaymentRequest schema (a documentation glitch: the answer to a transaction
				// action is {status, payment}, as in the OpenAPI examples). It decodes,
				// strictly, as the PaymentRequest it is.
				var p PaymentRequest
				strict(t, lenient(b.text), &p)
				if p.Reference != "12345" || p.Recurring.DueDate != "2019-09-24" || p.Dispersion[0].Agreement != "1299" {
					t.Errorf("= %+v", p)
				}
				return
			}
			r, ok := responses[key]
			if !ok {
				t.Fatalf("response snippet not mapped:\n%s", b.text)
			}
			fake := newFake(t, fixed(200, string(lenient(b.text))))
			got, err := r.call(newTestClient(t, testConfig(fake.URL)))
			if err != nil {
				t.Fatalf("call: %v", err)
			}
			r.check(t, got)
		})
		seen++
	}
	if seen != len(responses)+1 {
		t.Errorf("checked %d response snippets, want %d", seen, len(responses)+1)
	}
}

// seedText returns the text of block index of seed file.
func seedText(t *testing.T, file string, index int) string {
	t.Helper()
	for _, b := range seedBlocks(t) {
		if b.file == file && b.index == index {
			return b.text
		}
	}
	t.Fatalf("no block %s/%d", file, index)
	return ""
}
