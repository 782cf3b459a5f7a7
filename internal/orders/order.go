package orders

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"encoding/base64"
	"time"

	"github.com/google/uuid"
)

// Order is what a storefront sells in one payment: an amount, what it is for and where it
// stands. Sessions and Payments are filled by Service.Get.
type Order struct {
	ID          uuid.UUID
	Reference   string
	Description string
	Status      Status
	Amount      Money
	// Taxes and Details itemise Amount as PlacetoPay's amount does (amount_parts.go).
	Taxes     []Tax
	Details   []AmountDetail
	PaidMinor int64
	// RefundedMinor never exceeds PaidMinor.
	RefundedMinor int64
	Buyer         *Person
	Items         []Item
	ReturnURL     string
	// Site is the PlacetoPay site every call about the order goes to (sites.go).
	Site      string
	CreatedAt time.Time
	UpdatedAt time.Time
	Sessions  []Session
	Payments  []Payment
}

// Paid returns the approved amount in the order's currency.
func (o *Order) Paid() Money { return Money{Minor: o.PaidMinor, Currency: o.Amount.Currency} }

// Refunded returns the refunded amount in the order's currency.
func (o *Order) Refunded() Money { return Money{Minor: o.RefundedMinor, Currency: o.Amount.Currency} }

// minor returns an amount in minor units of the order's currency as Money.
func (o *Order) minor(m int64) Money { return Money{Minor: m, Currency: o.Amount.Currency} }

// Transition moves o to status to, or returns an EConflict error when the status machine
// does not allow that move.
func (o *Order) Transition(to Status) error {
	if !o.Status.CanTransition(to) {
		return Errorf(EConflict, "order %s is %s and cannot become %s", o.ID, o.Status, to)
	}
	o.Status = to
	return nil
}

// Person is a buyer or payer as PlacetoPay describes one. It is personal data: it is stored
// and sent to PlacetoPay, never logged.
type Person struct {
	Document     string   `json:"document,omitempty"`
	DocumentType string   `json:"documentType,omitempty"`
	Name         string   `json:"name,omitempty"`
	Surname      string   `json:"surname,omitempty"`
	Company      string   `json:"company,omitempty"`
	Email        string   `json:"email,omitempty"`
	Mobile       string   `json:"mobile,omitempty"`
	Address      *Address `json:"address,omitempty"`
}

// Address is a postal address in PlacetoPay's shape.
type Address struct {
	Street     string `json:"street,omitempty"`
	City       string `json:"city,omitempty"`
	State      string `json:"state,omitempty"`
	PostalCode string `json:"postalCode,omitempty"`
	Country    string `json:"country,omitempty"`
	Phone      string `json:"phone,omitempty"`
}

// Item is one line of what is sold, priced in the order's currency.
type Item struct {
	SKU        string `json:"sku,omitempty"`
	Name       string `json:"name"`
	Category   string `json:"category,omitempty"`
	Qty        int    `json:"qty"`
	PriceMinor int64  `json:"priceMinor"`
	TaxMinor   int64  `json:"taxMinor,omitempty"`
}

// Session is one attempt to open a PlacetoPay session for an order, and what PlacetoPay last
// said of it.
type Session struct {
	ID         uuid.UUID
	OrderID    uuid.UUID
	Kind       SessionKind
	Attempt    Attempt
	RequestID  *int64 // nil until PlacetoPay opened it
	ProcessURL string
	Status     ProviderStatus
	Reason     string
	Message    string
	// Amount is what the session charges: the order's total, nothing for a subscription.
	Amount       Money
	AllowPartial bool
	// Request is the storefront's choices the session was opened with, as stored.
	Request           []byte
	CustomerReference string
	PaymentMethodID   *uuid.UUID // the stored card a collect charges
	ExpiresAt         time.Time
	NextCheckAt       *time.Time
	CreatedAt         time.Time
	// Site is its order's site.
	Site string
}

// Payment is a PlacetoPay transaction on an order, keyed by its internal reference.
type Payment struct {
	ID                uuid.UUID
	OrderID           uuid.UUID
	SessionID         *uuid.UUID
	InternalReference int64
	Kind              PaymentKind
	Reference         string // the payment reference PlacetoPay reported
	Status            ProviderStatus
	Reason            string
	Message           string
	Authorization     string
	Receipt           string
	Franchise         string
	PaymentMethod     string
	Amount            Money
	// Unconfirmed marks a payment known only from a notification (a recurring charge),
	// which no query of the gateway's has shown: it is never counted.
	Unconfirmed   bool
	Refunded      bool  // PlacetoPay reports it refunded
	RefundedMinor int64 // what the gateway's refund ledger holds of it
	// A preauthorization's hold: the amount it holds now (after reauthorizations), whether it
	// was captured or released, and, for a capture, the hold it closed.
	HeldMinor    *int64
	Settled      string
	ParentID     *uuid.UUID
	ProviderDate *time.Time
	CreatedAt    time.Time
}

// held is the amount a preauthorization's hold holds now.
func (p *Payment) held() Money {
	if p.HeldMinor != nil {
		return Money{Minor: *p.HeldMinor, Currency: p.Amount.Currency}
	}
	return p.Amount
}

// newReference returns a reference for an order created without one: "GW" and 20 random
// base32 characters, well inside PlacetoPay's 32.
func newReference() string {
	var b [13]byte
	_, _ = rand.Read(b[:])
	return "GW" + base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b[:])[:20]
}

// newClientSecret returns a fresh client secret and the hash of it that is stored.
func newClientSecret() (secret string, hash []byte) {
	var b [32]byte
	_, _ = rand.Read(b[:])
	secret = "cs_" + base64.RawURLEncoding.EncodeToString(b[:])
	return secret, HashClientSecret(secret)
}

// HashClientSecret returns the SHA-256 of a client secret, the form it is stored and compared in.
func HashClientSecret(secret string) []byte {
	h := sha256.Sum256([]byte(secret))
	return h[:]
}
