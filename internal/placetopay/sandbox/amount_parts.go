package sandbox

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/mail"
	"regexp"
	"slices"
	"unicode/utf8"

	"github.com/placetopay-gateway/gateway/internal/placetopay"
)

// PlacetoPay's amount taxes and details, its additional fields and its payer document, as
// the sandbox checks them and its hosted page shows them.

var (
	taxKinds = []string{"valueAddedTax", "exciseDuty", "ice", "airportTax", "stateTax", "reducedStateTax", "municipalTax"}
	// detailKinds are PlacetoPay's amount detail kinds.
	detailKinds = []string{"discount", "additional", "vatDevolutionBase", "shipping", "handlingFee", "insurance",
		"giftWrap", "subtotal", "fee", "tip", "airline", "interests"}
	displayOns = []string{"none", "payment", "receipt", "both", "approved"}

	documentPattern     = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9-]{0,24}$`)
	documentTypePattern = regexp.MustCompile(`^[A-Z]{2,6}$`)
)

// amountPartRequest is one tax or detail of an amount as requests send it.
type amountPartRequest struct {
	Kind   string              `json:"kind"`
	Amount placetopay.Decimal  `json:"amount"`
	Base   *placetopay.Decimal `json:"base"`
}

// amountPart is a validated tax or detail, in hundredths.
type amountPart struct {
	Kind         string
	Cents        int64
	BaseCents    int64
	HasBase, Tax bool
}

// parts validates the taxes and details of a and returns them, taxes first.
func (a amountRequest) parts() ([]amountPart, *apiError) {
	var out []amountPart
	cents := func(d placetopay.Decimal) (int64, bool) {
		c, err := d.Minor(2)
		return c, d != "" && err == nil && c >= 0
	}
	for _, t := range a.Taxes {
		p := amountPart{Kind: t.Kind, Tax: true}
		var ok bool
		switch p.Cents, ok = cents(t.Amount); {
		case !slices.Contains(taxKinds, t.Kind):
			return nil, invalid("The payment amount taxes kind %q is not valid.", t.Kind)
		case !ok:
			return nil, invalid("The payment amount taxes amount must be a non-negative number with at most two decimals.")
		}
		if t.Base != nil {
			if p.BaseCents, ok = cents(*t.Base); !ok {
				return nil, invalid("The payment amount taxes base must be a non-negative number with at most two decimals.")
			}
			p.HasBase = true
		}
		out = append(out, p)
	}
	for _, d := range a.Details {
		p := amountPart{Kind: d.Kind}
		var ok bool
		switch p.Cents, ok = cents(d.Amount); {
		case !slices.Contains(detailKinds, d.Kind):
			return nil, invalid("The payment amount details kind %q is not valid.", d.Kind)
		case !ok:
			return nil, invalid("The payment amount details amount must be a non-negative number with at most two decimals.")
		}
		out = append(out, p)
	}
	return out, nil
}

// fieldRequest is one of PlacetoPay's additional fields.
type fieldRequest struct {
	Keyword   string          `json:"keyword"`
	Value     json.RawMessage `json:"value"`
	DisplayOn string          `json:"displayOn"`
}

func validateFields(fields []fieldRequest) *apiError {
	for _, f := range fields {
		var s string
		switch n := utf8.RuneCountInString(f.Keyword); {
		case n < 1 || n > 50:
			return invalid("The fields keyword must be between 1 and 50 characters.")
		case f.DisplayOn != "" && !slices.Contains(displayOns, f.DisplayOn):
			return invalid("The fields displayOn must be one of none, payment, receipt, both or approved.")
		case json.Unmarshal(f.Value, &s) == nil && utf8.RuneCountInString(s) > 255:
			return invalid("The fields value may not be greater than 255 characters.")
		case len(bytes.TrimSpace(f.Value)) == 0:
			return invalid("The fields value is required.")
		}
	}
	return nil
}

// validateIdentity checks a person's email and document (payer_data_not_valid).
func (p *personRequest) validateIdentity() *apiError {
	bad := func(msg string) *apiError { return refuse(http.StatusBadRequest, "payer_data_not_valid", "%s", msg) }
	if p.Email != "" {
		if a, err := mail.ParseAddress(p.Email); err != nil || a.Address != p.Email {
			return bad("The email is not a valid email address.")
		}
	}
	switch {
	case p.Document != "" && !documentPattern.MatchString(p.Document):
		return bad("The document is not valid for its type.")
	case p.DocumentType != "" && !documentTypePattern.MatchString(p.DocumentType):
		return bad("The documentType is not valid.")
	}
	return nil
}
