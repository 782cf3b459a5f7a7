// Package autopay manages autopay enrolments: PlacetoPay's automatic recurring debits of a
// saved instrument (docs/placetopay.md#autopay). The gateway opens the enrolment session, learns
// PlacetoPay's autopay id from its own queries, follows the autopay's status through
// webhooks and /autopay/search, and records the charges PlacetoPay settles, each confirmed by
// the gateway's own /autopay/transactions query before it counts as approved. The merchant
// hears of every change of an enrolment and every decided charge through autopay.* events
// (events.go).
package autopay

import (
	"net/url"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/placetopay-gateway/gateway/internal/orders"
)

// Status is an enrolment's status in the gateway.
type Status string

// Enrolment statuses.
const (
	StatusPending   Status = "pending"   // the shopper has not completed the autopay session yet
	StatusActive    Status = "active"    // PlacetoPay reports the autopay APPROVED
	StatusCancelled Status = "cancelled" // REJECTED (cancelled by the merchant or the payer)
	StatusCompleted Status = "completed" // REJECTED/AP: the autopay ran its course
	StatusFailed    Status = "failed"    // FAILED: PlacetoPay's limits were reached
	StatusExpired   Status = "expired"   // the enrolment session ended without an autopay
)

// Charge types.
const (
	ChargeFixed          = "FIXED"
	ChargeMinimumBalance = "MINIMUM_BALANCE"
	ChargeTotalBalance   = "TOTAL_BALANCE"
)

// Recurring is an autopay's schedule, as PlacetoPay takes it.
type Recurring struct {
	Type        string `json:"type"`
	Periodicity string `json:"periodicity"`
	Interval    int64  `json:"interval"`
	NextPayment string `json:"nextPayment"`
	DueDate     string `json:"dueDate,omitempty"`
	StartDate   string `json:"startDate,omitempty"`
	MaxPeriods  *int64 `json:"maxPeriods,omitempty"`
}

// Instrument is what the gateway keeps of an autopay's means of payment: never the token.
type Instrument struct {
	Franchise     string `json:"franchise,omitempty"`
	FranchiseName string `json:"franchiseName,omitempty"`
	IssuerName    string `json:"issuerName,omitempty"`
	LastDigits    string `json:"lastDigits,omitempty"`
	ValidUntil    string `json:"validUntil,omitempty"`
}

// Enrolment is an autopay as the gateway knows it.
type Enrolment struct {
	ID              uuid.UUID
	Reference       string
	Description     string
	Recurring       Recurring
	Amount          *orders.Money // FIXED only
	DueDay          int           // 0 when not set
	Buyer           *orders.Person
	ReturnURL       string
	Status          Status
	ProviderID      *uuid.UUID // PlacetoPay's autopay id, once known
	ProviderStatus  string
	ProviderReason  string
	ProviderMessage string
	Instrument      *Instrument
	CreatedAt       time.Time
	UpdatedAt       time.Time
	Sessions        []Session
	Charges         []Charge
}

// Session is one autopay session (CREATE or EDIT) opened at PlacetoPay.
type Session struct {
	RequestID  int64
	Action     string
	ProcessURL string
	Status     string
	Reason     string
	CreatedAt  time.Time
}

// Charge is one charge PlacetoPay made on the autopay.
type Charge struct {
	InternalReference int64
	Status            string // reported, approved, failed, review
	ProviderStatus    string
	ProviderReason    string
	Amount            *orders.Money
	Authorization     string
	Receipt           string
	Franchise         string
	PaymentMethod     string
	Source            string // settlement or webhook
	Deliveries        int
	VerifiedAt        *time.Time
	CreatedAt         time.Time
}

// Terms are what an autopay charges and when: the part of an enrolment an edit may change.
type Terms struct {
	Description string
	DueDay      *int
	Recurring   *Recurring
	Amount      *orders.Money
}

// CreateParams opens an enrolment.
type CreateParams struct {
	Reference string
	Terms
	Buyer, Payer *orders.Person
	ReturnURL    string
	Locale       string
	IPAddress    string
	UserAgent    string
}

// EditParams changes an active enrolment; nil or empty fields keep their value.
type EditParams struct {
	Terms
	ReturnURL string
	Locale    string
	IPAddress string
	UserAgent string
}

func invalid(field, msg string) error {
	return &orders.Error{Code: orders.EInvalid, Field: field, Message: msg}
}

// validateTerms checks the documented rules of an autopay (docs/placetopay.md#autopay) at time now:
// dueDay 1-28, an amount for FIXED and only for FIXED, a schedule PlacetoPay accepts.
func validateTerms(t Terms, now time.Time) error {
	if n := utf8.RuneCountInString(t.Description); n < 1 || n > 250 {
		return invalid("description", "is required, at most 250 characters")
	}
	if err := orders.CheckLabel("description", t.Description, 250); err != nil {
		return err
	}
	if t.DueDay != nil && (*t.DueDay < 1 || *t.DueDay > 28) {
		return invalid("dueDay", "must be between 1 and 28")
	}
	r := t.Recurring
	if r == nil {
		return invalid("recurring", "is required")
	}
	switch r.Type {
	case ChargeFixed:
		if t.Amount == nil {
			return invalid("amount", "is required for FIXED charges")
		}
	case ChargeMinimumBalance, ChargeTotalBalance:
		if t.Amount != nil {
			return invalid("amount", "is only allowed for FIXED charges: PlacetoPay asks the merchant's balance for "+r.Type)
		}
	default:
		return invalid("recurring.type", "must be FIXED, MINIMUM_BALANCE or TOTAL_BALANCE")
	}
	if t.Amount != nil && t.Amount.Minor <= 0 {
		return invalid("amount.total", "must be greater than zero")
	}
	switch r.Periodicity {
	case "D", "M", "Y":
	default:
		return invalid("recurring.periodicity", "must be D (days), M (months) or Y (years)")
	}
	if r.Interval < 1 || r.Interval > 999 {
		return invalid("recurring.interval", "must be between 1 and 999")
	}
	next, err := time.Parse(time.DateOnly, r.NextPayment)
	if err != nil {
		return invalid("recurring.nextPayment", "is required, a date (YYYY-MM-DD)")
	}
	if next.Before(now.UTC().Truncate(24 * time.Hour)) {
		return invalid("recurring.nextPayment", "cannot be in the past")
	}
	for field, d := range map[string]string{"recurring.dueDate": r.DueDate, "recurring.startDate": r.StartDate} {
		if _, err := time.Parse(time.DateOnly, d); d != "" && err != nil {
			return invalid(field, "must be a date (YYYY-MM-DD)")
		}
	}
	if m := r.MaxPeriods; m != nil && *m != -1 && *m < 1 {
		return invalid("recurring.maxPeriods", "must be -1 (no limit) or at least 1")
	}
	return nil
}

func validateReturnURL(raw string) error {
	u, err := url.Parse(raw)
	if raw == "" || err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return invalid("returnUrl", "is required, an absolute http or https URL")
	}
	return nil
}

func validateReference(ref string) error {
	if n := utf8.RuneCountInString(ref); n < 1 || n > 32 {
		return invalid("reference", "is required, 1 to 32 characters")
	}
	return orders.CheckLabel("reference", ref, 32)
}
