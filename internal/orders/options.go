package orders

import (
	"fmt"
	"regexp"
	"time"
)

// The session options of PlacetoPay's "Create a Session" document: a partial payment, a
// dispersion (the total split between agreements) and a recurring payment. Each is checked
// here, against the order, before PlacetoPay is called, so that a request PlacetoPay would
// refuse is a clear 422 that changes nothing.

// DispersionPart is one destination of a dispersion payment.
type DispersionPart struct {
	// Agreement is the destination's id (digits); empty for the site's own agreement.
	Agreement     string
	AgreementType string // MERCHANT or AIRLINE
	Amount        Money
}

// Recurring asks PlacetoPay to charge the payment method again on a schedule once the first
// payment is approved.
type Recurring struct {
	Periodicity string `json:"periodicity"` // D, M or Y
	Interval    int    `json:"interval"`
	NextPayment string `json:"nextPayment,omitempty"` // YYYY-MM-DD; PlacetoPay computes it when empty
	MaxPeriods  int    `json:"maxPeriods"`            // -1 for no limit
	DueDate     string `json:"dueDate,omitempty"`     // YYYY-MM-DD
}

// MaxDispersions is PlacetoPay's default limit of destinations (max_dispersion_error).
const MaxDispersions = 3

// maxRecurringInterval bounds interval: ten years of days is more than any schedule needs.
const maxRecurringInterval = 3650

var agreementRE = regexp.MustCompile(`^[0-9]{1,15}$`)

// validateOptions checks the session options of p against the order o on the day of now.
func (p *CheckoutParams) validateOptions(o *Order, now time.Time) error {
	if err := p.validateAmountPartsFor(o); err != nil {
		return err
	}
	if p.AllowPartial {
		switch {
		case p.Recurring != nil:
			return invalidField("recurring", "a partial session (allowPartial) cannot be recurring")
		case len(p.Dispersion) > 0:
			return invalidField("dispersion", "a partial session (allowPartial) cannot be a dispersion")
		case p.kind() == KindCheckin:
			return invalidField("allowPartial", "a preauthorization (type checkin) cannot be partial")
		}
		for i, it := range o.Items {
			if it.TaxMinor > 0 {
				return invalidField("allowPartial", "a partial session cannot carry taxes, and the order's item %d has a tax", i)
			}
		}
	}
	if len(p.Dispersion) > 0 {
		if p.kind() == KindCheckin {
			return invalidField("dispersion", "a preauthorization (type checkin) cannot be a dispersion")
		}
		if err := validateDispersion(p.Dispersion, o.Amount); err != nil {
			return err
		}
	}
	if p.Recurring != nil {
		if p.kind() == KindCheckin {
			return invalidField("recurring", "a preauthorization (type checkin) cannot be recurring")
		}
		return p.Recurring.validate(now)
	}
	return nil
}

func validateDispersion(parts []DispersionPart, total Money) error {
	if len(parts) > MaxDispersions {
		return invalidField("dispersion", "at most %d destinations", MaxDispersions)
	}
	var sum int64
	for i, d := range parts {
		at := fmt.Sprintf("dispersion[%d]", i)
		switch {
		case d.AgreementType != "MERCHANT" && d.AgreementType != "AIRLINE":
			return invalidField(at+".agreementType", "must be MERCHANT or AIRLINE")
		case d.Agreement != "" && !agreementRE.MatchString(d.Agreement):
			return invalidField(at+".agreement", "must be the agreement's numeric id")
		case d.Amount.Currency != total.Currency:
			return invalidField(at+".amount.currency", "must be the order's currency, %s", total.Currency)
		case d.Amount.Minor <= 0:
			return invalidField(at+".amount.total", "must be positive")
		}
		sum += d.Amount.Minor // each at most 9,999,999,999.99: no overflow in three
	}
	if sum != total.Minor {
		return invalidField("dispersion", "the destinations add up to %s; they must add up to the order total of %s",
			Money{Minor: sum, Currency: total.Currency}, total)
	}
	return nil
}

func (r *Recurring) validate(now time.Time) error {
	today := now.UTC().Truncate(24 * time.Hour)
	switch {
	case r.Periodicity != "D" && r.Periodicity != "M" && r.Periodicity != "Y":
		return invalidField("recurring.periodicity", "must be D (days), M (months) or Y (years)")
	case r.Interval < 1 || r.Interval > maxRecurringInterval:
		return invalidField("recurring.interval", "must be between 1 and %d", maxRecurringInterval)
	case r.MaxPeriods != -1 && r.MaxPeriods < 1:
		return invalidField("recurring.maxPeriods", "must be -1 (no limit) or at least 1")
	}
	var next time.Time
	if r.NextPayment != "" {
		d, err := time.Parse(time.DateOnly, r.NextPayment)
		if err != nil {
			return invalidField("recurring.nextPayment", "must be a date, YYYY-MM-DD")
		}
		// PlacetoPay wants a future date; the day is compared in UTC, so that no time zone
		// makes a valid date look past.
		if !d.After(today) {
			return invalidField("recurring.nextPayment", "must be after today (%s)", today.Format(time.DateOnly))
		}
		next = d
	}
	if r.DueDate != "" {
		d, err := time.Parse(time.DateOnly, r.DueDate)
		if err != nil {
			return invalidField("recurring.dueDate", "must be a date, YYYY-MM-DD")
		}
		if !d.After(today) || (!next.IsZero() && d.Before(next)) {
			return invalidField("recurring.dueDate", "must be after today and not before nextPayment")
		}
	}
	return nil
}

// sessionOptionsJSON is how the chosen options are kept in checkout_sessions.request.
type sessionOptionsJSON struct {
	AllowPartial bool             `json:"allowPartial,omitempty"`
	Dispersion   []dispersionJSON `json:"dispersion,omitempty"`
	Recurring    *Recurring       `json:"recurring,omitempty"`
}

type dispersionJSON struct {
	Agreement     string `json:"agreement,omitempty"`
	AgreementType string `json:"agreementType"`
	Currency      string `json:"currency"`
	TotalMinor    int64  `json:"totalMinor"`
}

func (p *CheckoutParams) optionsJSON() sessionOptionsJSON {
	out := sessionOptionsJSON{AllowPartial: p.AllowPartial, Recurring: p.Recurring}
	for _, d := range p.Dispersion {
		out.Dispersion = append(out.Dispersion, dispersionJSON{Agreement: d.Agreement, AgreementType: d.AgreementType,
			Currency: d.Amount.Currency, TotalMinor: d.Amount.Minor})
	}
	return out
}
