package orders

import (
	"errors"
	"fmt"
)

// Error codes: the whole error vocabulary of the domain. internal/http maps each to an HTTP
// status in one place.
const (
	EInvalid      = "invalid"      // the request is well formed but breaks a rule
	ENotFound     = "not_found"    // the thing asked for does not exist
	EConflict     = "conflict"     // the request clashes with the current state
	EUnauthorized = "unauthorized" // no valid credentials
	EForbidden    = "forbidden"    // valid credentials that may not do this
	EUnavailable  = "unavailable"  // a dependency (PlacetoPay) is failing
	EGone         = "gone"         // what was asked for existed and was deleted for good (retention)
	EInternal     = "internal"     // a bug or an outage; details stay in the log
)

// Error is a domain error: a code from the vocabulary above, a message safe to show the
// caller, and the request field it concerns, if any.
type Error struct {
	Code    string
	Message string
	Field   string
	// RetryAfter, in seconds, marks a conflict that passes by itself (another request is
	// still working on the order): the answer says when to try again, and it is not kept
	// under the request's Idempotency-Key, so that the retry runs.
	RetryAfter int
}

func (e *Error) Error() string {
	if e.Field != "" {
		return fmt.Sprintf("%s: %s: %s", e.Code, e.Field, e.Message)
	}
	return fmt.Sprintf("%s: %s", e.Code, e.Message)
}

// Errorf returns a domain error with code and a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// busyf returns a conflict that passes by itself: retry after the given seconds.
func busyf(seconds int, format string, args ...any) *Error {
	return &Error{Code: EConflict, Message: fmt.Sprintf(format, args...), RetryAfter: seconds}
}

// invalidField returns an EInvalid error that names the request field at fault.
func invalidField(field, format string, args ...any) *Error {
	return &Error{Code: EInvalid, Field: field, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of the domain error in err's chain, or EInternal for any other
// non-nil error.
func ErrorCode(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return EInternal
}

// wrap adds the operation and the id to an internal error; domain errors go out as they are.
func wrap(op string, id fmt.Stringer, err error) error {
	if ErrorCode(err) != EInternal {
		return err
	}
	return fmt.Errorf("orders: %s %s: %w", op, id, err)
}
