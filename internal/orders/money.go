package orders

import (
	"math"
	"strconv"
	"strings"
)

// currencyExponents holds the ISO 4217 minor-unit exponent of every currency the gateway
// accepts: PlacetoPay's markets, the common settlement currencies, and every currency
// PlacetoPay's Checkout and autopay documents name (the autopay amount's enum lists CAD,
// AUD and GBP besides its markets'; internal/placetopay's TestEveryDocumentedCurrencyIsKnown
// keeps this list complete).
var currencyExponents = map[string]int{
	"ARS": 2, "AUD": 2, "BRL": 2, "BZD": 2, "CAD": 2, "CLP": 0, "COP": 2, "CRC": 2, "DOP": 2,
	"EUR": 2, "GBP": 2, "GTQ": 2, "HNL": 2, "MXN": 2, "PAB": 2, "PEN": 2, "PYG": 0, "USD": 2,
	"UYU": 2,
}

// maxMajorUnits is PlacetoPay's largest amount, 9,999,999,999.99, in whole units; with the
// fraction it bounds every total (CLP, with no minor unit, tops out at 9,999,999,999).
const maxMajorUnits = 9_999_999_999

// CurrencyExponent returns the number of fraction digits currency allows, and whether the
// gateway knows the currency at all.
func CurrencyExponent(currency string) (int, bool) {
	e, ok := currencyExponents[currency]
	return e, ok
}

// Money is an amount in minor units of an ISO 4217 currency. Build it with NewMoney or
// ParseMoney; the zero value is not valid money.
type Money struct {
	Minor    int64
	Currency string
}

// NewMoney returns minor units of currency, rejecting unknown currencies, negative amounts
// and amounts above PlacetoPay's maximum.
func NewMoney(minor int64, currency string) (Money, error) {
	exp, ok := currencyExponents[currency]
	if !ok {
		return Money{}, invalidField("amount.currency", "currency %q is not supported", currency)
	}
	if minor < 0 {
		return Money{}, invalidField("amount.total", "must not be negative")
	}
	if minor > maxMinor(exp) {
		return Money{}, invalidField("amount.total", "exceeds the maximum of 9999999999.99")
	}
	return Money{Minor: minor, Currency: currency}, nil
}

func maxMinor(exp int) int64 {
	m := int64(maxMajorUnits)
	for range exp {
		m = m*10 + 9
	}
	return m
}

// ParseMoney parses a plain decimal string ("10", "10.5", "10.50") exactly into minor units
// of currency. It refuses signs other than a leading minus (reported as negative),
// exponents, separators, and more fraction digits than the currency allows.
func ParseMoney(decimal, currency string) (Money, error) {
	exp, ok := currencyExponents[currency]
	if !ok {
		return Money{}, invalidField("amount.currency", "currency %q is not supported", currency)
	}
	s := decimal
	negative := strings.HasPrefix(s, "-")
	if negative {
		s = s[1:]
	}
	whole, frac, hasPoint := strings.Cut(s, ".")
	if whole == "" || (hasPoint && frac == "") || !allDigits(whole) || !allDigits(frac) {
		return Money{}, invalidField("amount.total", "%q is not a plain decimal number", decimal)
	}
	if len(frac) > exp {
		if exp == 0 {
			return Money{}, invalidField("amount.total", "%s allows no fraction digits", currency)
		}
		return Money{}, invalidField("amount.total", "%s allows at most %d fraction digits", currency, exp)
	}
	if negative {
		return Money{}, invalidField("amount.total", "must not be negative")
	}
	whole = strings.TrimLeft(whole, "0")
	if len(whole) > len(strconv.Itoa(maxMajorUnits)) {
		return Money{}, invalidField("amount.total", "exceeds the maximum of 9999999999.99")
	}
	digits := whole + frac + strings.Repeat("0", exp-len(frac))
	if digits == "" {
		digits = "0"
	}
	minor, err := strconv.ParseInt(digits, 10, 64)
	if err != nil || minor > math.MaxInt64/10 {
		return Money{}, invalidField("amount.total", "exceeds the maximum of 9999999999.99")
	}
	return NewMoney(minor, currency)
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// Decimal formats m with exactly the currency's fraction digits: 1050 USD is "10.50".
func (m Money) Decimal() string {
	exp := currencyExponents[m.Currency]
	sign, minor := "", m.Minor
	if minor < 0 {
		sign, minor = "-", -minor
	}
	s := strconv.FormatInt(minor, 10)
	if exp == 0 {
		return sign + s
	}
	if len(s) <= exp {
		s = strings.Repeat("0", exp-len(s)+1) + s
	}
	return sign + s[:len(s)-exp] + "." + s[len(s)-exp:]
}

// String formats m for people and logs: "10.50 USD".
func (m Money) String() string { return m.Decimal() + " " + m.Currency }

// withMinor is minor units of m's currency.
func (m Money) withMinor(minor int64) Money { return Money{Minor: minor, Currency: m.Currency} }
