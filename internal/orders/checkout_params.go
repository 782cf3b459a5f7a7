package orders

import (
	"encoding/json"
	"regexp"
	"time"
)

// CheckoutParams are the storefront's choices for a session.
type CheckoutParams struct {
	Locale        string
	PaymentMethod string
	ExpiresIn     time.Duration // 0 means 30 minutes; 5 minutes to 7 days
	Type          string        // "" for a payment, "checkin" for a preauthorization, "subscription" to store a card
	IPAddress     string
	UserAgent     string

	// Subscribe pays and keeps the card; CustomerReference (required with Subscribe and for
	// a subscription) is whom the stored card belongs to.
	Subscribe         bool
	CustomerReference string

	// RequiresConfirmation opens the session in PlacetoPay's confirmation flow.
	RequiresConfirmation bool

	// The session options (options.go): a partial payment, a dispersion, a recurrence.
	AllowPartial bool
	Dispersion   []DispersionPart
	Recurring    *Recurring

	// PlacetoPay's session fields (checkout_fields.go). Payer is personal data: sent, never
	// stored or logged. Metadata is a JSON object.
	Payer       *Person
	Fields      []Field
	SkipResult  bool
	NoBuyerFill bool
	Metadata    json.RawMessage
}

const (
	defaultExpiry = 30 * time.Minute
	minExpiry     = 5 * time.Minute
	maxExpiry     = 7 * 24 * time.Hour
	expiryMargin  = 30 * time.Second
)

var localeRE = regexp.MustCompile(`^[a-z]{2}_[A-Z]{2}$`)

func (p *CheckoutParams) validate() error {
	switch {
	case p.ExpiresIn != 0 && (p.ExpiresIn < minExpiry || p.ExpiresIn > maxExpiry):
		return invalidField("expiresIn", "must be between 300 and 604800 seconds")
	case p.Type != "" && p.Type != string(KindCheckin) && p.Type != string(KindSubscription):
		return invalidField("type", "must be checkin, subscription or absent")
	case p.Subscribe && p.Type != "":
		return invalidField("subscribe", "applies to a payment only, not to a %s session", p.Type)
	case (p.Subscribe || p.kind() == KindSubscription) && p.CustomerReference == "":
		return invalidField("customerReference", "is required to store a card")
	case p.CustomerReference != "" && !p.Subscribe && p.kind() != KindSubscription:
		return invalidField("customerReference", "applies only with subscribe or a subscription session")
	case p.CustomerReference != "" && !customerRefRE.MatchString(p.CustomerReference):
		return invalidField("customerReference", "must be 1 to 64 letters, digits, '.', '_', ':' or '-'")
	case p.Locale != "" && !localeRE.MatchString(p.Locale):
		return invalidField("locale", "must look like es_CO or en_US")
	case len(p.PaymentMethod) > 255:
		return invalidField("paymentMethod", "is too long")
	case p.IPAddress == "" || len(p.IPAddress) > 46:
		return invalidField("ipAddress", "is required and at most 46 characters")
	}
	if err := p.validateCombination(); err != nil {
		return err
	}
	if err := p.validateFields(); err != nil {
		return err
	}
	if len(p.UserAgent) > 255 {
		p.UserAgent = p.UserAgent[:255]
	}
	if p.UserAgent == "" {
		p.UserAgent = "unknown"
	}
	return nil
}

// kind is the kind of session p asks for.
func (p *CheckoutParams) kind() SessionKind { return sessionKind(p.Type) }

// validateCombination refuses the choices that cannot go together, whatever the order:
// PlacetoPay would refuse them, or would quietly leave one out.
func (p *CheckoutParams) validateCombination() error {
	if p.kind() == KindSubscription {
		// A subscription session stores a card and charges nothing: there is no payment for
		// a payment option to apply to.
		const what = "a subscription session stores a card and charges nothing; it cannot be %s"
		switch {
		case p.AllowPartial:
			return invalidField("allowPartial", what, "partial")
		case len(p.Dispersion) > 0:
			return invalidField("dispersion", what, "a dispersion")
		case p.Recurring != nil:
			return invalidField("recurring", what, "recurring")
		case p.RequiresConfirmation:
			return invalidField("requiresConfirmation", what, "confirmed")
		}
	}
	if p.RequiresConfirmation {
		// PlacetoPay's confirmation flow applies only to basic payment sessions.
		var other string
		switch {
		case p.kind() == KindCheckin:
			other = "a preauthorization (type checkin)"
		case p.AllowPartial:
			other = "a partial session (allowPartial)"
		case len(p.Dispersion) > 0:
			other = "a dispersion"
		case p.Recurring != nil:
			other = "a recurring payment"
		case p.Subscribe:
			other = "a payment that stores the card (subscribe)"
		}
		if other != "" {
			return invalidField("requiresConfirmation", "applies only to a basic payment session, not to %s", other)
		}
	}
	if p.Subscribe {
		switch {
		case p.AllowPartial:
			return invalidField("allowPartial", "a payment that stores the card (subscribe) cannot be partial")
		case len(p.Dispersion) > 0:
			return invalidField("dispersion", "a payment that stores the card (subscribe) cannot be a dispersion")
		}
	}
	return nil
}

// storedRequest is what otherOption reads of checkout_sessions.request.
type storedRequest struct {
	Subscribe            bool `json:"subscribe"`
	RequiresConfirmation bool `json:"requiresConfirmation"`
	sessionOptionsJSON
}

// otherOption names the first choice of p that the session cur was not opened with, or ""
// when it was opened with all of them: an open session is handed out again only to a
// request for the same kind of session, for the same customer.
func (p *CheckoutParams) otherOption(cur Session) string {
	var stored storedRequest
	if err := json.Unmarshal(cur.Request, &stored); err != nil {
		return "request"
	}
	same := func(a, b any) bool {
		x, _ := json.Marshal(a)
		y, _ := json.Marshal(b)
		return string(x) == string(y)
	}
	want := p.optionsJSON()
	switch {
	case cur.Kind != p.kind():
		return "type"
	case stored.Subscribe != p.Subscribe:
		return "subscribe"
	case stored.RequiresConfirmation != p.RequiresConfirmation:
		return "requiresConfirmation"
	case cur.CustomerReference != p.CustomerReference:
		return "customerReference"
	case stored.AllowPartial != want.AllowPartial:
		return "allowPartial"
	case !same(stored.Dispersion, want.Dispersion):
		return "dispersion"
	case !same(stored.Recurring, want.Recurring):
		return "recurring"
	}
	return ""
}
