package sandbox

import (
	"strconv"
	"time"

	"github.com/placetopay-gateway/gateway/internal/placetopay"
)

// kind is what a session is for.
type kind string

const (
	kindPayment      kind = "payment"      // payment, optionally partial, subscribe or checkin
	kindSubscription kind = "subscription" // tokenization only
	kindAutopay      kind = "autopay"      // autopay enrolment (CREATE or EDIT)
	kindCollect      kind = "collect"      // a charge of a token through /api/collect
)

// state is a status object as the sandbox sent it: Date is formatted once, when the state
// is entered, so that a notification is signed over exactly the text a query shows.
type state struct {
	Status, Reason, Message string
	At                      time.Time
	Date                    string
}

func (s state) final() bool {
	switch s.Status {
	case placetopay.StatusApproved, placetopay.StatusRejected, placetopay.StatusPartialExpired:
		return true
	}
	return false
}

// session is one checkout session (or collect) and everything that happened in it.
type session struct {
	ID         int64
	Key        string // the 32 hex characters ending processUrl
	ProcessURL string
	Kind       kind
	Created    time.Time
	ExpiresAt  time.Time
	Request    map[string]any // the request as received, without auth, as queries echo it
	// Login is the site that created it (empty: Config.Login, as before there were several).
	Login string
	// Queries counts the queries of it by login, for tests that check who asked. Not kept
	// across restarts: a query changes nothing, so it saves nothing.
	Queries map[string]int `json:"-"`

	Reference, Description string
	Locale                 string       // as requested ("es_CO"); empty when the request named none
	Amount                 money        // zero for subscription and autopay sessions
	AmountParts            []amountPart // the amount's taxes, then its details, for the page
	AllowPartial           bool
	Subscribe              bool // tokenize the card of the approved payment
	Checkin                bool // preauthorization: approvals are holds
	Confirm                bool // metadata.requiresConfirmation
	ReturnURL, CancelURL   string

	State    state
	Payments []*transaction `json:"-"` // oldest first; queries list them newest first
	Rejected int            // rejected attempts, for the attempts limit
	Token    *token         `json:"-"` // the instrument this session tokenized
	Autopay  *autopayRequest
	// Dispersion splits each payment between agreements; Recurring charges the card again
	// (options.go). RecurringCharges are those charges: a session query does not show them.
	Dispersion       []dispersionDest
	Recurring        *recurringPlan
	RecurringCharges []*transaction `json:"-"`
	// Enrolled is the autopay this session created or edited, once approved.
	Enrolled *autopay `json:"-"`
	// Notice tells the hosted page what happened to the last attempt.
	Notice notice
}

// ownedBy reports whether login may see and act on s: its creator's.
func (s *session) ownedBy(login, first string) bool {
	owner := s.Login
	if owner == "" {
		owner = first
	}
	return login == "" || login == owner
}

// notice is what happened to a session's last attempt, for the hosted page to say in the
// payer's language (page_texts.go).
type notice struct {
	Kind noticeKind
	Card card      // the attempt's card, shown masked
	At   time.Time // when a pending payment resolves
}

type noticeKind string

const (
	noticePending      noticeKind = "pending"       // the payment waits for its outcome until At
	noticeDeclined     noticeKind = "declined"      // the payer may try another card
	noticeToConfirm    noticeKind = "to confirm"    // approved, awaiting the merchant's confirmation
	noticeApproved     noticeKind = "approved"      // a part of a partial session was paid
	noticeSaved        noticeKind = "saved"         // a subscription or autopay card was saved
	noticeSaveDeclined noticeKind = "save declined" // a subscription or autopay card was declined
)

// pagePath is the path of the session's hosted page: processUrl without its host.
func (s *session) pagePath() string {
	return "/session/" + strconv.FormatInt(s.ID, 10) + "/" + s.Key
}

// txKind is what a transaction is.
type txKind string

const (
	txPayment  txKind = "payment"
	txPreauth  txKind = "preauthorization"
	txCapture  txKind = "capture"
	txReauth   txKind = "reauthorization"
	txReversal txKind = "reversal"
	txAutopay  txKind = "autopay"
	// txRecurring is a charge of a recurring payment, made by PlacetoPay's schedule.
	txRecurring txKind = "recurring"
)

// transaction is one payment attempt or one action on a payment.
type transaction struct {
	Ref       int64
	Session   *session `json:"-"` // nil for autopay charges
	Kind      txKind
	Reference string
	State     state
	Amount    money
	Card      card
	Parent    *transaction `json:"-"` // the payment a capture, reauthorization or reversal acts on

	Authorization, Receipt string
	Refunded               bool
	RefundedCents          int64

	ResolveAt time.Time // a PENDING transaction's resolution time
	Resolves  behaviour // approve or deny, at ResolveAt

	ConfirmBy      time.Time // a PENDING_CONFIRMATION transaction's deadline
	ConfirmExpired bool

	Hold int64 // a preauthorization's authorized cents
	// PartRefs are the internal references of a dispersion payment's parts, one per
	// destination of its session.
	PartRefs           []int64
	Captured, Released bool
}

func (t *transaction) status() string { return t.State.Status }

// inProgress reports whether the transaction still waits for an outcome.
func (t *transaction) inProgress() bool {
	return t.status() == placetopay.StatusPending || t.status() == placetopay.StatusPendingConfirmation
}

// remainingCents is what can still be refunded.
func (t *transaction) remainingCents() int64 { return t.Amount.Cents - t.RefundedCents }

// token is an instrument tokenized by a session.
type token struct {
	Token, Subtoken string
	Card            card
	ReturnURL       string // of the session that saved the card
	ValidUntil      string
	Invalidated     bool
	// Login is the site whose session saved the card (empty: Config.Login). As at PlacetoPay,
	// a token works only at the site that issued it.
	Login string `json:",omitempty"`
}

// ownedBy reports whether the site of login (empty: any, as a control call) may use the
// token; first is Config.Login.
func (t *token) ownedBy(login, first string) bool {
	owner := t.Login
	if owner == "" {
		owner = first
	}
	return login == "" || login == owner
}

// approvedCents is the sum of the session's approved payments.
func (s *session) approvedCents() int64 {
	var sum int64
	for _, t := range s.Payments {
		if t.status() == placetopay.StatusApproved && t.Kind != txReauth && t.Kind != txCapture { // they act on the hold
			sum += t.Amount.Cents
		}
	}
	return sum
}

// inProgress returns the session's transaction that still waits for an outcome, if any.
func (s *session) inProgress() *transaction {
	for _, t := range s.Payments {
		if t.inProgress() {
			return t
		}
	}
	return nil
}

// remaining is what a partial session still asks for.
func (s *session) remaining() money {
	return money{Currency: s.Amount.Currency, Cents: s.Amount.Cents - s.approvedCents()}
}
