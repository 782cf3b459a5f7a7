package http

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"

	"github.com/placetopay-gateway/gateway/internal/orders"
)

// checkoutOptions are the session options of POST /v1/orders/{id}/checkout: a partial
// payment, a dispersion and a recurrence, in PlacetoPay's names.
type checkoutOptions struct {
	AllowPartial bool             `json:"allowPartial"`
	Dispersion   []dispersionJSON `json:"dispersion"`
	Recurring    *recurringJSON   `json:"recurring"`
}

type dispersionJSON struct {
	Agreement     agreement      `json:"agreement"`
	AgreementType string         `json:"agreementType"`
	Amount        *amountRequest `json:"amount"`
}

type recurringJSON struct {
	Periodicity string `json:"periodicity"`
	Interval    int    `json:"interval"`
	NextPayment string `json:"nextPayment"`
	MaxPeriods  *int   `json:"maxPeriods"`
	DueDate     string `json:"dueDate"`
}

// agreement is a dispersion destination's id: PlacetoPay's documents write it as a number
// (30) and as a string ("1299"); both are accepted and kept as text.
type agreement string

var agreementType = reflect.TypeOf(agreement(""))

// UnmarshalJSON accepts a string, a whole number or null.
func (a *agreement) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case bytes.Equal(b, []byte("null")):
		*a = ""
	case len(b) > 0 && b[0] == '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*a = agreement(s)
	case len(b) > 0 && b[0] >= '0' && b[0] <= '9':
		*a = agreement(b)
	default:
		return &json.UnmarshalTypeError{Value: string(b), Type: agreementType}
	}
	return nil
}

// apply puts the options into p, parsing every amount exactly in its own currency.
func (o checkoutOptions) apply(p *orders.CheckoutParams) error {
	p.AllowPartial = o.AllowPartial
	for i, d := range o.Dispersion {
		at := fmt.Sprintf("dispersion[%d]", i)
		if d.Amount == nil || d.Amount.Total == "" {
			return &orders.Error{Code: orders.EInvalid, Field: at + ".amount", Message: "is required: {currency, total}"}
		}
		m, err := orders.ParseMoney(string(d.Amount.Total), d.Amount.Currency)
		if err != nil {
			var e *orders.Error
			if errors.As(err, &e) {
				return &orders.Error{Code: e.Code, Field: at + "." + e.Field, Message: e.Message}
			}
			return err
		}
		p.Dispersion = append(p.Dispersion, orders.DispersionPart{
			Agreement: string(d.Agreement), AgreementType: d.AgreementType, Amount: m,
		})
	}
	if r := o.Recurring; r != nil {
		if r.MaxPeriods == nil {
			return &orders.Error{Code: orders.EInvalid, Field: "recurring.maxPeriods", Message: "is required: -1 (no limit) or at least 1"}
		}
		p.Recurring = &orders.Recurring{Periodicity: r.Periodicity, Interval: r.Interval, NextPayment: r.NextPayment,
			MaxPeriods: *r.MaxPeriods, DueDate: r.DueDate}
	}
	return nil
}
