package orders

import (
	"net/mail"
	"net/url"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// CreateParams is what a storefront gives to create an order.
type CreateParams struct {
	Reference   string
	Description string
	Amount      Money
	Taxes       []Tax
	Details     []AmountDetail
	Buyer       *Person
	Items       []Item
	ReturnURL   string
	// Site names the PlacetoPay site; empty: the site that takes the currency.
	Site string
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
		if err := CheckLabel("reference", p.Reference, maxReference); err != nil {
			return err
		}
		if strings.TrimSpace(p.Reference) != p.Reference {
			return invalidField("reference", "must not start or end with spaces")
		}
	}
	if err := CheckLabel("description", p.Description, maxDescription); err != nil {
		return err
	}
	if _, ok := currencyExponents[p.Amount.Currency]; !ok {
		return invalidField("amount.currency", "currency %q is not supported", p.Amount.Currency)
	}
	if p.Amount.Minor <= 0 {
		return invalidField("amount.total", "must be greater than zero")
	}
	if err := validateAmountParts(p.Amount.Currency, p.Taxes, p.Details); err != nil {
		return err
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
	if strings.TrimSpace(p.Description) == "" {
		return invalidField("description", "is required: PlacetoPay shows it to the shopper on its payment page")
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
		// PlacetoPay's Address (its Checkout document): the state is a code of up to three
		// letters (ANT), longer values are refused or cut there.
		return checkTexts(prefix+".address", []textField{
			{"street", a.Street, 128}, {"city", a.City, 30}, {"state", a.State, 3},
			{"postalCode", a.PostalCode, 10}, {"country", a.Country, 2}, {"phone", a.Phone, 20},
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

// checkText refuses text over limit characters, invalid UTF-8 and control characters.
func checkText(field, s string, limit int) error {
	if !utf8.ValidString(s) {
		return invalidField(field, "is not valid UTF-8")
	}
	if n := utf8.RuneCountInString(s); n > limit {
		return invalidField(field, "is %d characters long; at most %d allowed", n, limit)
	}
	for _, r := range s {
		if unicode.IsControl(r) {
			return invalidField(field, "must not contain control characters")
		}
	}
	return nil
}

// CheckLabel is checkText for what a person reads to recognise a payment (a reference, a
// description): it also refuses the invisible characters that make two different labels look
// alike: bidirectional controls (U+202E turns "ORDER-1087" into what reads as another), zero-width
// characters and the byte-order mark, and every other Unicode format character.
func CheckLabel(field, s string, limit int) error {
	if err := checkText(field, s, limit); err != nil {
		return err
	}
	for _, r := range s {
		if unicode.Is(unicode.Cf, r) {
			return invalidField(field, "must not contain invisible or direction-changing characters (found U+%04X)", r)
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
