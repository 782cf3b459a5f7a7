package sandbox_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/placetopay-gateway/gateway/internal/placetopay"
)

// rawAPI posts v with a fresh auth object, bypassing the client's validation, and returns
// the HTTP status and the status object the sandbox answered.
func (e *env) rawAPI(path string, v any) (int, placetopay.Status) {
	e.t.Helper()
	a := placetopay.Authenticator{
		Credentials: placetopay.Credentials{Login: crossLogin, SecretKey: crossSecret}, Clock: e.clock.Now,
	}
	auth, err := a.Auth()
	if err != nil {
		e.t.Fatal(err)
	}
	raw, err := json.Marshal(v)
	if err != nil {
		e.t.Fatal(err)
	}
	var body map[string]any
	if err := json.Unmarshal(raw, &body); err != nil {
		e.t.Fatal(err)
	}
	body["auth"] = auth
	if raw, err = json.Marshal(body); err != nil {
		e.t.Fatal(err)
	}
	req, err := http.NewRequestWithContext(e.t.Context(), http.MethodPost, e.url+path, bytes.NewReader(raw))
	if err != nil {
		e.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var out struct {
		Status placetopay.Status `json:"status"`
	}
	if err := json.Unmarshal(b, &out); err != nil {
		e.t.Fatalf("POST %s: %s: %v", path, b, err)
	}
	return resp.StatusCode, out.Status
}

// TestClientValidationNeverReachesTheSandbox: a request the client refuses is a
// *ValidationError and nothing is sent. Where PlacetoPay documents the rule, the sandbox,
// sent the same request directly, refuses it with the documented reason.
func TestClientValidationNeverReachesTheSandbox(t *testing.T) {
	e := newEnv(t)
	four := basicRequest("V-DISP", "100.00")
	for _, part := range []placetopay.Decimal{"25.00", "25.00", "25.00", "25.00"} {
		four.Payment.Dispersion = append(four.Payment.Dispersion, placetopay.Dispersion{
			Agreement: "30", AgreementType: "MERCHANT", Amount: placetopay.Amount{Currency: "USD", Total: part},
		})
	}
	partialRecurring := basicRequest("V-PR", "10.00")
	partialRecurring.Payment.AllowPartial = true
	partialRecurring.Payment.Recurring = &placetopay.Recurring{Periodicity: "M", Interval: 1, NextPayment: "2026-04-02", MaxPeriods: -1}
	partialTaxes := basicRequest("V-PT", "10.00")
	partialTaxes.Payment.AllowPartial = true
	partialTaxes.Payment.Amount.Taxes = []placetopay.Tax{{Kind: "valueAddedTax", Amount: "1.60"}}
	checkinPartial := basicRequest("V-CP", "10.00")
	checkinPartial.Type, checkinPartial.Payment.AllowPartial = placetopay.SessionTypeCheckin, true
	longEmail := basicRequest("V-MAIL", "10.00")
	longEmail.Payer.Email = strings.Repeat("a", 69) + "@example.com" // 81 characters
	soon := basicRequest("V-SOON", "10.00")
	soon.Expiration = crossEpoch.Add(4 * time.Minute).Format(time.RFC3339)
	longRef := basicRequest(strings.Repeat("R", 33), "10.00")
	lowerCurrency := basicRequest("V-CUR", "10.00")
	lowerCurrency.Payment.Amount.Currency = "usd"
	noReturn := basicRequest("V-RET", "10.00")
	noReturn.ReturnURL = ""
	badIP := basicRequest("V-IP", "10.00")
	badIP.IPAddress = "300.1.1.1"
	nothing := basicRequest("V-NONE", "10.00")
	nothing.Payment = nil
	noPayer := collectRequest("V-COL", "10.00", placetopay.Token{Token: "abc"})
	noPayer.Payer = nil
	noToken := collectRequest("V-COL", "10.00", placetopay.Token{})

	type sandboxVerdict struct {
		Path   string
		Code   int
		Reason string
	}
	cases := []struct {
		name    string
		call    func(ctx context.Context, c *placetopay.Client) error
		field   string
		sandbox *sandboxVerdict // what the sandbox says to the same request, when documented
	}{
		{"4 dispersions", func(ctx context.Context, c *placetopay.Client) error {
			_, err := c.CreateSession(ctx, four)
			return err
		}, "payment.dispersion", &sandboxVerdict{"/api/session", 400, "max_dispersion_error"}},
		{"partial and recurring", func(ctx context.Context, c *placetopay.Client) error {
			_, err := c.CreateSession(ctx, partialRecurring)
			return err
		}, "payment.recurring", &sandboxVerdict{"/api/session", 400, "request_not_valid"}},
		{"partial with taxes", func(ctx context.Context, c *placetopay.Client) error {
			_, err := c.CreateSession(ctx, partialTaxes)
			return err
		}, "payment.amount.taxes", &sandboxVerdict{"/api/session", 400, "request_not_valid"}},
		{"partial preauthorization", func(ctx context.Context, c *placetopay.Client) error {
			_, err := c.CreateSession(ctx, checkinPartial)
			return err
		}, "payment.allowPartial", &sandboxVerdict{"/api/session", 400, "request_not_valid"}},
		{"payer email over 80", func(ctx context.Context, c *placetopay.Client) error {
			_, err := c.CreateSession(ctx, longEmail)
			return err
		}, "payer.email", &sandboxVerdict{"/api/session", 400, "payer_data_not_valid"}},
		{"expiration under 5 minutes", func(ctx context.Context, c *placetopay.Client) error {
			_, err := c.CreateSession(ctx, soon)
			return err
		}, "expiration", &sandboxVerdict{"/api/session", 400, "request_not_valid"}},
		{"reference over 32", func(ctx context.Context, c *placetopay.Client) error {
			_, err := c.CreateSession(ctx, longRef)
			return err
		}, "payment.reference", &sandboxVerdict{"/api/session", 400, "request_not_valid"}},
		{"lower-case currency", func(ctx context.Context, c *placetopay.Client) error {
			_, err := c.CreateSession(ctx, lowerCurrency)
			return err
		}, "payment.amount.currency", &sandboxVerdict{"/api/session", 400, "request_not_valid"}},
		{"no returnUrl", func(ctx context.Context, c *placetopay.Client) error {
			_, err := c.CreateSession(ctx, noReturn)
			return err
		}, "returnUrl", &sandboxVerdict{"/api/session", 400, "request_not_valid"}},
		{"bad ipAddress", func(ctx context.Context, c *placetopay.Client) error {
			_, err := c.CreateSession(ctx, badIP)
			return err
		}, "ipAddress", &sandboxVerdict{"/api/session", 400, "request_not_valid"}},
		{"no payment nor subscription", func(ctx context.Context, c *placetopay.Client) error {
			_, err := c.CreateSession(ctx, nothing)
			return err
		}, "payment", &sandboxVerdict{"/api/session", 400, "request_not_valid"}},
		{"query id 0", func(ctx context.Context, c *placetopay.Client) error {
			_, err := c.QuerySession(ctx, 0)
			return err
		}, "requestId", nil},
		{"cancel id -1", func(ctx context.Context, c *placetopay.Client) error {
			_, err := c.CancelSession(ctx, -1)
			return err
		}, "requestId", nil},
		{"collect without payer", func(ctx context.Context, c *placetopay.Client) error {
			_, err := c.Collect(ctx, noPayer)
			return err
		}, "payer", &sandboxVerdict{"/api/collect", 400, "request_not_valid"}},
		{"collect without token", func(ctx context.Context, c *placetopay.Client) error {
			_, err := c.Collect(ctx, noToken)
			return err
		}, "instrument.token", &sandboxVerdict{"/api/collect", 400, "request_not_valid"}},
		{"unknown action", func(ctx context.Context, c *placetopay.Client) error {
			_, err := c.TransactionAction(ctx, placetopay.TransactionRequest{InternalReference: 1, Action: "refund"})
			return err
		}, "action", nil},
		{"confirm with an amount", func(ctx context.Context, c *placetopay.Client) error {
			_, err := c.TransactionAction(ctx, placetopay.TransactionRequest{InternalReference: 1, Action: placetopay.ActionConfirm, Amount: usd("1.00")})
			return err
		}, "amount", nil},
		{"checkout without amount", func(ctx context.Context, c *placetopay.Client) error {
			_, err := c.TransactionAction(ctx, placetopay.TransactionRequest{InternalReference: 1, Action: placetopay.ActionCheckout})
			return err
		}, "amount", nil},
		{"reverse of a negative amount", func(ctx context.Context, c *placetopay.Client) error {
			_, err := c.Reverse(ctx, placetopay.ReverseRequest{InternalReference: 1, Amount: usd("-1.00")})
			return err
		}, "amount.total", nil},
		{"invalidate with a CVV", func(ctx context.Context, c *placetopay.Client) error {
			_, err := c.InvalidateToken(ctx, placetopay.InvalidateTokenRequest{Instrument: placetopay.Instrument{Token: &placetopay.Token{Token: "abc", CVV: "123"}}})
			return err
		}, "instrument.token", nil},
		{"autopay dueDay 29", func(ctx context.Context, c *placetopay.Client) error {
			req := autopayRequest("V-AP")
			req.Autopay.DueDay = 29
			_, err := c.CreateAutopaySession(ctx, req)
			return err
		}, "autopay.dueDay", nil},
		{"autopay cancel of a non-UUID", func(ctx context.Context, c *placetopay.Client) error {
			_, err := c.CancelAutopay(ctx, placetopay.AutopayCancelRequest{ID: "42"})
			return err
		}, "id", nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := e.apiCalls.Load()
			err := tc.call(t.Context(), e.client)
			if n := e.apiCalls.Load() - before; n != 0 {
				t.Errorf("%d requests reached the sandbox, want none", n)
			}
			var v *placetopay.ValidationError
			if !errors.As(err, &v) {
				t.Fatalf("err = %v (%T), want *placetopay.ValidationError", err, err)
			}
			if _, isAPI := placetopay.IsAPIError(err); isAPI {
				t.Errorf("a refused request is also an APIError: %v", err)
			}
			if v.Field != tc.field {
				t.Errorf("ValidationError field %q (%s), want %q", v.Field, v.Rule, tc.field)
			}
		})
	}
	// The same requests, sent directly: the sandbox enforces the documented rules too.
	direct := map[string]any{
		"4 dispersions": four, "partial and recurring": partialRecurring, "partial with taxes": partialTaxes,
		"partial preauthorization": checkinPartial, "payer email over 80": longEmail,
		"expiration under 5 minutes": soon, "reference over 32": longRef, "lower-case currency": lowerCurrency,
		"no returnUrl": noReturn, "bad ipAddress": badIP, "no payment nor subscription": nothing,
		"collect without payer": noPayer, "collect without token": noToken,
	}
	for _, tc := range cases {
		if tc.sandbox == nil {
			continue
		}
		t.Run("sandbox/"+tc.name, func(t *testing.T) {
			body, ok := direct[tc.name]
			if !ok {
				t.Fatalf("no direct request for %q", tc.name)
			}
			code, st := e.rawAPI(tc.sandbox.Path, body)
			got := sandboxVerdict{tc.sandbox.Path, code, string(st.Reason)}
			if d := cmp.Diff(*tc.sandbox, got); d != "" || st.Status != placetopay.StatusFailed {
				t.Errorf("sandbox verdict %s (-want +got):\n%s", st.Status, d)
			}
		})
	}
	if n := len(e.notifications()); n != 0 {
		t.Errorf("%d notifications", n)
	}
}

// TestClientPassesWhatOnlyPlacetoPayChecks: rules the client leaves to PlacetoPay come back
// as the documented *APIError.
func TestClientPassesWhatOnlyPlacetoPayChecks(t *testing.T) {
	e := newEnv(t)
	cardName := basicRequest("V-CARD", "10.00")
	cardName.Payer.Name = "Ada 4110 7600 0000 0081"
	cardBuyer := basicRequest("V-CARD-B", "10.00")
	cardBuyer.Buyer = &placetopay.Person{Name: "Grace", Surname: "4110760000000081"}
	subConfirm := basicRequest("V-SUBCONF", "1")
	subConfirm.Payment, subConfirm.Subscription = nil, &placetopay.SubscriptionRequest{Reference: "V-SUBCONF"}
	subConfirm.Metadata = &placetopay.Metadata{RequiresConfirmation: true}
	cases := []struct {
		name   string
		req    placetopay.CreateSessionRequest
		reason string
		msg    string
	}{
		{"card number in the payer's name", cardName, "payer_data_not_valid", "card number"},
		{"card number in the buyer's surname", cardBuyer, "payer_data_not_valid", "card number"},
		{"three decimals in USD", basicRequest("V-DEC", "10.005"), "request_not_valid", "two decimals"},
		{"subscription requiring confirmation", subConfirm, "request_not_valid", "confirmation"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := e.apiCalls.Load()
			_, err := e.client.CreateSession(t.Context(), tc.req)
			if n := e.apiCalls.Load() - before; n != 1 {
				t.Errorf("%d requests reached the sandbox, want 1", n)
			}
			wantAPIError(t, err, http.StatusBadRequest, tc.reason, tc.msg)
		})
	}
}
