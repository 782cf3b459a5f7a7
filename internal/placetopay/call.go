package placetopay

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"time"
)

// call is one PlacetoPay operation.
type call struct {
	op   string // Observer label: an Op constant
	desc string // error prefix, with the id when there is one: "query session 42"
	base string // c.base or c.autopayBase
	path string
	body any  // the request without auth; nil sends {"auth": …} alone
	safe bool // repeatable: retried on transport errors, 5xx and 429
	// check, when set, vets a decoded success; its error makes the answer malformed.
	check func() error
}

// do runs k, decodes a successful answer into out and reports the call to the Observer.
func (c *Client) do(ctx context.Context, k call, out any) error {
	start := time.Now()
	err := c.run(ctx, k, out)
	c.observer.ObserveCall(k.op, outcomeOf(err), time.Since(start))
	return err
}

// refuse reports a request that failed validation and was never sent.
func (c *Client) refuse(op, desc string, err *ValidationError) error {
	err.Operation = desc
	c.observer.ObserveCall(op, outcomeOf(err), 0)
	return err
}

func (c *Client) run(ctx context.Context, k call, out any) error {
	if k.base == "" {
		return fmt.Errorf("placetopay: %s: Config.AutopayURL is not set", k.desc)
	}
	payload := []byte("{}")
	if k.body != nil {
		var err error
		if payload, err = json.Marshal(k.body); err != nil {
			return fmt.Errorf("placetopay: %s: encode request: %w", k.desc, err)
		}
	}
	attempts := 1
	if k.safe {
		attempts = c.maxAttempts
	}
	for i := 0; ; i++ {
		retry, err := c.attempt(ctx, k, payload, out)
		if err == nil || !retry || i+1 >= attempts || ctx.Err() != nil {
			return err
		}
		if werr := c.wait(ctx, i); werr != nil {
			return &TransportError{Operation: k.desc, Err: fmt.Errorf("%w; last attempt: %v", werr, err)}
		}
	}
}

// attempt sends one request with a fresh nonce and seed. It reports whether a failure may be
// retried (for safe operations): transport errors, 5xx and 429.
func (c *Client) attempt(ctx context.Context, k call, payload []byte, out any) (retry bool, err error) {
	if err := ctx.Err(); err != nil {
		return false, &TransportError{Operation: k.desc, Err: err}
	}
	a, err := c.auth.Auth()
	if err != nil {
		return false, fmt.Errorf("placetopay: %s: %w", k.desc, err)
	}
	actx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(actx, http.MethodPost, k.base+k.path, bytes.NewReader(withAuth(a, payload)))
	if err != nil {
		return false, fmt.Errorf("placetopay: %s: %w", k.desc, err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	resp, err := c.http.Do(req)
	if err != nil {
		return true, &TransportError{Operation: k.desc, Err: err}
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, MaxResponseBytes+1))
	if err != nil {
		return true, &TransportError{Operation: k.desc, Err: err}
	}
	if len(raw) > MaxResponseBytes {
		return false, malformed(k.desc, fmt.Errorf("HTTP %d answer larger than %d bytes", resp.StatusCode, MaxResponseBytes))
	}
	return c.decode(k, resp.StatusCode, raw, out)
}

// decode turns an answer into out or into an *APIError (non-2xx, or a FAILED status). A 2xx
// answer without a readable status is malformed: what happened is unknown.
func (c *Client) decode(k call, code int, raw []byte, out any) (retry bool, err error) {
	desc := k.desc
	st, ok := parseStatus(raw)
	if ok {
		if t, err := st.Time(); err == nil {
			c.observer.ObserveSeedSkew(t.Sub(c.now()))
		}
	}
	if code < 200 || code > 299 {
		if !ok {
			st = Status{Message: String(http.StatusText(code))}
		}
		e := &APIError{Operation: desc, HTTPStatus: code, Status: st}
		return e.Temporary(), e
	}
	if !ok {
		return false, malformed(desc, fmt.Errorf("HTTP %d answer has no status", code))
	}
	if st.Status == StatusFailed {
		return false, &APIError{Operation: desc, HTTPStatus: code, Status: st}
	}
	if err := json.Unmarshal(raw, out); err != nil {
		return false, malformed(desc, fmt.Errorf("decode HTTP %d answer: %w", code, err))
	}
	if k.check != nil {
		if err := k.check(); err != nil {
			return false, malformed(desc, err)
		}
	}
	return false, nil
}

// parseStatus reads the status object of an answer: {"status": {…}}, or a bare status object
// at the top level, as the autopay API sends some errors ({"status": "FAILED", "reason": …}).
func parseStatus(raw []byte) (Status, bool) {
	var env struct {
		Status json.RawMessage `json:"status"`
	}
	if json.Unmarshal(raw, &env) != nil || len(env.Status) == 0 {
		return Status{}, false
	}
	src := []byte(env.Status)
	if src[0] == '"' {
		src = raw
	}
	var st Status
	if json.Unmarshal(src, &st) != nil || st.Status == "" {
		return Status{}, false
	}
	return st, true
}

// withAuth writes {"auth": a, …payload's members}. payload is a JSON object.
func withAuth(a Auth, payload []byte) []byte {
	head, _ := json.Marshal(struct {
		Auth Auth `json:"auth"`
	}{a}) // strings only: cannot fail
	if len(bytes.TrimSpace(payload)) <= 2 {
		return head
	}
	head = append(head[:len(head)-1], ',')
	return append(head, bytes.TrimSpace(payload)[1:]...)
}

// wait sleeps before attempt i+1: jittered exponential backoff, cut short by ctx.
func (c *Client) wait(ctx context.Context, i int) error {
	d := c.backoff << min(i, 30)
	if d > c.maxWait || d <= 0 {
		d = c.maxWait
	}
	d = d/2 + rand.N(d/2+1) // "equal jitter": never zero, never more than d
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// MalformedError is an answer that arrived but could not be read: not JSON, no status, too
// large, or a value of a type or form the client cannot decode. PlacetoPay was reached; the
// outcome is unknown. It comes wrapped in a *TransportError.
type MalformedError struct{ Err error }

func (e *MalformedError) Error() string { return e.Err.Error() }
func (e *MalformedError) Unwrap() error { return e.Err }

func malformed(desc string, err error) *TransportError {
	return &TransportError{Operation: desc, Err: &MalformedError{err}}
}

// transportKind names a TransportError for the Observer.
func transportKind(err error) string {
	var m *MalformedError
	var ne net.Error
	switch {
	case errors.As(err, &m):
		return "malformed"
	case errors.Is(err, context.Canceled):
		return "canceled"
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		return "timeout"
	}
	return "transport"
}
