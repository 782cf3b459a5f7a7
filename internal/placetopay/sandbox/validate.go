package sandbox

import (
	"encoding/json"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"
)

// createRequest is what the sandbox reads of a create-session request; the whole request
// is kept apart, as received, for queries to echo.
type createRequest struct {
	Locale       string          `json:"locale"`
	Payer        *personRequest  `json:"payer"`
	Buyer        *personRequest  `json:"buyer"`
	Payment      *paymentRequest `json:"payment"`
	Subscription *struct {
		Reference   string `json:"reference"`
		Description string `json:"description"`
	} `json:"subscription"`
	Expiration string `json:"expiration"`
	IPAddress  string `json:"ipAddress"`
	UserAgent  string `json:"userAgent"`
	ReturnURL  string `json:"returnUrl"`
	CancelURL  string `json:"cancelUrl"`
	Type       string `json:"type"`
	Metadata   *struct {
		RequiresConfirmation bool `json:"requiresConfirmation"`
	} `json:"metadata"`
	Autopay *autopayRequest `json:"autopay"`
	Fields  []fieldRequest  `json:"fields"`
}

type personRequest struct {
	Name         string `json:"name"`
	Surname      string `json:"surname"`
	Email        string `json:"email"`
	Document     string `json:"document"`
	DocumentType string `json:"documentType"`
}

type paymentRequest struct {
	Reference    string            `json:"reference"`
	Description  string            `json:"description"`
	Amount       amountRequest     `json:"amount"`
	AllowPartial bool              `json:"allowPartial"`
	Subscribe    bool              `json:"subscribe"`
	Recurring    json.RawMessage   `json:"recurring"`
	Dispersion   []json.RawMessage `json:"dispersion"`
}

const minExpiry = 5 * time.Minute

var localePattern = regexp.MustCompile(`^[a-z]{2}_[A-Z]{2}$`)

// validate applies PlacetoPay's documented rules (docs/placetopay.md#request-validation) and returns the
// session's expiry.
func (req *createRequest) validate(now time.Time, defaultExpiry time.Duration) (time.Time, *apiError) {
	if e := checkURL("returnUrl", req.ReturnURL, true); e != nil {
		return time.Time{}, e
	}
	if e := checkURL("cancelUrl", req.CancelURL, false); e != nil {
		return time.Time{}, e
	}
	switch {
	case req.IPAddress == "":
		return time.Time{}, invalid("The ipAddress field is required.")
	case len(req.IPAddress) > 46 || net.ParseIP(req.IPAddress) == nil:
		return time.Time{}, invalid("The ipAddress must be a valid IP address.")
	case req.UserAgent == "":
		return time.Time{}, invalid("The userAgent field is required.")
	case utf8.RuneCountInString(req.UserAgent) > 255:
		return time.Time{}, invalid("The userAgent may not be greater than 255 characters.")
	case req.Locale != "" && !localePattern.MatchString(req.Locale):
		return time.Time{}, invalid("The locale format is invalid.")
	}
	for _, p := range []*personRequest{req.Payer, req.Buyer} {
		if e := p.validate(); e != nil {
			return time.Time{}, e
		}
	}
	if e := validateFields(req.Fields); e != nil {
		return time.Time{}, e
	}
	if e := req.validateContent(); e != nil {
		return time.Time{}, e
	}
	expires := now.Add(defaultExpiry)
	if req.Expiration != "" {
		t, err := time.Parse(time.RFC3339, req.Expiration)
		if err != nil {
			return time.Time{}, invalid("The expiration is not a valid ISO 8601 date.")
		}
		// Dates are sent to the second: a request for exactly five minutes from now is fine.
		if t.Before(now.Add(minExpiry).Truncate(time.Second)) {
			return time.Time{}, invalid("The expiration must be at least 5 minutes after the creation of the session.")
		}
		expires = t
	}
	return expires, nil
}

// validateContent checks what the session is for: a payment, a subscription or an autopay.
func (req *createRequest) validateContent() *apiError {
	confirm := req.Metadata != nil && req.Metadata.RequiresConfirmation
	switch {
	case req.Type != "" && req.Type != "checkin" && req.Type != "autopay":
		return invalid("The type must be checkin or autopay.")
	case req.Type == "autopay":
		if req.Autopay == nil {
			return invalid("The autopay field is required when the type is autopay.")
		}
		return req.Autopay.validate()
	case req.Payment != nil && req.Subscription != nil:
		return invalid("Send either a payment or a subscription, not both.")
	case req.Subscription != nil:
		if req.Type == "checkin" || confirm {
			return invalid("A subscription session cannot be a preauthorization or require confirmation.")
		}
		return checkReference(req.Subscription.Reference)
	case req.Payment == nil:
		return invalid("The payment field is required.")
	}
	p := req.Payment
	if e := checkReference(p.Reference); e != nil {
		return e
	}
	if utf8.RuneCountInString(p.Description) > 255 {
		return invalid("The payment description may not be greater than 255 characters.")
	}
	if _, err := p.Amount.parse(false); err != nil {
		return invalid("The payment amount is not valid: %v.", err)
	}
	if _, e := p.Amount.parts(); e != nil {
		return e
	}
	itemised := len(p.Amount.Taxes) > 0 || len(p.Amount.Details) > 0
	switch {
	case len(p.Dispersion) > 3:
		return refuse(http.StatusBadRequest, "max_dispersion_error", "The dispersion may not have more than 3 destinations.")
	case p.AllowPartial && len(p.Recurring) > 0 && string(p.Recurring) != "null":
		return invalid("A partial payment cannot be recurring.")
	case p.AllowPartial && itemised:
		return invalid("A partial payment cannot have taxes or details.")
	case len(p.Dispersion) > 0 && itemised:
		return invalid("A dispersion payment cannot have taxes or details.")
	case p.AllowPartial && req.Type == "checkin":
		return invalid("A preauthorization cannot be partial.")
	case confirm && (p.AllowPartial || req.Type == "checkin"):
		return invalid("The confirmation flow only applies to basic payment sessions.")
	}
	return nil
}

func checkReference(ref string) *apiError {
	if n := utf8.RuneCountInString(ref); n < 1 || n > 32 {
		return invalid("The reference must be between 1 and 32 characters.")
	}
	return nil
}

func checkURL(field, raw string, required bool) *apiError {
	if raw == "" {
		if required {
			return invalid("The %s field is required.", field)
		}
		return nil
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || len(raw) > 255 {
		return invalid("The %s must be a valid URL.", field)
	}
	return nil
}

// validate applies the payer rules of API 2.33 (docs/placetopay.md#request-validation).
func (p *personRequest) validate() *apiError {
	if p == nil {
		return nil
	}
	bad := func(msg string) *apiError { return refuse(http.StatusBadRequest, "payer_data_not_valid", "%s", msg) }
	switch {
	case utf8.RuneCountInString(p.Email) > 80:
		return bad("The email may not be greater than 80 characters.")
	case utf8.RuneCountInString(p.Name) > 60 || utf8.RuneCountInString(p.Surname) > 60:
		return bad("The name and surname may not be greater than 60 characters.")
	case containsCardNumber(p.Name) || containsCardNumber(p.Surname):
		return bad("The name and surname cannot contain a card number.")
	}
	return p.validateIdentity()
}

var digitRun = regexp.MustCompile(`\d[\d -]{11,24}\d`)

// containsCardNumber finds 13 to 19 digits, possibly spaced, that pass the Luhn check.
func containsCardNumber(s string) bool {
	for _, run := range digitRun.FindAllString(s, -1) {
		digits := strings.NewReplacer(" ", "", "-", "").Replace(run)
		if len(digits) >= 13 && len(digits) <= 19 && luhn(digits) {
			return true
		}
	}
	return false
}

func luhn(digits string) bool {
	sum := 0
	for i := range len(digits) {
		d := int(digits[len(digits)-1-i] - '0')
		if i%2 == 1 {
			if d *= 2; d > 9 {
				d -= 9
			}
		}
		sum += d
	}
	return sum%10 == 0
}
