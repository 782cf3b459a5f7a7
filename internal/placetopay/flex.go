package placetopay

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// PlacetoPay's payloads are loose about JSON types (docs/placetopay.md#payload-quirks): the same field arrives as
// a number in one response and as a string in the next. These types accept both and always
// send the documented form.

// Int64 is an integer sent as a JSON number or a numeric string ("230192"). It is sent as a
// number.
type Int64 int64

// UnmarshalJSON accepts 230192, "230192" and null (as 0).
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
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		// Some payloads send integral floats ("1.0" or 1.0).
		if whole, frac, ok := strings.Cut(s, "."); ok && strings.Trim(frac, "0") == "" {
			v, err = strconv.ParseInt(whole, 10, 64)
		}
		if err != nil {
			return fmt.Errorf("placetopay: %s is not an integer", s)
		}
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

// Decimal is an exact decimal amount, received as a JSON number or a string ("1000000.00")
// and sent as a JSON number with the same digits. It is never converted through a float.
type Decimal string

// UnmarshalJSON accepts 1000, 1000.5, "1000.50" and null (as "").
func (d *Decimal) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if bytes.Equal(b, []byte("null")) {
		*d = ""
		return nil
	}
	s := string(b)
	if len(b) > 0 && b[0] == '"' {
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		s = strings.TrimSpace(s)
	}
	if !validDecimal(s) {
		return fmt.Errorf("placetopay: %q is not a decimal number", s)
	}
	*d = Decimal(s)
	return nil
}

// MarshalJSON writes the decimal as a JSON number.
func (d Decimal) MarshalJSON() ([]byte, error) {
	if d == "" {
		return []byte("0"), nil
	}
	if !validDecimal(string(d)) {
		return nil, fmt.Errorf("placetopay: %q is not a decimal number", string(d))
	}
	return []byte(d), nil
}

// validDecimal accepts an optional minus, digits, and an optional fraction: the subset of
// JSON numbers PlacetoPay uses for money (no exponents).
func validDecimal(s string) bool {
	s = strings.TrimPrefix(s, "-")
	whole, frac, hasPoint := strings.Cut(s, ".")
	if whole == "" || (hasPoint && frac == "") {
		return false
	}
	for _, part := range []string{whole, frac} {
		for i := 0; i < len(part); i++ {
			if part[i] < '0' || part[i] > '9' {
				return false
			}
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

// Minor returns d in minor units of a currency with exp fraction digits. It fails when d has
// more significant fraction digits than exp ("10.005" with exp 2), so amounts that do not
// fit the currency are never rounded silently. Trailing zeros are fine ("1000.00", exp 0).
func (d Decimal) Minor(exp int) (int64, error) {
	s := string(d)
	if !validDecimal(s) {
		return 0, fmt.Errorf("placetopay: %q is not a decimal number", s)
	}
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	whole, frac, _ := strings.Cut(s, ".")
	frac = strings.TrimRight(frac, "0")
	if len(frac) > exp {
		return 0, fmt.Errorf("placetopay: %s has more than %d fraction digits", string(d), exp)
	}
	digits := strings.TrimLeft(whole+frac+strings.Repeat("0", exp-len(frac)), "0")
	if digits == "" {
		return 0, nil
	}
	if len(digits) > 18 {
		return 0, fmt.Errorf("placetopay: %s is too large", string(d))
	}
	v, err := strconv.ParseInt(digits, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("placetopay: %s: %w", string(d), err)
	}
	if neg {
		v = -v
	}
	return v, nil
}
