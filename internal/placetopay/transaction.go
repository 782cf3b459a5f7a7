package placetopay

import (
	"context"
	"strconv"
)

// Transaction actions of POST /api/transaction (docs/placetopay.md#transaction-actions).
const (
	// ActionCheckout closes a checkin preauthorization: it captures Amount, or releases the
	// hold when Amount.Total is 0.
	ActionCheckout = "checkout"
	// ActionReauthorization changes the amount held by a checkin preauthorization.
	ActionReauthorization = "reauthorization"
	// ActionReverse refunds an approved payment, fully or (with Amount) partially.
	ActionReverse = "reverse"
	// ActionConfirm confirms a PENDING_CONFIRMATION transaction.
	ActionConfirm = "confirm"
	// ActionCancel cancels a PENDING_CONFIRMATION transaction.
	ActionCancel = "cancel"
)

// TransactionRequest is POST /api/transaction without auth.
type TransactionRequest struct {
	InternalReference Int64   `json:"internalReference"`
	Action            string  `json:"action"`
	Amount            *Amount `json:"amount,omitempty"`
}

// TransactionResponse is the answer to a transaction action or a legacy reverse: the
// operation status and the transaction it produced or changed.
type TransactionResponse struct {
	Status  Status       `json:"status"`
	Payment *Transaction `json:"payment,omitempty"`
}

// TransactionAction runs an action on a transaction (POST /api/transaction). Checkout and
// reauthorization need an amount; reverse takes one for a partial refund; confirm and cancel
// take none. It is never retried: on a *TransportError query the session to learn whether
// the action happened.
func (c *Client) TransactionAction(ctx context.Context, req TransactionRequest) (*TransactionResponse, error) {
	desc := "transaction " + req.Action + " " + strconv.FormatInt(int64(req.InternalReference), 10)
	op := opTransactionPrefix + req.Action
	if err := validateTransaction(req); err != nil {
		if err.Field == "action" {
			op, desc = opTransactionPrefix+"invalid", "transaction"
		}
		return nil, c.refuse(op, desc, err)
	}
	var out TransactionResponse
	k := call{op: op, desc: desc, base: c.base, path: "/api/transaction", body: req}
	if err := c.do(ctx, k, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// ReverseRequest is the legacy POST /api/reverse without auth.
type ReverseRequest struct {
	InternalReference Int64   `json:"internalReference"`
	Amount            *Amount `json:"amount,omitempty"`
}

// Reverse refunds an approved payment through the legacy POST /api/reverse, which every
// official SDK still calls although the current docs replaced it with TransactionAction
// and ActionReverse. It is never retried. A transaction already reversed is an *APIError
// with reason BR.
func (c *Client) Reverse(ctx context.Context, req ReverseRequest) (*TransactionResponse, error) {
	desc := "reverse " + strconv.FormatInt(int64(req.InternalReference), 10)
	if err := validateReverse(req); err != nil {
		return nil, c.refuse(OpReverse, desc, err)
	}
	var out TransactionResponse
	k := call{op: OpReverse, desc: desc, base: c.base, path: "/api/reverse", body: req}
	if err := c.do(ctx, k, &out); err != nil {
		return nil, err
	}
	return &out, nil
}
