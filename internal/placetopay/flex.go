package placetopay

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/placetopay-gateway/gateway/internal/orders"
)

// PlacetoPay's payloads are loose about JSON types (docs/placetopay.md#payload-quirks): the same field arrives as
// a number in one response and as a string in the next. These types accept both and always
// send the documented form.

// Int64 is an integer sent as a JSON number or a numeric string ("230192"). It is sent as a
// number.
type Int64 int64

// UnmarshalJSON accepts 230192, "230192", the same number in any exact form (1.643293E+6,
// "230192.0", "+5") and null or "" (as 0). A fraction is an error: an integer is never
// rounded.
func (n *Int64) UnmarshalJSON(b []byte) error {
	s := strings.TrimSpace(string(b))
	if s == "null" {
		*n = 0
		return nil
	}
	if strings.HasPrefix(s, `"`) {
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		s = strings.TrimSpace(s)
		if s == "" {
			*n = 0
			return nil
		}
	}
	unsigned := s
	if rest, plus := strings.CutPrefix(s, "+"); plus && !strings.HasPrefix(rest, "-") {
		unsigned = rest
	}
	num, ok := parseNumber(unsigned)
	switch {
	case !ok || num.pow < 0:
		return fmt.Errorf("placetopay: %s is not an integer", s)
	case num.coef == "":
		*n = 0
		return nil
	case len(num.coef)+num.pow > 19:
		return fmt.Errorf("placetopay: %s does not fit 64 bits", s)
	}
	v, err := strconv.ParseInt(num.coef+strings.Repeat("0", num.pow), 10, 64)
	if err != nil {
		return fmt.Errorf("placetopay: %s does not fit 64 bits", s)
	}
	if num.neg {
		v = -v
	}
	*n = Int64(v)
	return nil
}

// String is text sent as a JSON string, a number (receipt 99975915, reason 401) or null. A
// number keeps its exact literal text. It is sent as a string.
type String string

// UnmarshalJSON accepts "00", 0, 401 and null (as "").
func (s *String) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case bytes.Equal(b, []byte("null")):
		*s = ""
	case len(b) > 0 && b[0] == '"':
		var v string
		if err := json.Unmarshal(b, &v); err != nil {
			return err
		}
		*s = String(v)
	case len(b) > 0 && (b[0] == '-' || (b[0] >= '0' && b[0] <= '9')):
		*s = String(b)
	case bytes.Equal(b, []byte("true")), bytes.Equal(b, []byte("false")):
		*s = String(b)
	default:
		return fmt.Errorf("placetopay: %s is not a string or a number", b)
	}
	return nil
}

// Decimal is a decimal amount as PlacetoPay wrote it, received as a JSON number or a string
// ("1000000.00", 1.0E+5) and sent as a JSON number with the same digits. Decoding keeps the
// text and never fails, so that an amount in an unexpected form never makes a whole answer
// unreadable; Minor and Money say whether it is an exact amount, and it is never converted
// through a float.
type Decimal string

// UnmarshalJSON keeps a number as written and a string without its surrounding spaces; null
// is "". Any other JSON value (true, an object) is kept as its JSON text, which no reading
// as an amount accepts.
func (d *Decimal) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case bytes.Equal(b, []byte("null")):
		*d = ""
	case len(b) > 0 && b[0] == '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*d = Decimal(strings.TrimSpace(s))
	default:
		*d = Decimal(b)
	}
	return nil
}

// MarshalJSON writes the decimal as a JSON number, or as a JSON string when its text is not
// a JSON number (what an answer sent in another form), so that keeping an answer never fails.
// The client's requests only ever hold plain decimals (validDecimal checks them).
func (d Decimal) MarshalJSON() ([]byte, error) {
	if d == "" {
		return []byte("0"), nil
	}
	if s := string(d); (s[0] == '-' || (s[0] >= '0' && s[0] <= '9')) && json.Valid([]byte(s)) {
		return []byte(s), nil
	}
	return json.Marshal(string(d))
}

// validDecimal accepts an optional minus, digits, and an optional fraction: the form the
// client sends amounts in (no exponents).
func validDecimal(s string) bool {
	s = strings.TrimPrefix(s, "-")
	whole, frac, hasPoint := strings.Cut(s, ".")
	return whole != "" && (!hasPoint || frac != "") && allDigits(whole) && allDigits(frac)
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// DecimalFromMinor formats minor units of a currency with exp fraction digits: (1050, 2) is
// "10.50", (1500, 0) is "1500".
func DecimalFromMinor(minor int64, exp int) Decimal {
	sign := ""
	if minor < 0 {
		sign, minor = "-", -minor
	}
	s := strconv.FormatInt(minor, 10)
	if exp == 0 {
		return Decimal(sign + s)
	}
	if len(s) <= exp {
		s = strings.Repeat("0", exp-len(s)+1) + s
	}
	return Decimal(sign + s[:len(s)-exp] + "." + s[len(s)-exp:])
}

// Minor returns d in minor units of a currency with exp fraction digits. Every form of the
// number is read exactly: trailing zeros ("1000.00" with exp 0), an exponent (1.0E+5), a
// string. It fails when the value has a non-zero digit beyond exp ("10.005" with exp 2,
// 1.0005E+1), so amounts that do not fit the currency are never rounded silently, and when
// it does not fit 18 digits.
func (d Decimal) Minor(exp int) (int64, error) {
	n, ok := parseNumber(string(d))
	if !ok {
		return 0, fmt.Errorf("placetopay: %q is not a decimal number", string(d))
	}
	if n.coef == "" {
		return 0, nil
	}
	shift := n.pow + exp
	if shift < 0 {
		return 0, fmt.Errorf("placetopay: %s has more than %d fraction digits", string(d), exp)
	}
	if len(n.coef)+shift > 18 {
		return 0, fmt.Errorf("placetopay: %s is too large", string(d))
	}
	v, err := strconv.ParseInt(n.coef+strings.Repeat("0", shift), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("placetopay: %s: %w", string(d), err)
	}
	if n.neg {
		v = -v
	}
	return v, nil
}

// Money reads d as an amount of currency, exactly (see Minor): PlacetoPay's amounts are read
// leniently in form and strictly in value. An unknown currency, a non-zero digit beyond the
// currency's exponent, a negative amount and one above PlacetoPay's maximum are errors. The
// merchant API's amounts are read by orders.ParseMoney instead, which also refuses the forms.
func (d Decimal) Money(currency string) (orders.Money, error) {
	exp, ok := orders.CurrencyExponent(currency)
	if !ok {
		return orders.Money{}, fmt.Errorf("placetopay: currency %q is not one the gateway knows", currency)
	}
	minor, err := d.Minor(exp)
	if err != nil {
		return orders.Money{}, err
	}
	m, err := orders.NewMoney(minor, currency)
	if err != nil {
		return orders.Money{}, fmt.Errorf("placetopay: %s %s: %w", string(d), currency, err)
	}
	return m, nil
}

// number is a decimal number read exactly: coef × 10^pow, coef without leading or trailing
// zeros ("" for zero).
type number struct {
	neg  bool
	coef string
	pow  int
}

// maxExponentDigits bounds the exponents parseNumber reads exactly. Any larger one only makes
// a non-zero number far too large or too small for an amount, and is clamped.
const maxExponentDigits = 7

// parseNumber reads a JSON number, or the same text from a string: an optional minus, digits,
// an optional fraction and an optional exponent ("1.0E+5", "2.1e-5"). Unlike JSON, leading
// zeros are allowed ("007.50"): the value is as unambiguous. Fractions without digits on
// either side of the point (".5", "5."), separators, signs other than a leading minus, and
// anything else are refused.
func parseNumber(s string) (number, bool) {
	var n number
	if strings.HasPrefix(s, "-") {
		n.neg, s = true, s[1:]
	}
	mantissa, exponent, hasExp := s, "", false
	if i := strings.IndexAny(s, "eE"); i >= 0 {
		mantissa, exponent, hasExp = s[:i], s[i+1:], true
	}
	whole, frac, hasPoint := strings.Cut(mantissa, ".")
	if whole == "" || (hasPoint && frac == "") || !allDigits(whole) || !allDigits(frac) {
		return number{}, false
	}
	pow := 0
	if hasExp {
		sign := 1
		switch {
		case strings.HasPrefix(exponent, "+"):
			exponent = exponent[1:]
		case strings.HasPrefix(exponent, "-"):
			sign, exponent = -1, exponent[1:]
		}
		if exponent == "" || !allDigits(exponent) {
			return number{}, false
		}
		exponent = strings.TrimLeft(exponent, "0")
		if len(exponent) > maxExponentDigits {
			exponent = "1" + strings.Repeat("0", maxExponentDigits)
		}
		e, _ := strconv.Atoi("0" + exponent) // at most 8 digits: cannot fail
		pow = sign * e
	}
	coef := strings.TrimLeft(whole+frac, "0")
	pow -= len(frac)
	trimmed := strings.TrimRight(coef, "0")
	n.coef, n.pow = trimmed, pow+len(coef)-len(trimmed)
	return n, true
}
