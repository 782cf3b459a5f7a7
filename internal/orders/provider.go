package orders

import (
	"context"
	"encoding/json"
	"fmt"
	"time"
)

// Provider is what the orders domain needs from PlacetoPay. internal/placetopay satisfies it.
type Provider interface {
	// CreateSession opens a Checkout session. Its error is a *ProviderError when PlacetoPay
	// answered (the request was refused or PlacetoPay failed), anything else when the outcome
	// is unknown (timeout, connection lost).
	CreateSession(ctx context.Context, p SessionRequest) (CreatedSession, error)
	// QuerySession returns what PlacetoPay says of a session now. Its error is an
	// *UnreadableAnswerError when PlacetoPay answered something the gateway cannot read, a
	// *SessionUnknownError when it says the session does not exist, a *ProviderError when
	// it answered with another failure, anything else when it could not be reached.
	QuerySession(ctx context.Context, requestID int64) (ProviderSession, error)
	// CancelSession cancels a pending session, so no payment can land on it afterwards. A
	// session that is no longer pending gives a refusing *ProviderError, one PlacetoPay
	// says does not exist a *SessionUnknownError.
	CancelSession(ctx context.Context, requestID int64) error
	// TransactionAction runs action (ActionReverse, ActionCheckout, ActionReauthorization,
	// ActionConfirm, ActionCancel) on the transaction internalReference through
	// /api/transaction, with amount when the action takes one. It returns the transaction
	// PlacetoPay answers with. Errors as CreateSession: a *ProviderError when PlacetoPay
	// answered, anything else when the outcome is unknown. It is never retried.
	TransactionAction(ctx context.Context, internalReference int64, action string, amount *Money) (ProviderPayment, error)
}

// The actions of TransactionAction (PlacetoPay's /api/transaction).
const (
	ActionReverse         = "reverse"
	ActionCheckout        = "checkout"
	ActionReauthorization = "reauthorization"
	ActionConfirm         = "confirm"
	ActionCancel          = "cancel"
)

// SessionRequest is what the gateway asks PlacetoPay to open.
type SessionRequest struct {
	Reference     string
	Description   string
	Amount        Money
	Taxes         []Tax
	Details       []AmountDetail
	Buyer         *Person
	Items         []Item
	Kind          SessionKind // KindPayment, KindCheckin or KindSubscription (tokenize a card, no payment)
	Subscribe     bool        // a payment that also tokenizes the card it is paid with
	Locale        string
	PaymentMethod string
	ExpiresAt     time.Time
	ReturnURL     string
	IPAddress     string
	UserAgent     string
	// RequiresConfirmation asks for the confirmation flow (metadata.requiresConfirmation):
	// approvals wait in PENDING_CONFIRMATION for ActionConfirm or ActionCancel.
	RequiresConfirmation bool
	AllowPartial         bool
	Dispersion           []DispersionPart
	Recurring            *Recurring
	// RecurringNotificationURL is where PlacetoPay posts the recurring charges' notifications:
	// the gateway's own notification endpoint. Empty when Recurring is nil.
	RecurringNotificationURL string
	// PlacetoPay's session fields, as the storefront chose them (checkout_fields.go).
	Payer       *Person
	Fields      []Field
	SkipResult  bool
	NoBuyerFill bool
	Metadata    json.RawMessage
}

// CreatedSession is PlacetoPay's answer to SessionRequest.
type CreatedSession struct {
	RequestID  int64
	ProcessURL string
}

// ProviderSession is PlacetoPay's view of a session, newest payment first.
type ProviderSession struct {
	RequestID int64
	Status    ProviderStatus // PENDING, APPROVED, REJECTED, APPROVED_PARTIAL, PARTIAL_EXPIRED
	Reason    string
	Message   string
	Payments  []ProviderPayment
	// Instrument is the token an approved subscription or subscribe session issued, if any.
	// It never goes into Payload or a log.
	Instrument *ProviderInstrument
	// Payload is the answer with card data, tokens and personal data stripped, for the
	// order's timeline.
	Payload json.RawMessage
}

// ProviderPayment is one PlacetoPay transaction as the gateway records it.
type ProviderPayment struct {
	InternalReference int64
	Reference         string
	Status            ProviderStatus
	Reason            string
	Message           string
	Authorization     string
	Receipt           string
	Franchise         string
	PaymentMethod     string
	PaymentMethodName string
	IssuerName        string
	LastDigits        string
	Currency          string
	// Total is the charged amount as PlacetoPay wrote it; AmountMinor is it in minor units
	// of Currency, valid only when AmountOK.
	Total       string
	AmountMinor int64
	AmountOK    bool
	Refunded    bool
	Date        time.Time
}

// ProviderError is PlacetoPay answering with a failure.
type ProviderError struct {
	HTTPStatus int
	Reason     string
	Message    string
	// Refused is true when PlacetoPay refused the request (4xx: it will not succeed as sent);
	// false when PlacetoPay itself failed (5xx).
	Refused bool
}

func (e *ProviderError) Error() string {
	return "placetopay: " + e.Reason + ": " + e.Message
}

// UnreadableAnswerError is PlacetoPay answering something the gateway cannot read: a body
// that is not JSON, has no status, or holds a value the gateway needs in a type or form it
// cannot decode. PlacetoPay was reached, and what it said is unknown. Unlike a PlacetoPay
// that cannot be reached, asking again only helps if PlacetoPay changes what it sends: the
// probe puts the session's order in review after unreadableToReview such answers in a row.
type UnreadableAnswerError struct {
	Err error
}

func (e *UnreadableAnswerError) Error() string { return e.Err.Error() }

func (e *UnreadableAnswerError) Unwrap() error { return e.Err }

// SessionUnknownError is PlacetoPay answering that a session the gateway opened does not
// exist, or belongs to another site: the credentials, the site or the environment
// (PLACETOPAY_BASE_URL) are not those the session was opened with. The session is flagged
// and never handed out again, and its order may be cancelled (session_unknown.go).
type SessionUnknownError struct {
	RequestID int64
	Err       *ProviderError // what PlacetoPay answered
}

func (e *SessionUnknownError) Error() string {
	return fmt.Sprintf("placetopay says session %d does not exist: %v", e.RequestID, e.Err)
}

func (e *SessionUnknownError) Unwrap() error { return e.Err }

// payment returns the session's transaction with internalReference ref, or nil.
func (s *ProviderSession) payment(ref int64) *ProviderPayment {
	for i := range s.Payments {
		if s.Payments[i].InternalReference == ref {
			return &s.Payments[i]
		}
	}
	return nil
}
