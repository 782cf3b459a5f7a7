package loadtest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"strconv"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/placetopay-gateway/gateway/internal/placetopay/sandbox"
)

// Client is a storefront backend and a shopper: it calls the merchant API of one or more
// gateway replicas and pays through the sandbox's control API.
type Client struct {
	HTTP    *http.Client
	Bases   []string        // gateway public URLs; calls rotate over them
	Key     string          // merchant API key
	Sandbox sandbox.Control // the sandbox's control API, over the same HTTP client
	// Retry is how long a merchant API call is retried, with the same Idempotency-Key, after
	// a transport error, a 5xx or a 409 (a request still in flight at a replica that died,
	// or an action of the order whose outcome is still being checked). An answer the gateway
	// replays for the key is final and not retried. Zero: one attempt, and every failure is
	// reported. Sandbox calls are never retried.
	Retry time.Duration

	next atomic.Uint64
}

// NewClient returns a client with pooled keep-alive connections and a 10 s timeout per call.
func NewClient(bases []string, key, sandboxURL string) *Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConns, tr.MaxIdleConnsPerHost = 1024, 1024
	client := &http.Client{Transport: tr, Timeout: 10 * time.Second}
	return &Client{HTTP: client, Bases: bases, Key: key, Sandbox: sandbox.Control{BaseURL: sandboxURL, HTTP: client}}
}

// Via is the same client, whose next call goes to base (one of Bases) first: its retries go
// on to the next replicas as usual. It lets a run kill the replica a call is sent to.
func (c *Client) Via(base string) *Client {
	i := max(slices.Index(c.Bases, base), 0)
	bases := append(append([]string{}, c.Bases[i:]...), c.Bases[:i]...)
	return &Client{HTTP: c.HTTP, Bases: bases, Key: c.Key, Sandbox: c.Sandbox, Retry: c.Retry}
}

// Error is a failed call: the step it belongs to and what went wrong, as a short kind
// ("http 500", "timeout", "refused", …) that reports group by.
type Error struct {
	Step string
	Kind string
	Body string
	// Replayed is an answer the gateway stored for the call's Idempotency-Key: the same
	// answer comes back to every retry, so none is tried.
	Replayed bool
}

func (e *Error) Error() string { return e.Step + ": " + e.Kind + " " + e.Body }

// Kind is "step: kind" for an *Error, else "other".
func Kind(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Step + ": " + e.Kind
	}
	return "other: " + err.Error()
}

// Order is the part of an order the flows read.
type Order struct {
	ID           string `json:"id"`
	Reference    string `json:"reference"`
	Status       string `json:"status"`
	ClientSecret string `json:"clientSecret"`
}

// Session is an opened checkout session.
type Session struct {
	RequestID  int64  `json:"requestId"`
	ProcessURL string `json:"processUrl"`
}

// CreateOrder creates an order for total (a decimal string) in currency.
func (c *Client) CreateOrder(ctx context.Context, reference, total, currency string) (Order, error) {
	body := map[string]any{"reference": reference, "description": "load test order",
		"amount": map[string]string{"currency": currency, "total": total}, "returnUrl": "https://shop.example/thanks"}
	var o Order
	err := c.gateway(ctx, "create-order", http.MethodPost, "/v1/orders", "create-"+reference, body, &o, http.StatusCreated)
	return o, err
}

// Checkout opens the order's PlacetoPay session.
func (c *Client) Checkout(ctx context.Context, orderID string) (Session, error) {
	return c.checkout(ctx, orderID, map[string]any{})
}

// CheckoutHold opens the order's session as a preauthorization (type checkin): an approved
// card holds the amount, and the order is authorized until it is captured.
func (c *Client) CheckoutHold(ctx context.Context, orderID string) (Session, error) {
	return c.checkout(ctx, orderID, map[string]any{"type": "checkin"})
}

func (c *Client) checkout(ctx context.Context, orderID string, body map[string]any) (Session, error) {
	var s Session
	err := c.gateway(ctx, "checkout", http.MethodPost, "/v1/orders/"+orderID+"/checkout", "checkout-"+orderID,
		body, &s, http.StatusCreated)
	if err == nil && (s.RequestID == 0 || s.ProcessURL == "") {
		err = &Error{Step: "checkout", Kind: "no requestId"}
	}
	return s, err
}

// Order reads an order with the API key.
func (c *Client) Order(ctx context.Context, id string) (Order, error) {
	var o Order
	err := c.gateway(ctx, "read-order", http.MethodGet, "/v1/orders/"+id, "", nil, &o, http.StatusOK)
	return o, err
}

// Refund is a refund as the merchant API answers it.
type Refund struct {
	ID     string `json:"id"`
	Status string `json:"status"` // succeeded, or unknown: PlacetoPay did not confirm it and the gateway checks
}

// Refund refunds total (a decimal string; empty: everything left) of the order. n numbers
// the order's refunds: every retry of one sends the same Idempotency-Key, so that a retry
// after a lost answer never asks for a second refund.
func (c *Client) Refund(ctx context.Context, orderID string, n int, total, currency string) (Refund, error) {
	body := map[string]any{}
	if total != "" {
		body["amount"] = map[string]string{"currency": currency, "total": total}
	}
	var r Refund
	err := c.gateway(ctx, "refund", http.MethodPost, "/v1/orders/"+orderID+"/refunds", "refund-"+orderID+"-"+strconv.Itoa(n),
		body, &r, http.StatusCreated, http.StatusAccepted)
	return r, err
}

// Capture takes total (a decimal string; empty: all that is held) of the order's
// preauthorization; the order becomes paid with what was captured.
func (c *Client) Capture(ctx context.Context, orderID, total, currency string) (Order, error) {
	body := map[string]any{}
	if total != "" {
		body["amount"] = map[string]string{"currency": currency, "total": total}
	}
	var o Order
	err := c.gateway(ctx, "capture", http.MethodPost, "/v1/orders/"+orderID+"/capture", "capture-"+orderID, body, &o, http.StatusOK)
	return o, err
}

// Pay pays the session with a sandbox test card, as the shopper on the hosted page. It is
// never retried; its failures are reported as the step "pay".
func (c *Client) Pay(ctx context.Context, requestID int64, card string) error {
	_, err := c.Sandbox.Pay(ctx, requestID, card)
	var refused *sandbox.ControlError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &refused):
		return &Error{Step: "pay", Kind: "http " + strconv.Itoa(refused.StatusCode), Body: string(truncate([]byte(refused.Body), 300))}
	}
	return &Error{Step: "pay", Kind: transportKind(err)}
}

// WaitStatus reads the order as the shopper's return page does (with its client secret)
// every poll until its status is one of want, or ctx ends.
func (c *Client) WaitStatus(ctx context.Context, o Order, poll time.Duration, want ...string) (string, error) {
	for {
		var got Order
		err := c.callSecret(ctx, o, &got)
		if err == nil {
			for _, w := range want {
				if got.Status == w {
					return got.Status, nil
				}
			}
		}
		select {
		case <-ctx.Done():
			return got.Status, &Error{Step: "wait-" + want[0], Kind: "timeout", Body: "last status " + got.Status}
		case <-time.After(poll):
		}
	}
}

func (c *Client) callSecret(ctx context.Context, o Order, out any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.base()+"/v1/orders/"+o.ID, nil)
	if err != nil {
		return err
	}
	req.Header.Set("X-Client-Secret", o.ClientSecret)
	return c.send(req, "read-order", out, http.StatusOK)
}

func (c *Client) base() string {
	return c.Bases[int(c.next.Add(1)-1)%len(c.Bases)]
}

// gateway calls the merchant API on the next replica, retrying as Retry allows, and decodes
// an answer with one of the statuses it wants into out.
func (c *Client) gateway(ctx context.Context, step, method, path, idemKey string, body, out any, want ...int) error {
	var payload []byte
	if body != nil {
		var err error
		if payload, err = json.Marshal(body); err != nil {
			return err
		}
	}
	retry := c.Retry
	deadline := time.Now().Add(retry)
	wait := 50 * time.Millisecond
	for {
		req, err := http.NewRequestWithContext(ctx, method, c.base()+path, bytes.NewReader(payload))
		if err != nil {
			return err
		}
		if body != nil {
			req.Header.Set("Content-Type", "application/json")
		}
		req.Header.Set("Authorization", "Bearer "+c.Key)
		if idemKey != "" {
			req.Header.Set("Idempotency-Key", idemKey)
		}
		err = c.send(req, step, out, want...)
		var e *Error
		if err == nil || !errors.As(err, &e) || e.Replayed || !retryable(e) || retry == 0 || time.Now().After(deadline) || ctx.Err() != nil {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(wait):
		}
		wait = min(wait*2, time.Second)
	}
}

func retryable(e *Error) bool {
	switch e.Kind {
	case "refused", "reset", "timeout", "eof", "transport", "http 409", "http 500", "http 502", "http 503", "http 504":
		return true
	}
	return false
}

func (c *Client) send(req *http.Request, step string, out any, want ...int) error {
	resp, err := c.HTTP.Do(req)
	if err != nil {
		return &Error{Step: step, Kind: transportKind(err)}
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return &Error{Step: step, Kind: transportKind(err)}
	}
	if !slices.Contains(want, resp.StatusCode) {
		return &Error{Step: step, Kind: "http " + strconv.Itoa(resp.StatusCode), Body: string(truncate(raw, 300)),
			Replayed: resp.Header.Get("Idempotent-Replayed") == "true"}
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			return &Error{Step: step, Kind: "bad json", Body: err.Error()}
		}
	}
	return nil
}

func transportKind(err error) string {
	var ne net.Error
	switch {
	case errors.As(err, &ne) && ne.Timeout():
		return "timeout"
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "eof"
	case errors.Is(err, syscall.ECONNREFUSED):
		return "refused"
	case errors.Is(err, syscall.ECONNRESET):
		return "reset"
	}
	return "transport"
}

func truncate(b []byte, n int) []byte {
	if len(b) > n {
		return b[:n]
	}
	return b
}

// Amount formats minor units as a two-decimal string.
func Amount(minor int64) string { return fmt.Sprintf("%d.%02d", minor/100, minor%100) }
