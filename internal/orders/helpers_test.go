package orders

import (
	"errors"
	"testing"
)

// domainError returns err as a domain *Error, failing the test when it is not one.
func domainError(t *testing.T, err error) *Error {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v (%T) is not an *orders.Error", err, err)
	}
	return e
}

// wantError fails the test unless err is a domain error with code and field.
func wantError(t *testing.T, err error, code, field string) {
	t.Helper()
	if err == nil {
		t.Fatalf("error = nil, want %s on field %q", code, field)
	}
	e := domainError(t, err)
	if e.Code != code || e.Field != field {
		t.Fatalf("error = %v; want code %q, field %q", err, code, field)
	}
}
