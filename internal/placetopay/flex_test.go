package placetopay

import (
	"encoding/json"
	"testing"
)

// A PlacetoPay amount is read exactly whatever its form: a JSON number or a string, with
// trailing zeros or an exponent as PHP's json_encode and other encoders write them. Its
// value is never rounded: a non-zero digit beyond the currency's exponent is an error.
func TestDecimalMinorReadsEveryForm(t *testing.T) {
	tests := []struct {
		json string
		exp  int
		want int64
		ok   bool
	}{
		{`59.90`, 2, 5990, true},
		{`"59.90"`, 2, 5990, true},
		{`" 59.9 "`, 2, 5990, true},
		{`"59900.0"`, 0, 59900, true},
		{`2000.0`, 0, 2000, true},
		{`"20.000"`, 2, 2000, true},
		{`1.0E+5`, 2, 10000000, true},
		{`1.0E+5`, 0, 100000, true},
		{`"1.0E+5"`, 0, 100000, true},
		{`1e2`, 2, 10000, true},
		{`5.990E+1`, 2, 5990, true},
		{`1050E-2`, 2, 1050, true},
		{`1.05e-0`, 2, 105, true},
		{`0e999999999999`, 2, 0, true},
		{`-0.00`, 2, 0, true},
		{`"007.50"`, 2, 750, true},
		{`-1.5`, 2, -150, true},
		{`9999999999.99`, 2, 999999999999, true},
		{`10.005`, 2, 0, false},
		{`1.0005E+1`, 2, 0, false},
		{`2.1e-5`, 2, 0, false},
		{`"1000.50"`, 0, 0, false},
		{`1e-999999999999`, 2, 0, false},
		{`1e999999999999`, 2, 0, false},
		{`1e17`, 2, 0, false},
		{`"abc"`, 2, 0, false},
		{`""`, 2, 0, false},
		{`".5"`, 2, 0, false},
		{`"5."`, 2, 0, false},
		{`"1e"`, 2, 0, false},
		{`"0x10"`, 2, 0, false},
		{`"1,000.00"`, 2, 0, false},
		{`true`, 2, 0, false},
		{`{"v":1}`, 2, 0, false},
		{`[1]`, 2, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.json, func(t *testing.T) {
			var d Decimal
			if err := json.Unmarshal([]byte(tt.json), &d); err != nil {
				t.Fatalf("Unmarshal: %v; a total of any form must not make the answer unreadable", err)
			}
			got, err := d.Minor(tt.exp)
			if (err == nil) != tt.ok || got != tt.want {
				t.Errorf("Minor(%d) = %d, %v; want %d, ok %v", tt.exp, got, err, tt.want, tt.ok)
			}
		})
	}
}

// Money reads an amount in a currency the gateway knows, with that currency's exponent;
// a negative amount, one above PlacetoPay's maximum and an unknown currency are errors.
func TestDecimalMoney(t *testing.T) {
	tests := []struct {
		total, currency string
		want            int64
		ok              bool
	}{
		{"2000.0", "CLP", 2000, true},
		{"20.000", "USD", 2000, true},
		{"1.0E+5", "COP", 10000000, true},
		{"25.50", "CAD", 2550, true},
		{"25.5", "AUD", 2550, true},
		{"1.5E+1", "GBP", 1500, true},
		{"2000.5", "CLP", 0, false},
		{"10.005", "USD", 0, false},
		{"-1.00", "USD", 0, false},
		{"10000000000", "USD", 0, false},
		{"10.00", "usd", 0, false},
		{"10.00", "ZZZ", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.total+" "+tt.currency, func(t *testing.T) {
			m, err := Decimal(tt.total).Money(tt.currency)
			if (err == nil) != tt.ok || (tt.ok && (m.Minor != tt.want || m.Currency != tt.currency)) {
				t.Errorf("Money = %+v, %v; want %d %s, ok %v", m, err, tt.want, tt.currency, tt.ok)
			}
		})
	}
}

// An integer may come as a number in any exact form, or as a string; a fraction is an error.
func TestInt64ReadsEveryExactForm(t *testing.T) {
	tests := []struct {
		json string
		want int64
		ok   bool
	}{
		{`1643293`, 1643293, true},
		{`"1643293"`, 1643293, true},
		{`1.643293E+6`, 1643293, true},
		{`"1.643293e6"`, 1643293, true},
		{`1643293.0`, 1643293, true},
		{`"+5"`, 5, true},
		{`"+-5"`, 0, false},
		{`"-5"`, -5, true},
		{`null`, 0, true},
		{`""`, 0, true},
		{`9223372036854775807`, 9223372036854775807, true},
		{`9223372036854775808`, 0, false},
		{`1e19`, 0, false},
		{`1.5`, 0, false},
		{`1.6432935E+6`, 0, false},
		{`"abc"`, 0, false},
		{`true`, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.json, func(t *testing.T) {
			var n Int64
			err := json.Unmarshal([]byte(tt.json), &n)
			if (err == nil) != tt.ok || int64(n) != tt.want {
				t.Errorf("Unmarshal = %d, %v; want %d, ok %v", n, err, tt.want, tt.ok)
			}
		})
	}
}

// A decimal decoded from an answer is written back as a JSON number when it is one, and as
// a string otherwise, so that keeping what PlacetoPay sent never fails.
func TestDecimalMarshalKeepsWhatWasSent(t *testing.T) {
	for in, want := range map[string]string{
		`1.0E+5`:    `1.0E+5`,
		`"59900.0"`: `59900.0`,
		`"007.50"`:  `"007.50"`,
		`"abc"`:     `"abc"`,
		`true`:      `"true"`,
	} {
		var d Decimal
		if err := json.Unmarshal([]byte(in), &d); err != nil {
			t.Fatalf("Unmarshal(%s): %v", in, err)
		}
		got, err := json.Marshal(d)
		if err != nil || string(got) != want {
			t.Errorf("Marshal(%s) = %s, %v; want %s", in, got, err, want)
		}
	}
}
