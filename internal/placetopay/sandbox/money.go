package sandbox

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"

	"github.com/placetopay-gateway/gateway/internal/placetopay"
)

// money is an exact amount: an ISO 4217 code and hundredths of its unit. The sandbox keeps
// two fraction digits for every currency; it never needs a currency's own exponent.
type money struct {
	Currency string
	Cents    int64
}

var currencyCode = regexp.MustCompile(`^[A-Z]{3}$`)

// amountRequest is an amount as requests send it: total as a JSON number or string.
type amountRequest struct {
	Currency string              `json:"currency"`
	Total    placetopay.Decimal  `json:"total"`
	Taxes    []amountPartRequest `json:"taxes,omitempty"`
	Details  []amountPartRequest `json:"details,omitempty"`
}

// parse validates a requested amount; zero totals are allowed only when allowZero.
func (a amountRequest) parse(allowZero bool) (money, error) {
	if !currencyCode.MatchString(a.Currency) {
		return money{}, fmt.Errorf("the currency must be an ISO 4217 alphabetic code, not %q", a.Currency)
	}
	if a.Total == "" {
		return money{}, fmt.Errorf("the amount total is required")
	}
	cents, err := a.Total.Minor(2)
	if err != nil {
		return money{}, fmt.Errorf("the amount total %s must have at most two decimals", string(a.Total))
	}
	if cents < 0 || (cents == 0 && !allowZero) {
		return money{}, fmt.Errorf("the amount total must be greater than zero")
	}
	return money{Currency: a.Currency, Cents: cents}, nil
}

// total is the amount as a JSON number: "10", "10.50".
func (m money) total() json.Number { return json.Number(formatCents(m.Cents)) }

// String is the amount for people: "USD 10.50", "COP 15000.00".
func (m money) String() string {
	return m.Currency + " " + string(placetopay.DecimalFromMinor(m.Cents, 2))
}

func formatCents(cents int64) string {
	return strings.TrimSuffix(string(placetopay.DecimalFromMinor(cents, 2)), ".00")
}
