package http

import (
	"fmt"

	"github.com/placetopay-gateway/gateway/internal/orders"
)

// taxJSON and detailJSON are an order amount's taxes and details, in PlacetoPay's names:
// decimals in, decimal strings out, under the total's rules.
type taxJSON struct {
	Kind   string  `json:"kind"`
	Amount decimal `json:"amount"`
	Base   decimal `json:"base,omitempty"`
}

type detailJSON struct {
	Kind   string  `json:"kind"`
	Amount decimal `json:"amount"`
}

// parts parses the taxes and details exactly in currency, naming the field at fault.
func (a *orderAmountRequest) parts(currency string) ([]orders.Tax, []orders.AmountDetail, error) {
	var taxes []orders.Tax
	for i, t := range a.Taxes {
		at := fmt.Sprintf("amount.taxes[%d]", i)
		m, err := requiredMoney(t.Amount, currency, at+".amount")
		if err != nil {
			return nil, nil, err
		}
		tax := orders.Tax{Kind: t.Kind, AmountMinor: m.Minor}
		if t.Base != "" {
			b, err := orders.ParseMoney(string(t.Base), currency)
			if err != nil {
				return nil, nil, renameField(err, at+".base")
			}
			tax.BaseMinor = &b.Minor
		}
		taxes = append(taxes, tax)
	}
	var details []orders.AmountDetail
	for i, d := range a.Details {
		m, err := requiredMoney(d.Amount, currency, fmt.Sprintf("amount.details[%d].amount", i))
		if err != nil {
			return nil, nil, err
		}
		details = append(details, orders.AmountDetail{Kind: d.Kind, AmountMinor: m.Minor})
	}
	return taxes, details, nil
}

func requiredMoney(d decimal, currency, field string) (orders.Money, error) {
	if d == "" {
		return orders.Money{}, &orders.Error{Code: orders.EInvalid, Field: field, Message: "is required"}
	}
	m, err := orders.ParseMoney(string(d), currency)
	return m, renameField(err, field)
}

// orderAmountJSON is an order's amount on the wire: moneyJSON, with the taxes and details
// when the order itemises them.
type orderAmountJSON struct {
	moneyJSON
	Taxes   []taxJSON    `json:"taxes,omitempty"`
	Details []detailJSON `json:"details,omitempty"`
}

func toOrderAmountJSON(o orders.Order) orderAmountJSON {
	cur := o.Amount.Currency
	dec := func(minor int64) decimal { return decimal(orders.Money{Minor: minor, Currency: cur}.Decimal()) }
	out := orderAmountJSON{moneyJSON: toMoneyJSON(o.Amount)}
	for _, t := range o.Taxes {
		tj := taxJSON{Kind: t.Kind, Amount: dec(t.AmountMinor)}
		if t.BaseMinor != nil {
			tj.Base = dec(*t.BaseMinor)
		}
		out.Taxes = append(out.Taxes, tj)
	}
	for _, d := range o.Details {
		out.Details = append(out.Details, detailJSON{Kind: d.Kind, Amount: dec(d.AmountMinor)})
	}
	return out
}
