package placetopay

import (
	"fmt"
	"strings"
	"time"
)

// payment checks a PaymentRequest of a session (of type typ) or a collect.
//
// The session options exclude each other as the docs say: a partial payment (allowPartial)
// carries no taxes, no recurrence and no dispersion; a dispersion has at most
// MaxDispersions destinations in the payment's currency adding up exactly to its total; a
// checkin (preauthorization) session allows no "mixed" payment, read as neither
// allowPartial (the OpenAPI document's "session with mixed payment" example is a partial
// one) nor dispersion.
func (r *rules) payment(p PaymentRequest, typ string, now time.Time, field string) {
	r.length(p.Reference, 32, field+".reference")
	r.maxLen(p.Description, 250, field+".description")
	r.amount(p.Amount, field+".amount", true)
	r.person(p.Shipping, field+".shipping")
	r.fields(p.Fields, field+".fields")
	for i, it := range p.Items {
		at := fmt.Sprintf("%s.items[%d]", field, i)
		r.check(it.Price == "" || validDecimal(string(it.Price)), at+".price", "decimal number")
		r.check(it.Tax == nil || validDecimal(string(*it.Tax)), at+".tax", "decimal number")
	}
	if len(p.Dispersion) > 0 {
		r.check(len(p.Amount.Taxes) == 0, field+".amount.taxes", "not allowed with a dispersion")
		r.check(len(p.Amount.Details) == 0, field+".amount.details", "not allowed with a dispersion")
	}
	if p.AllowPartial {
		r.check(len(p.Amount.Taxes) == 0, field+".amount.taxes", "not allowed with allowPartial")
		r.check(p.Recurring == nil, field+".recurring", "not allowed with allowPartial")
		r.check(len(p.Dispersion) == 0, field+".dispersion", "not allowed with allowPartial")
	}
	if typ == SessionTypeCheckin {
		r.check(!p.AllowPartial, field+".allowPartial", "not allowed with type checkin")
		r.check(len(p.Dispersion) == 0, field+".dispersion", "not allowed with type checkin")
	}
	if p.Recurring != nil {
		r.recurring(*p.Recurring, now, field+".recurring")
	}
	if len(p.Dispersion) > 0 {
		r.dispersion(p, field+".dispersion")
	}
}

// TaxKinds and DetailKinds are the kinds of an amount's taxes and details (the Taxes and
// Details schemas of the Checkout document).
var (
	TaxKinds    = []string{"valueAddedTax", "exciseDuty", "ice", "airportTax", "stateTax", "reducedStateTax", "municipalTax"}
	DetailKinds = []string{"discount", "additional", "vatDevolutionBase", "shipping", "handlingFee", "insurance",
		"giftWrap", "subtotal", "fee", "tip", "airline", "interests"}
)

// amount checks a currency and a total (positive, or zero when positive is false), taxes
// and details included.
func (r *rules) amount(a Amount, field string, positive bool) {
	r.check(currencyRE.MatchString(a.Currency), field+".currency", "ISO 4217 alpha-3 code")
	sign, ok := decimalSign(a.Total)
	switch {
	case !ok:
		r.check(false, field+".total", "decimal number")
	case positive:
		r.check(sign > 0, field+".total", "must be positive")
	default:
		r.check(sign >= 0, field+".total", "cannot be negative")
	}
	for i, t := range a.Taxes {
		at := fmt.Sprintf("%s.taxes[%d]", field, i)
		r.oneOf(t.Kind, at+".kind", TaxKinds...)
		r.nonNegative(t.Amount, at+".amount")
		if t.Base != nil {
			r.nonNegative(*t.Base, at+".base")
		}
	}
	for i, d := range a.Details {
		at := fmt.Sprintf("%s.details[%d]", field, i)
		r.oneOf(d.Kind, at+".kind", DetailKinds...)
		r.nonNegative(d.Amount, at+".amount")
	}
}

func (r *rules) nonNegative(d Decimal, field string) {
	sign, ok := decimalSign(d)
	r.check(ok && sign >= 0, field, "non-negative decimal number")
}

// decimalSign returns -1, 0 or 1, and whether d is a decimal number at all.
func decimalSign(d Decimal) (int, bool) {
	s := string(d)
	if !validDecimal(s) {
		return 0, false
	}
	if strings.Trim(s, "-0.") == "" {
		return 0, true
	}
	if strings.HasPrefix(s, "-") {
		return -1, true
	}
	return 1, true
}

func (r *rules) recurring(rc Recurring, now time.Time, field string) {
	r.oneOf(rc.Periodicity, field+".periodicity", "D", "M", "Y")
	r.check(rc.Interval >= 1, field+".interval", "at least 1")
	r.check(rc.MaxPeriods == -1 || rc.MaxPeriods >= 1, field+".maxPeriods", "-1 (no limit) or at least 1")
	r.date(rc.NextPayment, field+".nextPayment")
	if next, err := time.Parse(time.DateOnly, rc.NextPayment); err == nil {
		// The docs want a future date; the day is compared in UTC, so that no merchant's
		// time zone can make a valid date look past.
		r.check(!next.Before(now.UTC().Truncate(24*time.Hour)), field+".nextPayment", "cannot be in the past")
	}
	r.date(rc.DueDate, field+".dueDate")
	r.absURL(rc.NotificationURL, field+".notificationUrl", false)
}

// dispersion checks the destinations of p against its amount, in exact minor units.
func (r *rules) dispersion(p PaymentRequest, field string) {
	r.check(len(p.Dispersion) <= MaxDispersions, field, fmt.Sprintf("at most %d destinations", MaxDispersions))
	exp := fractionDigits(p.Amount.Total)
	for i, d := range p.Dispersion {
		at := fmt.Sprintf("%s[%d]", field, i)
		r.amount(d.Amount, at+".amount", true)
		r.check(d.Amount.Currency == p.Amount.Currency, at+".amount.currency", "must be the payment currency")
		r.oneOf(d.AgreementType, at+".agreementType", "MERCHANT", "AIRLINE")
		exp = max(exp, fractionDigits(d.Amount.Total))
	}
	if r.err != nil {
		return
	}
	total, err := p.Amount.Total.Minor(exp)
	r.check(err == nil, field, "amounts too large to add up")
	var sum int64
	for _, d := range p.Dispersion {
		part, err := d.Amount.Total.Minor(exp)
		r.check(err == nil, field, "amounts too large to add up")
		sum += part
	}
	r.check(sum == total, field, "amounts must add up to the payment total")
}

// fractionDigits counts the significant fraction digits of a valid decimal.
func fractionDigits(d Decimal) int {
	_, frac, _ := strings.Cut(string(d), ".")
	return len(strings.TrimRight(frac, "0"))
}
