package placetopay

import (
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// Each documented error answer (docs/placetopay.md#endpoints) becomes an *APIError
// with the HTTP status, reason and message, and AuthCode for authentication failures.
func TestDocumentedErrors(t *testing.T) {
	const date = "2021-11-30T15:12:25-05:00"
	query := func(c *Client) error { _, err := c.QuerySession(bg, 1); return err }
	create := func(c *Client) error { _, err := c.CreateSession(bg, sessionBasic()); return err }
	cancel := func(c *Client) error { _, err := c.CancelSession(bg, 1); return err }
	collect := func(c *Client) error { _, err := c.Collect(bg, collectRequest()); return err }
	action := func(a string) func(c *Client) error {
		return func(c *Client) error {
			_, err := c.TransactionAction(bg, TransactionRequest{InternalReference: 84, Action: a})
			return err
		}
	}
	reverse := func(c *Client) error { _, err := c.Reverse(bg, ReverseRequest{InternalReference: 1}); return err }
	invalidate := func(c *Client) error {
		_, err := c.InvalidateToken(bg, InvalidateTokenRequest{Instrument: Instrument{Token: &Token{Token: "x"}}})
		return err
	}
	autopayCancel := func(c *Client) error {
		_, err := c.CancelAutopay(bg, AutopayCancelRequest{ID: "2972c13d-6315-4da3-80d7-64c24eb232ad"})
		return err
	}
	st := func(status, reason, message string) string {
		return `{"status":{"status":"` + status + `","reason":` + reason + `,"message":"` + message + `","date":"` + date + `"}}`
	}
	tests := []struct {
		name     string
		call     func(*Client) error
		code     int
		body     string
		reason   string
		message  string
		authCode int // 0: not an authentication failure
	}{
		{"auth failed 102", create, 401, st("FAILED", "401", "Authentication failed 102"), "401", "Authentication failed 102", 102},
		{"failed authentication 101", query, 401, st("FAILED", "401", "Failed authentication 101"), "401", "Failed authentication 101", 101},
		{"authentication Failed 103", query, 401, st("FAILED", "401", "Authentication Failed 103"), "401", "Authentication Failed 103", 103},
		{"autenticación fallida 101", create, 401, st("FAILED", "401", "Autenticación fallida 101"), "401", "Autenticación fallida 101", 101},
		{"failed authentication 102", cancel, 401, st("FAILED", "401", "Failed authentication 102"), "401", "Failed authentication 102", 102},
		{"autopay missing auth fields, bare status", autopayCancel, 400,
			`{"status":"FAILED","reason":"400","message":"authentication does not include all required parameters (login, tranKey, seed, nonce)"}`,
			"400", "authentication does not include all required parameters (login, tranKey, seed, nonce)", 100},
		{"session of another site", query, 401, st("FAILED", `"unauthorized"`, "La sesión no pertenece a su sitio"), "unauthorized", "La sesión no pertenece a su sitio", 0},
		{"unknown session on HTTP 200", query, 200, st("FAILED", "0", "No existe la sesión que busca"), "0", "No existe la sesión que busca", 0},
		{"cancel unknown session", cancel, 404, st("FAILED", `"request_not_valid"`, "The requested session does not exist"), "request_not_valid", "The requested session does not exist", 0},
		{"cancel not pending", cancel, 400, st("FAILED", `"action_not_allowed"`, "Sessions that are not pending cannot be cancelled"), "action_not_allowed", "Sessions that are not pending cannot be cancelled", 0},
		{"cancel bad path", cancel, 404, st("FAILED", `"NA"`, "Page not found"), "NA", "Page not found", 0},
		{"collect invalid token", collect, 400, st("FAILED", `"XN"`, "The token used is invalid"), "XN", "The token used is invalid", 0},
		{"collect invalid token on HTTP 200", collect, 200, st("FAILED", `"XN"`, "The token used is invalid"), "XN", "The token used is invalid", 0},
		{"collect token length", collect, 400, st("FAILED", `"request_not_valid"`, "La longitud del token no es correcta"), "request_not_valid", "La longitud del token no es correcta", 0},
		{"confirm not supported", action(ActionConfirm), 400, st("FAILED", `"request_not_valid"`, "The [confirm] action is not supported for this session"), "request_not_valid", "The [confirm] action is not supported for this session", 0},
		{"confirm wrong state", action(ActionConfirm), 400, st("FAILED", `"request_not_valid"`, "The [confirm] action is only available for transactions in a pending confirmation state"), "request_not_valid", "The [confirm] action is only available for transactions in a pending confirmation state", 0},
		{"transaction expired", action(ActionCancel), 400, st("FAILED", `"transaction_request_error"`, "The transaction has already expired"), "transaction_request_error", "The transaction has already expired", 0},
		{"confirm failed at the network on HTTP 200", action(ActionConfirm), 200, st("FAILED", `"BR"`, "The request could not be processed"), "BR", "The request could not be processed", 0},
		{"reverse already refunded", action(ActionReverse), 400, st("FAILED", `"BR"`, "Transaction already refunded"), "BR", "Transaction already refunded", 0},
		{"legacy reverse already reversed", reverse, 400, st("FAILED", `"BR"`, "La transacción ya ha sido reversada"), "BR", "La transacción ya ha sido reversada", 0},
		{"legacy reverse unknown", reverse, 400, st("FAILED", `"request_not_valid"`, "No existe la transacción que busca"), "request_not_valid", "No existe la transacción que busca", 0},
		{"invalidate invalid token", invalidate, 400, st("FAILED", `"XN"`, "The token used is invalid"), "XN", "The token used is invalid", 0},
		{"autopay cancel without id", autopayCancel, 400, st("FAILED", `"BR"`, "The id field is required."), "BR", "The id field is required.", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := newFake(t, fixed(tt.code, tt.body))
			err := tt.call(newTestClient(t, testConfig(fake.URL)))
			apiErr, ok := IsAPIError(err)
			if !ok {
				t.Fatalf("err = %v, want *APIError", err)
			}
			got := struct {
				HTTPStatus      int
				Reason, Message string
			}{apiErr.HTTPStatus, apiErr.Reason(), string(apiErr.Status.Message)}
			want := struct {
				HTTPStatus      int
				Reason, Message string
			}{tt.code, tt.reason, tt.message}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
			code, isAuth := apiErr.AuthCode()
			if code != tt.authCode || isAuth != (tt.authCode != 0) {
				t.Errorf("AuthCode() = %d, %v; want %d", code, isAuth, tt.authCode)
			}
			if fake.hits() != 1 {
				t.Errorf("%d requests, want 1 (no retry on a %d)", fake.hits(), tt.code)
			}
			if !strings.HasPrefix(err.Error(), "placetopay: ") || !strings.Contains(err.Error(), tt.message) {
				t.Errorf("error text %q", err)
			}
		})
	}
}

// A non-JSON or empty error body still gives an *APIError with the HTTP status.
func TestNonJSONErrors(t *testing.T) {
	tests := []struct {
		code int
		body string
	}{
		{502, "<html><body>Bad Gateway</body></html>"},
		{500, ""},
		{404, "Not Found"},
		{301, ""}, // a redirect is reported, never followed
		{400, `{"message":"no status here"}`},
	}
	for _, tt := range tests {
		t.Run(http.StatusText(tt.code), func(t *testing.T) {
			fake := newFake(t, fixed(tt.code, tt.body))
			_, err := newTestClient(t, testConfig(fake.URL)).CreateSession(bg, sessionBasic())
			apiErr, ok := IsAPIError(err)
			if !ok || apiErr.HTTPStatus != tt.code {
				t.Fatalf("err = %#v, want *APIError with HTTP %d", err, tt.code)
			}
			if apiErr.Operation != "create session" || !strings.Contains(err.Error(), "placetopay: create session: HTTP ") {
				t.Errorf("error text %q", err)
			}
			if fake.hits() != 1 {
				t.Errorf("%d requests, want 1", fake.hits())
			}
		})
	}
}

// A 2xx answer that cannot be read leaves the outcome unknown: a *TransportError, never a
// success or an *APIError, and never retried.
func TestMalformedAnswers(t *testing.T) {
	tests := []struct{ name, body string }{
		{"not json", "<html>ok</html>"},
		{"no status", `{"requestId":1,"processUrl":"https://x/session/1/a"}`},
		{"no request id", `{"status":{"status":"OK","reason":"PC","date":"2026-03-10T09:30:00-05:00"},"processUrl":"https://x"}`},
		{"wrong types", `{"status":{"status":"OK","reason":"PC","date":"2026-03-10T09:30:00-05:00"},"requestId":{"id":1},"processUrl":"https://x"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := newFake(t, fixed(200, tt.body))
			obs := &recordingObserver{}
			cfg := testConfig(fake.URL)
			cfg.Observer = obs
			_, err := newTestClient(t, cfg).CreateSession(bg, sessionBasic())
			var te *TransportError
			if !errors.As(err, &te) {
				t.Fatalf("err = %v, want *TransportError", err)
			}
			if diff := cmp.Diff([]observedCall{{OpCreateSession, "malformed"}}, obs.calls); diff != "" {
				t.Errorf("observed (-want +got):\n%s", diff)
			}
		})
	}
}
