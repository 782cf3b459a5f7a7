package sandbox

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	pp "github.com/placetopay-gateway/gateway/internal/placetopay"
)

// Control is a client of a sandbox's control API, for tests, demos and load runs: it pays
// sessions as the shopper would, moves the clock and reads the sandbox's own records. It
// sends the request bodies and decodes the records the handlers use, so it cannot drift
// from them. Every call ends with ctx or with HTTP's timeout, whichever comes first.
type Control struct {
	BaseURL string       // the sandbox's URL, without /sandbox
	HTTP    *http.Client // nil: a client with a 10 s timeout
}

var controlHTTP = &http.Client{Timeout: 10 * time.Second}

// ControlError is a call the control API refused. StatusCode says why: 400 a malformed
// body, 404 no such session or autopay, 409 not possible in its state, 422 a value it does
// not take (an unknown card, an amount, a duration).
type ControlError struct {
	Method, Path string
	StatusCode   int
	Body         string // the answer as sent: an RFC 9457 problem, its detail saying why
}

func (e *ControlError) Error() string {
	return fmt.Sprintf("sandbox: %s %s: HTTP %d: %s", e.Method, e.Path, e.StatusCode, strings.TrimSpace(e.Body))
}

// Pay pays all that is due on a session with a test card, as the shopper on the hosted
// page, and returns the session afterwards.
func (c Control) Pay(ctx context.Context, requestID int64, card string) (SessionRecord, error) {
	return c.pay(ctx, requestID, payRequest{Card: card})
}

// PayPart pays amount of a partial session with a test card.
func (c Control) PayPart(ctx context.Context, requestID int64, card string, amount pp.Decimal) (SessionRecord, error) {
	return c.pay(ctx, requestID, payRequest{Card: card, Amount: amount})
}

// PayAgain pays an approved session a second time, in full, with a test card that approves:
// a double payment, notified with the session's new approval date (payAgainLocked).
func (c Control) PayAgain(ctx context.Context, requestID int64, card string) (SessionRecord, error) {
	return c.pay(ctx, requestID, payRequest{Card: card, Again: true})
}

func (c Control) pay(ctx context.Context, requestID int64, req payRequest) (SessionRecord, error) {
	var s SessionRecord
	err := c.call(ctx, http.MethodPost, "/sandbox/sessions/"+strconv.FormatInt(requestID, 10)+"/pay", req, &s)
	return s, err
}

// Session reads the sandbox's own view of a session.
func (c Control) Session(ctx context.Context, requestID int64) (SessionRecord, error) {
	var s SessionRecord
	err := c.call(ctx, http.MethodGet, "/sandbox/sessions/"+strconv.FormatInt(requestID, 10), nil, &s)
	return s, err
}

// Advance moves the sandbox clock forward by d; whatever came due happens at once.
func (c Control) Advance(ctx context.Context, d time.Duration) error {
	return c.call(ctx, http.MethodPost, "/sandbox/clock", clockRequest{Advance: d.String()}, nil)
}

// Approvals lists every transaction the sandbox approved, oldest first.
func (c Control) Approvals(ctx context.Context) ([]TransactionRecord, error) {
	var list listRecord[TransactionRecord]
	err := c.call(ctx, http.MethodGet, "/sandbox/approvals", nil, &list)
	return list.Data, err
}

// Transactions lists every transaction the sandbox made, whatever its state, oldest first:
// approvals and also reversals (refunds), reauthorizations, declined and pending ones.
func (c Control) Transactions(ctx context.Context) ([]TransactionRecord, error) {
	var list listRecord[TransactionRecord]
	err := c.call(ctx, http.MethodGet, "/sandbox/transactions", nil, &list)
	return list.Data, err
}

// Refund refunds a transaction as PlacetoPay's panel does: amount of it, or everything it
// has left when amount is empty, with no notification. It returns the transaction after.
func (c Control) Refund(ctx context.Context, internalReference int64, amount pp.Decimal) (TransactionRecord, error) {
	var out TransactionRecord
	err := c.call(ctx, http.MethodPost, "/sandbox/transactions/"+strconv.FormatInt(internalReference, 10)+"/refund",
		refundRequest{Amount: amount}, &out)
	return out, err
}

// Notifications lists every notification the sandbox decided, oldest first.
func (c Control) Notifications(ctx context.Context) ([]NotificationRecord, error) {
	var list listRecord[NotificationRecord]
	err := c.call(ctx, http.MethodGet, "/sandbox/notifications", nil, &list)
	return list.Data, err
}

// SetFaults replaces the notification faults and reseeds their generator.
func (c Control) SetFaults(ctx context.Context, f Faults) error {
	return c.call(ctx, http.MethodPut, "/sandbox/notifications/faults", recordOfFaults(f), nil)
}

// SetAPIFaults replaces the faults of PlacetoPay's API, by operation ("transaction",
// "query", …; api_faults.go); nil or empty clears them.
func (c Control) SetAPIFaults(ctx context.Context, faults map[string]APIFault) error {
	return c.call(ctx, http.MethodPut, "/sandbox/faults", recordOfAPIFaults(faults), nil)
}

// SetConditions replaces the conditions of PlacetoPay's API (error and hang rates, an
// outage, slow notifications; conditions.go); the zero Conditions clears them.
func (c Control) SetConditions(ctx context.Context, cond Conditions) error {
	return c.call(ctx, http.MethodPost, "/sandbox/faults", recordOfConditions(cond), nil)
}

// ClearFaults clears the conditions and every API fault.
func (c Control) ClearFaults(ctx context.Context) error {
	return c.call(ctx, http.MethodDelete, "/sandbox/faults", nil, nil)
}

// RecurringCharge makes the next charge of an approved recurring session now, APPROVED or
// REJECTED as status says ("" is APPROVED).
func (c Control) RecurringCharge(ctx context.Context, requestID int64, status string) (RecurringChargeRecord, error) {
	var out RecurringChargeRecord
	err := c.call(ctx, http.MethodPost, "/sandbox/sessions/"+strconv.FormatInt(requestID, 10)+"/recurring-charge",
		recurringChargeRequest{Status: status}, &out)
	return out, err
}

// AutopayCharge is a charge of an autopay's token that a test makes when it wants to.
type AutopayCharge struct {
	Amount      *pp.AmountBase // nil: a FIXED autopay's amount
	Fail        bool           // declined, with an AUTOPAY_TRANSACTION_FAILED webhook
	Settlements int            // how many times an approved charge's settlement is posted: 0 is once
}

// ChargeAutopay charges an active autopay's token.
func (c Control) ChargeAutopay(ctx context.Context, autopayID string, charge AutopayCharge) (ChargeRecord, error) {
	req := autopayChargeRequest{Settlements: charge.Settlements}
	if charge.Amount != nil {
		req.Amount = &amountRequest{Currency: charge.Amount.Currency, Total: charge.Amount.Total}
	}
	if charge.Fail {
		req.Outcome = "fail"
	}
	var out ChargeRecord
	err := c.call(ctx, http.MethodPost, "/sandbox/autopay/"+autopayID+"/charge", req, &out)
	return out, err
}

// AutopayCalls lists every autopay webhook and settlement the sandbox decided, oldest first.
func (c Control) AutopayCalls(ctx context.Context) ([]AutopayCall, error) {
	var list listRecord[AutopayCall]
	err := c.call(ctx, http.MethodGet, "/sandbox/autopay/calls", nil, &list)
	return list.Data, err
}

// call sends body, if any, as JSON and decodes a 200 answer into out, if any.
func (c Control) call(ctx context.Context, method, path string, body, out any) error {
	var payload io.Reader
	if body != nil {
		raw, err := json.Marshal(body)
		if err != nil {
			return fmt.Errorf("sandbox: %s %s: %w", method, path, err)
		}
		payload = bytes.NewReader(raw)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.BaseURL+path, payload)
	if err != nil {
		return fmt.Errorf("sandbox: %s %s: %w", method, path, err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	client := c.HTTP
	if client == nil {
		client = controlHTTP
	}
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("sandbox: %s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return fmt.Errorf("sandbox: %s %s: read the answer: %w", method, path, err)
	}
	if resp.StatusCode != http.StatusOK {
		return &ControlError{Method: method, Path: path, StatusCode: resp.StatusCode, Body: string(raw)}
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(raw, out); err != nil {
		return fmt.Errorf("sandbox: %s %s: decode %.200s: %w", method, path, raw, err)
	}
	return nil
}
