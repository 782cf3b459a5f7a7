package placetopay

import (
	"context"
	"fmt"
	"strconv"
)

// Autopay is an enrolment in automatic payments, as session queries and searches return it.
type Autopay struct {
	ID           string               `json:"id"`
	Status       Status               `json:"status"`
	SiteID       Int64                `json:"siteId,omitempty"`
	Payer        *Person              `json:"payer,omitempty"`
	Buyer        *Person              `json:"buyer,omitempty"`
	Subscription *AutopaySubscription `json:"subscription,omitempty"`
	Instrument   *Instrument          `json:"instrument,omitempty"`
	Additional   *AutopayAdditional   `json:"additional,omitempty"`
	AcceptedAt   string               `json:"acceptedAt,omitempty"`
	CreatedAt    string               `json:"createdAt,omitempty"`
	UpdatedAt    string               `json:"updatedAt,omitempty"`
}

// AutopaySubscription is what an autopay charges: a reference, and a schedule with a fixed
// amount or a balance fetched from the merchant.
type AutopaySubscription struct {
	Reference   String            `json:"reference"`
	Description string            `json:"description,omitempty"`
	Amount      *Amount           `json:"amount,omitempty"`
	Recurring   *AutopayRecurring `json:"recurring,omitempty"`
}

// AutopayAdditional is merchant data attached to an autopay.
type AutopayAdditional struct {
	DueDay                Int64  `json:"dueDay,omitempty"`
	CustomerAccountNumber String `json:"customerAccountNumber,omitempty"`
	SessionID             string `json:"sessionId,omitempty"`
}

// DateRange is an inclusive range of dates (YYYY-MM-DD).
type DateRange struct {
	From string `json:"from,omitempty"`
	To   string `json:"to,omitempty"`
}

// PaginationRequest asks for one page of a list.
type PaginationRequest struct {
	PerPage     int `json:"perPage,omitempty"`
	CurrentPage int `json:"currentPage,omitempty"`
}

// Pagination describes the page a list answer holds.
type Pagination struct {
	Total       Int64 `json:"total"`
	PerPage     Int64 `json:"perPage"`
	CurrentPage Int64 `json:"currentPage"`
	LastPage    Int64 `json:"lastPage"`
}

// AutopaySearchFilters narrow an autopay search; every field is optional.
type AutopaySearchFilters struct {
	Reference   string     `json:"reference,omitempty"`
	ID          string     `json:"id,omitempty"`
	ChargeTypes []string   `json:"chargeTypes,omitempty"` // FIXED, MINIMUM_BALANCE, TOTAL_BALANCE
	Status      []string   `json:"status,omitempty"`      // APPROVED, REJECTED, FAILED
	CreatedAt   *DateRange `json:"createdAt,omitempty"`
}

// AutopaySearchRequest is POST /autopay/search without auth.
type AutopaySearchRequest struct {
	Filters    *AutopaySearchFilters `json:"filters,omitempty"`
	Pagination *PaginationRequest    `json:"pagination,omitempty"`
	Locale     string                `json:"locale,omitempty"`
}

// AutopaySearchResponse is one page of autopays.
type AutopaySearchResponse struct {
	Status     Status      `json:"status"`
	Data       []Autopay   `json:"data"`
	Pagination *Pagination `json:"pagination,omitempty"`
}

// AutopayCancelRequest is POST /autopay/cancel without auth.
type AutopayCancelRequest struct {
	ID     string `json:"id"`
	Locale string `json:"locale,omitempty"`
}

// AutopayCancelResponse is the answer to an autopay cancellation.
type AutopayCancelResponse struct {
	Status Status `json:"status"`
	ID     string `json:"id,omitempty"`
}

// AutopayTransactionFilters narrow an autopay's transaction list; every field is optional.
type AutopayTransactionFilters struct {
	InternalReference string      `json:"internalReference,omitempty"`
	Status            []string    `json:"status,omitempty"`
	Amount            *AmountBase `json:"amount,omitempty"`
	CreatedAt         *DateRange  `json:"createdAt,omitempty"`
}

// AutopayTransactionsRequest is POST /autopay/transactions without auth.
type AutopayTransactionsRequest struct {
	ID         string                     `json:"id"`
	Filters    *AutopayTransactionFilters `json:"filters,omitempty"`
	Pagination *PaginationRequest         `json:"pagination,omitempty"`
	Locale     string                     `json:"locale,omitempty"`
}

// AutopayTransactionsResponse is one page of an autopay's transactions.
type AutopayTransactionsResponse struct {
	Status     Status        `json:"status"`
	Data       []Transaction `json:"data"`
	Pagination *Pagination   `json:"pagination,omitempty"`
}

// CreateAutopaySession creates or edits an autopay (POST {AutopayURL}/autopay/session, a
// pass-through to a Checkout session with type autopay). An empty req.Type is set to
// autopay. It is never retried.
func (c *Client) CreateAutopaySession(ctx context.Context, req CreateSessionRequest) (*CreateSessionResponse, error) {
	const desc = "autopay session"
	if req.Type == "" {
		req.Type = SessionTypeAutopay
	}
	if err := validateAutopaySession(req, c.now()); err != nil {
		return nil, c.refuse(OpAutopaySession, desc, err)
	}
	return c.createSession(ctx, call{op: OpAutopaySession, desc: desc, base: c.autopayBase, path: "/autopay/session", body: req})
}

// QueryAutopaySession returns an autopay session with its enrolments (see
// SessionInformation.Autopays). It is retried like QuerySession.
func (c *Client) QueryAutopaySession(ctx context.Context, requestID int64) (*SessionInformation, error) {
	desc := "autopay query " + strconv.FormatInt(requestID, 10)
	if requestID <= 0 {
		return nil, c.refuse(OpAutopayQuery, desc, &ValidationError{Field: "requestId", Rule: "must be positive"})
	}
	var out SessionInformation
	k := call{op: OpAutopayQuery, desc: desc, base: c.autopayBase, path: fmt.Sprintf("/autopay/session/%d", requestID), safe: true}
	if err := c.do(ctx, k, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// SearchAutopay lists autopays (POST /autopay/search). It is safe to repeat and retried.
func (c *Client) SearchAutopay(ctx context.Context, req AutopaySearchRequest) (*AutopaySearchResponse, error) {
	const desc = "autopay search"
	if err := validateAutopaySearch(req); err != nil {
		return nil, c.refuse(OpAutopaySearch, desc, err)
	}
	var out AutopaySearchResponse
	k := call{op: OpAutopaySearch, desc: desc, base: c.autopayBase, path: "/autopay/search", body: req, safe: true}
	if err := c.do(ctx, k, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// CancelAutopay cancels an autopay (POST /autopay/cancel). It is never retried.
func (c *Client) CancelAutopay(ctx context.Context, req AutopayCancelRequest) (*AutopayCancelResponse, error) {
	const desc = "autopay cancel"
	if err := validateAutopayCancel(req); err != nil {
		return nil, c.refuse(OpAutopayCancel, desc, err)
	}
	var out AutopayCancelResponse
	k := call{op: OpAutopayCancel, desc: desc, base: c.autopayBase, path: "/autopay/cancel", body: req}
	if err := c.do(ctx, k, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// AutopayTransactions lists an autopay's charges (POST /autopay/transactions). It is safe
// to repeat and retried.
func (c *Client) AutopayTransactions(ctx context.Context, req AutopayTransactionsRequest) (*AutopayTransactionsResponse, error) {
	const desc = "autopay transactions"
	if err := validateAutopayTransactions(req); err != nil {
		return nil, c.refuse(OpAutopayTransactions, desc, err)
	}
	var out AutopayTransactionsResponse
	k := call{op: OpAutopayTransactions, desc: desc, base: c.autopayBase, path: "/autopay/transactions", body: req, safe: true}
	if err := c.do(ctx, k, &out); err != nil {
		return nil, err
	}
	return &out, nil
}
