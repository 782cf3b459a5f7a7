package orders

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"encoding/base64"
	"net/mail"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

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
	PaidMinor   int64
	// RefundedMinor never exceeds PaidMinor.
	RefundedMinor int64
	Buyer         *Person
	Items         []Item
	ReturnURL     string
	CreatedAt     time.Time
	UpdatedAt     time.Time
	Sessions      []Session
	Payments      []Payment
}

// Paid returns the approved amount in the order's currency.
func (o *Order) Paid() Money { return Money{Minor: o.PaidMinor, Currency: o.Amount.Currency} }

// Refunded returns the refunded amount in the order's currency.
func (o *Order) Refunded() Money { return Money{Minor: o.RefundedMinor, Currency: o.Amount.Currency} }

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

// Session is one attempt to open a PlacetoPay Checkout session for an order.
type Session struct {
	ID         uuid.UUID
	RequestID  *int64
	ProcessURL string
	Attempt    string
	Status     string
	Reason     string
	Message    string
	ExpiresAt  time.Time
	CreatedAt  time.Time
}

// Payment is a PlacetoPay transaction on an order, keyed by its internal reference.
type Payment struct {
	InternalReference int64
	Status            string
	Reason            string
	Authorization     string
	Receipt           string
	Franchise         string
	PaymentMethod     string
	Amount            Money
	Refunded          bool
	RefundedMinor     int64
	CreatedAt         time.Time
}

// CreateParams is what a storefront gives to create an order.
type CreateParams struct {
	Reference   string
	Description string
	Amount      Money
	Buyer       *Person
	Items       []Item
	ReturnURL   string
}

// Limits from PlacetoPay's request schema (docs/placetopay.md#create-a-session).
const (
	maxReference   = 32
	maxDescription = 250
	maxItems       = 50
	maxURL         = 255
)

// Validate checks p against PlacetoPay's limits, naming the first field at fault.
func (p *CreateParams) Validate() error {
	if p.Reference != "" {
		if err := checkText("reference", p.Reference, maxReference); err != nil {
			return err
		}
		if strings.TrimSpace(p.Reference) != p.Reference {
			return invalidField("reference", "must not start or end with spaces")
		}
	}
	if err := checkText("description", p.Description, maxDescription); err != nil {
		return err
	}
	if _, ok := currencyExponents[p.Amount.Currency]; !ok {
		return invalidField("amount.currency", "currency %q is not supported", p.Amount.Currency)
	}
	if p.Amount.Minor <= 0 {
		return invalidField("amount.total", "must be greater than zero")
	}
	if p.ReturnURL != "" {
		if err := checkURL("returnUrl", p.ReturnURL); err != nil {
			return err
		}
	}
	if p.Buyer != nil {
		if err := p.Buyer.validate("buyer"); err != nil {
			return err
		}
	}
	if len(p.Items) > maxItems {
		return invalidField("items", "at most %d items", maxItems)
	}
	for i, it := range p.Items {
		field := "items[" + strconv.Itoa(i) + "]"
		if err := checkText(field+".name", it.Name, 255); err != nil {
			return err
		}
		if it.Name == "" {
			return invalidField(field+".name", "is required")
		}
		if it.Qty < 1 || it.Qty > 1_000_000 {
			return invalidField(field+".qty", "must be between 1 and 1000000")
		}
		if it.PriceMinor < 0 {
			return invalidField(field+".price", "must not be negative")
		}
		if it.TaxMinor < 0 {
			return invalidField(field+".tax", "must not be negative")
		}
		if err := checkTexts(field, []textField{{"sku", it.SKU, 64}, {"category", it.Category, 64}}); err != nil {
			return err
		}
	}
	return nil
}

func (p *Person) validate(prefix string) error {
	err := checkTexts(prefix, []textField{
		{"document", p.Document, 25}, {"documentType", p.DocumentType, 6},
		{"name", p.Name, 60}, {"surname", p.Surname, 60}, {"company", p.Company, 60},
		{"email", p.Email, 80}, {"mobile", p.Mobile, 30},
	})
	if err != nil {
		return err
	}
	if p.Email != "" {
		if a, err := mail.ParseAddress(p.Email); err != nil || a.Address != p.Email {
			return invalidField(prefix+".email", "is not a valid email address")
		}
	}
	if looksLikeCardNumber(p.Name) {
		return invalidField(prefix+".name", "must not contain a card number")
	}
	if looksLikeCardNumber(p.Surname) {
		return invalidField(prefix+".surname", "must not contain a card number")
	}
	if a := p.Address; a != nil {
		return checkTexts(prefix+".address", []textField{
			{"street", a.Street, 250}, {"city", a.City, 50}, {"state", a.State, 50},
			{"postalCode", a.PostalCode, 10}, {"country", a.Country, 2}, {"phone", a.Phone, 30},
		})
	}
	return nil
}

type textField struct {
	name, value string
	max         int
}

func checkTexts(prefix string, fields []textField) error {
	for _, f := range fields {
		if err := checkText(prefix+"."+f.name, f.value, f.max); err != nil {
			return err
		}
	}
	return nil
}

// checkText refuses text over max characters, invalid UTF-8 and control characters.
func checkText(field, s string, max int) error {
	if !utf8.ValidString(s) {
		return invalidField(field, "is not valid UTF-8")
	}
	if n := utf8.RuneCountInString(s); n > max {
		return invalidField(field, "is %d characters long; at most %d allowed", n, max)
	}
	for _, r := range s {
		if unicode.IsControl(r) {
			return invalidField(field, "must not contain control characters")
		}
	}
	return nil
}

func checkURL(field, s string) error {
	if len(s) > maxURL {
		return invalidField(field, "is longer than %d characters", maxURL)
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return invalidField(field, "must be an absolute http or https URL")
	}
	return nil
}

// looksLikeCardNumber reports a run of 13 to 19 digits, which PlacetoPay refuses in names.
func looksLikeCardNumber(s string) bool {
	run := 0
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9':
			run++
			if run >= 13 {
				return true
			}
		case r == ' ' || r == '-':
		default:
			run = 0
		}
	}
	return false
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
