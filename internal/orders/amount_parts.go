package orders

import (
	"fmt"
	"slices"
)

// An order's amount may itemise what its total holds, in PlacetoPay's terms: taxes
// (amount.taxes[]: a kind, an amount and optionally the base it was computed on) and details
// (amount.details[]: a discount, the shipping, a tip…). PlacetoPay shows them to the shopper
// and passes them to the processor (VAT refunds in Colombia read the valueAddedTax); it does
// not add them up, and neither does the gateway: the total is what is charged.

// TaxKinds are PlacetoPay's tax kinds (the Taxes schema of its Checkout document).
var TaxKinds = []string{"valueAddedTax", "exciseDuty", "ice", "airportTax", "stateTax", "reducedStateTax", "municipalTax"}

// DetailKinds are PlacetoPay's amount detail kinds (the Details schema of its Checkout document).
var DetailKinds = []string{"discount", "additional", "vatDevolutionBase", "shipping", "handlingFee", "insurance",
	"giftWrap", "subtotal", "fee", "tip", "airline", "interests"}

// maxAmountParts bounds each list: there are 7 tax kinds and 12 detail kinds, and a kind may
// repeat (two municipal taxes), but not without end.
const maxAmountParts = 20

// Tax is one tax of an order's amount, in minor units of the order's currency.
type Tax struct {
	Kind        string `json:"kind"`
	AmountMinor int64  `json:"amountMinor"`
	BaseMinor   *int64 `json:"baseMinor,omitempty"` // the taxed base, when given
}

// AmountDetail is one detail of an order's amount, in minor units of the order's currency.
type AmountDetail struct {
	Kind        string `json:"kind"`
	AmountMinor int64  `json:"amountMinor"`
}

// hasAmountParts reports whether o itemises taxes or details.
func (o *Order) hasAmountParts() bool { return len(o.Taxes) > 0 || len(o.Details) > 0 }

// validateAmountParts checks taxes and details: known kinds, amounts within PlacetoPay's
// range. Negative amounts and extra fraction digits are refused where the decimals are
// parsed (ParseMoney).
func validateAmountParts(currency string, taxes []Tax, details []AmountDetail) error {
	limit := func(minor int64) bool { _, err := NewMoney(minor, currency); return err == nil }
	if len(taxes) > maxAmountParts {
		return invalidField("amount.taxes", "at most %d taxes", maxAmountParts)
	}
	for i, t := range taxes {
		at := fmt.Sprintf("amount.taxes[%d]", i)
		switch {
		case !slices.Contains(TaxKinds, t.Kind):
			return invalidField(at+".kind", "must be one of PlacetoPay's tax kinds: %v", TaxKinds)
		case !limit(t.AmountMinor):
			return invalidField(at+".amount", "must be between 0 and 9999999999.99")
		case t.BaseMinor != nil && !limit(*t.BaseMinor):
			return invalidField(at+".base", "must be between 0 and 9999999999.99")
		}
	}
	if len(details) > maxAmountParts {
		return invalidField("amount.details", "at most %d details", maxAmountParts)
	}
	for i, d := range details {
		at := fmt.Sprintf("amount.details[%d]", i)
		switch {
		case !slices.Contains(DetailKinds, d.Kind):
			return invalidField(at+".kind", "must be one of PlacetoPay's detail kinds: %v", DetailKinds)
		case !limit(d.AmountMinor):
			return invalidField(at+".amount", "must be between 0 and 9999999999.99")
		}
	}
	return nil
}
