package sandbox

import (
	"fmt"
	"net/http"
)

// apiError is a refusal with PlacetoPay's HTTP status, reason and message.
type apiError struct {
	HTTPStatus int
	Reason     string
	Message    string
}

func (e *apiError) Error() string { return e.Message }

// refuse builds a refusal; the control API leaves reason empty.
func refuse(code int, reason, format string, args ...any) *apiError {
	return &apiError{HTTPStatus: code, Reason: reason, Message: fmt.Sprintf(format, args...)}
}

// invalid is PlacetoPay's refusal of a request that breaks a rule.
func invalid(format string, args ...any) *apiError {
	return refuse(http.StatusBadRequest, "request_not_valid", format, args...)
}

// sessionNotFound is the answer for an unknown requestId (docs/placetopay.md#cancel-a-session).
func sessionNotFound() *apiError {
	return refuse(http.StatusNotFound, "request_not_valid", "The requested session does not exist")
}

// invalidToken is the answer for an unknown or invalidated token (docs/placetopay.md#collect and #invalidate-a-token).
func invalidToken() *apiError {
	return refuse(http.StatusBadRequest, "XN", "The token used is invalid")
}

// in adapts a refusal to the API it is sent from: autopay uses BR for bad requests.
func (e *apiError) in(f flavour) *apiError {
	if f != autopayAPI || e.HTTPStatus != http.StatusBadRequest {
		return e
	}
	c := *e
	c.Reason = "BR"
	return &c
}
