package placetopay

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
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

// AuthCode returns the authentication failure code (100 to 107, API-NOTES §1.5) parsed from
// the end of the message, and whether this is an authentication failure at all.
func (e *APIError) AuthCode() (int, bool) {
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
// PlacetoPay's documented rules; Rule names the rule, Field the field at fault.
type ValidationError struct {
	Field string
	Rule  string
}

func (e *ValidationError) Error() string {
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
