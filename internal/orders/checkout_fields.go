package orders

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"
)

// The checkout's PlacetoPay fields: the payer, additional fields, skipResult, noBuyerFill,
// metadata and the payment methods offered. Each is checked here against PlacetoPay's
// documented limits (its Checkout document's maxLength, docs/placetopay.md), so that nothing
// PlacetoPay would truncate or refuse is ever sent. The payer is personal data: it is sent to
// PlacetoPay and never stored, logged or put on the timeline.

// Field is one of PlacetoPay's additional fields (its NameValuePair).
type Field struct {
	Keyword   string
	Value     json.RawMessage // any JSON value
	DisplayOn string          // none, payment, receipt, both, approved; "" lets PlacetoPay choose
}

// DisplayOns are PlacetoPay's values of a field's displayOn.
var DisplayOns = []string{"none", "payment", "receipt", "both", "approved"}

const (
	maxFields       = 20   // PlacetoPay documents none; a page of extra lines is already many
	maxFieldKeyword = 50   // NameValuePair.keyword
	maxFieldValue   = 255  // NameValuePair.value
	maxMetadata     = 2048 // bytes of JSON: metadata carries flags and references, not documents
)

var (
	// paymentMethodRE is PlacetoPay's paymentMethod: codes (visa, CR_VS, _PSE_) separated by
	// commas, no spaces.
	paymentMethodRE = regexp.MustCompile(`^[A-Za-z0-9_-]+(,[A-Za-z0-9_-]+)*$`)
	documentRE      = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9-]*$`)
	documentTypeRE  = regexp.MustCompile(`^[A-Z]{2,6}$`)
)

// validateFields checks the PlacetoPay fields of p.
func (p *CheckoutParams) validateFields() error {
	if p.PaymentMethod != "" && !paymentMethodRE.MatchString(p.PaymentMethod) {
		return invalidField("paymentMethod", "must be PlacetoPay's comma-separated list of payment method codes, e.g. visa,master,pse")
	}
	if p.Payer != nil {
		if err := validatePayer(p.Payer); err != nil {
			return err
		}
	}
	if len(p.Fields) > maxFields {
		return invalidField("fields", "at most %d fields", maxFields)
	}
	for i, f := range p.Fields {
		if err := f.validate(fmt.Sprintf("fields[%d]", i)); err != nil {
			return err
		}
	}
	return validateMetadata(p.Metadata)
}

// validatePayer applies the person rules, and requires a well-formed document: PlacetoPay
// checks a document against its type and country, and refuses the payer (payer_data_not_valid)
// when it does not fit.
func validatePayer(p *Person) error {
	if err := p.validate("payer"); err != nil {
		return err
	}
	switch {
	case p.Document != "" && !documentRE.MatchString(p.Document):
		return invalidField("payer.document", "must be letters, digits and '-' only")
	case p.DocumentType != "" && !documentTypeRE.MatchString(p.DocumentType):
		return invalidField("payer.documentType", "must be PlacetoPay's document type code, 2 to 6 capital letters (CC, CE, NIT, PPN…)")
	case (p.Document == "") != (p.DocumentType == ""):
		return invalidField("payer.documentType", "document and documentType go together: send both or neither")
	}
	return nil
}

func (f Field) validate(at string) error {
	if err := checkText(at+".keyword", f.Keyword, maxFieldKeyword); err != nil {
		return err
	}
	if strings.TrimSpace(f.Keyword) == "" {
		return invalidField(at+".keyword", "is required")
	}
	if f.DisplayOn != "" && !slices.Contains(DisplayOns, f.DisplayOn) {
		return invalidField(at+".displayOn", "must be one of %s", strings.Join(DisplayOns, ", "))
	}
	v := bytes.TrimSpace(f.Value)
	if len(v) == 0 || bytes.Equal(v, []byte("null")) {
		return invalidField(at+".value", "is required")
	}
	var s string
	if json.Unmarshal(v, &s) == nil {
		if s == "" {
			return invalidField(at+".value", "is required")
		}
		return checkText(at+".value", s, maxFieldValue)
	}
	// A number, a boolean, an object or an array: kept to PlacetoPay's limit as written,
	// and without NUL, which the jsonb of the timeline and Postgres refuse.
	if len(v) > maxFieldValue || bytes.Contains(v, []byte(`\u0000`)) {
		return invalidField(at+".value", "must be at most %d characters of JSON without NUL", maxFieldValue)
	}
	return nil
}

// validateMetadata checks metadata: a JSON object, small, without the gateway's own flag.
func validateMetadata(m json.RawMessage) error {
	if len(m) == 0 {
		return nil
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(m, &obj); err != nil || obj == nil {
		return invalidField("metadata", "must be a JSON object")
	}
	if len(m) > maxMetadata {
		return invalidField("metadata", "is %d bytes of JSON; at most %d allowed", len(m), maxMetadata)
	}
	if !utf8.Valid(m) || bytes.Contains(m, []byte(`\u0000`)) {
		return invalidField("metadata", "must be UTF-8 text without NUL")
	}
	if _, ok := obj["requiresConfirmation"]; ok {
		return invalidField("metadata", "must not set requiresConfirmation; use the checkout's requiresConfirmation")
	}
	return nil
}

// validateAmountPartsFor refuses an order's taxes and details on a session PlacetoPay does not
// take them with: a partial payment (PlacetoPay refuses taxes on it, request_not_valid) or a
// dispersion (each destination's amount is a bare total; the split would leave the taxes on
// no one).
func (p *CheckoutParams) validateAmountPartsFor(o *Order) error {
	if !o.hasAmountParts() {
		return nil
	}
	switch {
	case p.AllowPartial:
		return invalidField("allowPartial", "a partial session cannot carry taxes or details, and the order's amount has them")
	case len(p.Dispersion) > 0:
		return invalidField("dispersion", "a dispersion cannot carry taxes or details, and the order's amount has them")
	}
	return nil
}
