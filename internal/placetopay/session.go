package placetopay

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
)

// CancelSessionResponse is the answer to POST /api/session/{requestId}/cancel: an OK
// operation status and the session, now REJECTED with reason MC.
type CancelSessionResponse struct {
	Status  Status              `json:"status"`
	Session *SessionInformation `json:"session,omitempty"`
}

// CreateSession opens a Checkout session (POST /api/session) after checking req against
// PlacetoPay's documented rules (a *ValidationError, and nothing sent, when it breaks one).
// It is never retried: on a *TransportError the session may or may not exist, and the
// caller must find out before opening another one.
func (c *Client) CreateSession(ctx context.Context, req CreateSessionRequest) (*CreateSessionResponse, error) {
	const desc = "create session"
	if err := validateCreateSession(req, c.now()); err != nil {
		return nil, c.refuse(OpCreateSession, desc, err)
	}
	return c.createSession(ctx, call{op: OpCreateSession, desc: desc, base: c.base, path: "/api/session", body: req})
}

func (c *Client) createSession(ctx context.Context, k call) (*CreateSessionResponse, error) {
	var out CreateSessionResponse
	// The caller must never store a session without an id: such an answer is malformed.
	k.check = func() error {
		if out.RequestID <= 0 || out.ProcessURL == "" {
			return errors.New("answer has no requestId or processUrl")
		}
		return nil
	}
	if err := c.do(ctx, k, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// QuerySession returns a session's state and payments (POST /api/session/{requestId}). It is
// safe to repeat and is retried on transport errors, 5xx and 429.
func (c *Client) QuerySession(ctx context.Context, requestID int64) (*SessionInformation, error) {
	desc := "query session " + strconv.FormatInt(requestID, 10)
	if requestID <= 0 {
		return nil, c.refuse(OpQuerySession, desc, &ValidationError{Field: "requestId", Rule: "must be positive"})
	}
	var out SessionInformation
	k := call{op: OpQuerySession, desc: desc, base: c.base, path: fmt.Sprintf("/api/session/%d", requestID), safe: true}
	if err := c.do(ctx, k, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// CancelSession cancels a session that has no approved or in-progress payment (POST
// /api/session/{requestId}/cancel); it is irreversible and never retried.
func (c *Client) CancelSession(ctx context.Context, requestID int64) (*CancelSessionResponse, error) {
	desc := "cancel session " + strconv.FormatInt(requestID, 10)
	if requestID <= 0 {
		return nil, c.refuse(OpCancelSession, desc, &ValidationError{Field: "requestId", Rule: "must be positive"})
	}
	var out CancelSessionResponse
	k := call{op: OpCancelSession, desc: desc, base: c.base, path: fmt.Sprintf("/api/session/%d/cancel", requestID)}
	if err := c.do(ctx, k, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// Autopays decodes the autopay enrolments of an autopay session query (nil when none).
func (s *SessionInformation) Autopays() ([]Autopay, error) {
	if len(s.Autopay) == 0 || string(s.Autopay) == "null" {
		return nil, nil
	}
	var list []Autopay
	if err := json.Unmarshal(s.Autopay, &list); err != nil {
		return nil, fmt.Errorf("placetopay: autopay: %w", err)
	}
	return list, nil
}
