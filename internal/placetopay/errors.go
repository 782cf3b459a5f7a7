package placetopay

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// APIError is a PlacetoPay answer that is not a success: a non-2xx status or a FAILED status
// object. It carries what PlacetoPay said.
type APIError struct {
	Operation  string // e.g. "create session", "query session 42"
	HTTPStatus int
	Status     Status
}

func (e *APIError) Error() string {
	msg := string(e.Status.Message)
	if msg == "" {
		msg = e.Status.Status
	}
	return fmt.Sprintf("placetopay: %s: HTTP %d, reason %q: %s", e.Operation, e.HTTPStatus, string(e.Status.Reason), msg)
}

// Reason returns PlacetoPay's reason code ("request_not_valid", "XN", "401", …).
func (e *APIError) Reason() string { return string(e.Status.Reason) }

var authCodeRE = regexp.MustCompile(`(\d{3,5})\s*$`)

// autopayMissingAuth starts the autopay API's answer to an auth object with missing fields,
// which it sends as HTTP 400 instead of Checkout's 401 code 100 (docs/placetopay.md#authentication-errors).
const autopayMissingAuth = "authentication does not include all required parameters"

// AuthCode returns the authentication failure code (100 to 107, docs/placetopay.md#authentication-errors) parsed from
// the end of the message, and whether this is an authentication failure at all. The autopay
// API's 400 "authentication does not include all required parameters" is reported as 100.
func (e *APIError) AuthCode() (int, bool) {
	if strings.HasPrefix(strings.ToLower(string(e.Status.Message)), autopayMissingAuth) {
		return 100, true
	}
	if string(e.Status.Reason) != "401" && e.HTTPStatus != 401 {
		return 0, false
	}
	m := authCodeRE.FindStringSubmatch(string(e.Status.Message))
	if m == nil {
		return 0, e.HTTPStatus == 401 && string(e.Status.Reason) == "401"
	}
	code, _ := strconv.Atoi(m[1])
	return code, true
}

// Temporary reports whether retrying the same request later may succeed: PlacetoPay or the
// network failing rather than PlacetoPay refusing the request.
func (e *APIError) Temporary() bool { return e.HTTPStatus >= 500 || e.HTTPStatus == 429 }

// ValidationError is a request the client refused to send because it breaks one of
// PlacetoPay's documented rules; Rule names the rule, Field the field at fault (as a JSON
// path: "payment.dispersion[1].amount.currency"). Operation, when set, names the call.
// None of them ever holds a value from the request.
type ValidationError struct {
	Field     string
	Rule      string
	Operation string
}

func (e *ValidationError) Error() string {
	if e.Operation != "" {
		return fmt.Sprintf("placetopay: %s: invalid request: %s: %s", e.Operation, e.Field, e.Rule)
	}
	return fmt.Sprintf("placetopay: invalid request: %s: %s", e.Field, e.Rule)
}

// TransportError is a call whose outcome is unknown: no answer, a timeout, or a body that
// could not be read. For operations that are not safe to repeat, the caller must find out
// what happened (query) instead of retrying.
type TransportError struct {
	Operation string
	Err       error
}

func (e *TransportError) Error() string {
	return fmt.Sprintf("placetopay: %s: %v", e.Operation, e.Err)
}

func (e *TransportError) Unwrap() error { return e.Err }

// IsAPIError returns err's APIError, if it has one.
func IsAPIError(err error) (*APIError, bool) {
	var e *APIError
	ok := errors.As(err, &e)
	return e, ok
}

// SessionUnknown reports whether PlacetoPay's answer to a query or cancel of a session says
// that the session does not exist for this site (docs/placetopay.md#a-session-placetopay-does-not-know):
//   - 404 request_not_valid, "The requested session does not exist" (a 404 with reason NA is a
//     wrong path, not an unknown session);
//   - FAILED with "No existe la sesión…", which older versions answered with HTTP 200;
//   - 401 unauthorized, "La sesión no pertenece a su sitio": it belongs to another site. An
//     authentication failure is also a 401, but its reason is the number 401.
func SessionUnknown(e *APIError) bool {
	reason := string(e.Status.Reason)
	msg := strings.ToLower(string(e.Status.Message))
	switch e.HTTPStatus {
	case 404:
		return reason == "request_not_valid"
	case 401:
		return reason == "unauthorized"
	default:
		return e.Status.Status == "FAILED" && strings.Contains(msg, "no existe la sesi")
	}
}
