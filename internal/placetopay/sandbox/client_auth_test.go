package sandbox_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/placetopay-gateway/gateway/internal/placetopay"
)

// crossOp is one client operation, with a request the client accepts to send.
type crossOp struct {
	name    string
	autopay bool // served by the autopay API, which reports auth failures its own way
	call    func(ctx context.Context, c *placetopay.Client) error
}

const someUUID = "2972c13d-6315-4da3-80d7-64c24eb232ad"

func autopayRequest(ref string) placetopay.CreateSessionRequest {
	return placetopay.CreateSessionRequest{
		Locale: "es_CO", Payer: payer(), Type: placetopay.SessionTypeAutopay,
		IPAddress: "127.0.0.1", UserAgent: "cross-test/1.0", ReturnURL: "https://shop.example/autopay/" + ref,
		Autopay: &placetopay.AutopayRequest{
			Action: "CREATE", Reference: ref, Description: "Monthly plan " + ref, DueDay: 5,
			Recurring: &placetopay.AutopayRecurring{Type: "FIXED", Periodicity: "M", Interval: 1, NextPayment: "2026-04-05"},
			Amount:    &placetopay.Amount{Currency: "USD", Total: "25.50"},
		},
	}
}

func collectRequest(ref string, total placetopay.Decimal, tok placetopay.Token) placetopay.CollectRequest {
	return placetopay.CollectRequest{
		Locale: "es_CO", Payer: payer(),
		Payment: placetopay.PaymentRequest{
			Reference: ref, Description: "Collect " + ref,
			Amount: placetopay.Amount{Currency: "USD", Total: total},
		},
		Instrument: placetopay.Instrument{Token: &tok},
		IPAddress:  "127.0.0.1", UserAgent: "cross-test/1.0",
	}
}

// everyOperation lists every client operation that reaches PlacetoPay.
func everyOperation() []crossOp {
	tok := placetopay.Token{Token: "e07ca9986cf0ecac8a557fc11c07dd0c"}
	return []crossOp{
		{"CreateSession", false, func(ctx context.Context, c *placetopay.Client) error {
			_, err := c.CreateSession(ctx, basicRequest("AUTH-1", "10.00"))
			return err
		}},
		{"QuerySession", false, func(ctx context.Context, c *placetopay.Client) error {
			_, err := c.QuerySession(ctx, 1)
			return err
		}},
		{"CancelSession", false, func(ctx context.Context, c *placetopay.Client) error {
			_, err := c.CancelSession(ctx, 1)
			return err
		}},
		{"Collect", false, func(ctx context.Context, c *placetopay.Client) error {
			_, err := c.Collect(ctx, collectRequest("AUTH-C", "10.00", tok))
			return err
		}},
		{"TransactionAction", false, func(ctx context.Context, c *placetopay.Client) error {
			_, err := c.TransactionAction(ctx, placetopay.TransactionRequest{InternalReference: 1, Action: placetopay.ActionReverse})
			return err
		}},
		{"Reverse", false, func(ctx context.Context, c *placetopay.Client) error {
			_, err := c.Reverse(ctx, placetopay.ReverseRequest{InternalReference: 1})
			return err
		}},
		{"InvalidateToken", false, func(ctx context.Context, c *placetopay.Client) error {
			_, err := c.InvalidateToken(ctx, placetopay.InvalidateTokenRequest{Instrument: placetopay.Instrument{Token: &tok}})
			return err
		}},
		{"CreateAutopaySession", true, func(ctx context.Context, c *placetopay.Client) error {
			_, err := c.CreateAutopaySession(ctx, autopayRequest("AUTH-AP"))
			return err
		}},
		{"QueryAutopaySession", true, func(ctx context.Context, c *placetopay.Client) error {
			_, err := c.QueryAutopaySession(ctx, 1)
			return err
		}},
		{"SearchAutopay", true, func(ctx context.Context, c *placetopay.Client) error {
			_, err := c.SearchAutopay(ctx, placetopay.AutopaySearchRequest{})
			return err
		}},
		{"CancelAutopay", true, func(ctx context.Context, c *placetopay.Client) error {
			_, err := c.CancelAutopay(ctx, placetopay.AutopayCancelRequest{ID: someUUID})
			return err
		}},
		{"AutopayTransactions", true, func(ctx context.Context, c *placetopay.Client) error {
			_, err := c.AutopayTransactions(ctx, placetopay.AutopayTransactionsRequest{ID: someUUID})
			return err
		}},
	}
}

// TestClientAuthFailures sends every operation with each documented way of failing
// authentication (docs/placetopay.md#authentication-errors): every one is an *APIError, HTTP 401, with the code.
func TestClientAuthFailures(t *testing.T) {
	e := newEnv(t)
	kinds := []struct {
		name string
		code int
		edit func(*placetopay.Config)
	}{
		{"wrong secret", 102, func(c *placetopay.Config) { c.Credentials.SecretKey = crossSecret + "x" }},
		{"wrong secret sha1", 102, func(c *placetopay.Config) {
			c.Credentials.SecretKey, c.Algorithm = "not-the-secret", placetopay.SHA1
		}},
		{"unknown login", 101, func(c *placetopay.Config) { c.Credentials.Login = "ffffffffffffffffffffffffffffffff" }},
		{"seed 6 minutes ahead", 103, func(c *placetopay.Config) {
			c.Clock = func() time.Time { return e.clock.Now().Add(6 * time.Minute) }
		}},
		{"seed 6 minutes behind", 103, func(c *placetopay.Config) {
			c.Clock = func() time.Time { return e.clock.Now().Add(-6 * time.Minute) }
		}},
		{"empty nonce", 100, func(c *placetopay.Config) {
			c.Nonce = func() ([]byte, error) { return nil, nil }
		}},
	}
	for _, k := range kinds {
		client := e.newClient(k.edit)
		for _, op := range everyOperation() {
			t.Run(k.name+"/"+op.name, func(t *testing.T) {
				before := e.apiCalls.Load()
				err := op.call(t.Context(), client)
				if n := e.apiCalls.Load() - before; n != 1 {
					t.Fatalf("%d requests reached the sandbox, want 1 (err %v)", n, err)
				}
				httpStatus, reason, msg := http.StatusUnauthorized, "401", fmt.Sprintf("Authentication failed %d", k.code)
				switch {
				case op.autopay && k.code == 100: // the autopay API says 400 (docs/placetopay.md#authentication-errors)
					httpStatus, reason, msg = http.StatusBadRequest, "400", "authentication does not include all required parameters"
				case op.autopay:
					reason = fmt.Sprint(k.code) // the autopay API puts the code in the reason
				}
				wantAPIError(t, err, httpStatus, reason, msg)
				var apiErr *placetopay.APIError
				errors.As(err, &apiErr) // one, or wantAPIError stopped the test
				code, ok := apiErr.AuthCode()
				if !ok || code != k.code {
					t.Errorf("AuthCode() = %d, %v, want %d, true", code, ok, k.code)
				}
				if apiErr.Temporary() {
					t.Error("an authentication failure is not temporary")
				}
			})
		}
	}
	if n := len(e.notifications()); n != 0 {
		t.Errorf("refused requests produced %d notifications", n)
	}
}

// TestClientAuthAccepted: SHA-256 and SHA-1 tranKeys both work, and a seed within the five
// minutes allowed either way is accepted.
func TestClientAuthAccepted(t *testing.T) {
	e := newEnv(t)
	cases := []struct {
		name string
		edit func(*placetopay.Config)
	}{
		{"sha256 default", nil},
		{"sha256 explicit", func(c *placetopay.Config) { c.Algorithm = placetopay.SHA256 }},
		{"sha1", func(c *placetopay.Config) { c.Algorithm = placetopay.SHA1 }},
		{"seed 4 minutes ahead", func(c *placetopay.Config) {
			c.Clock = func() time.Time { return e.clock.Now().Add(4 * time.Minute) }
		}},
		{"seed 4 minutes behind", func(c *placetopay.Config) {
			c.Clock = func() time.Time { return e.clock.Now().Add(-4 * time.Minute) }
		}},
		{"seed exactly 5 minutes ahead", func(c *placetopay.Config) {
			c.Clock = func() time.Time { return e.clock.Now().Add(5 * time.Minute) }
		}},
		{"seed in another zone", func(c *placetopay.Config) {
			c.Clock = func() time.Time { return e.clock.Now().In(time.FixedZone("+0930", 9*3600+1800)) }
		}},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := e.newClient(tc.edit)
			ref := fmt.Sprintf("AUTH-OK-%d", i)
			created, err := c.CreateSession(t.Context(), basicRequest(ref, "12.34"))
			if err != nil {
				t.Fatalf("CreateSession: %v", err)
			}
			info, err := c.QuerySession(t.Context(), int64(created.RequestID))
			if err != nil {
				t.Fatalf("QuerySession: %v", err)
			}
			wantStatus(t, "session", info.Status, "PENDING/PT")
			search, err := c.SearchAutopay(t.Context(), placetopay.AutopaySearchRequest{})
			if err != nil {
				t.Fatalf("SearchAutopay: %v", err)
			}
			wantStatus(t, "search", search.Status, "OK/00")
			cancelled, err := c.CancelSession(t.Context(), int64(created.RequestID))
			if err != nil {
				t.Fatalf("CancelSession: %v", err)
			}
			if d := cmp.Diff("REJECTED/MC", statusOf(cancelled.Session.Status)); d != "" {
				t.Errorf("cancelled session (-want +got): %s", d)
			}
		})
	}
}
