package orders

import (
	"math/big"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// Maximum totals per currency exponent, written out rather than derived from maxMinor.
const (
	maxTwoDecimals int64 = 999_999_999_999 // 9,999,999,999.99
	maxNoDecimals  int64 = 9_999_999_999   // 9,999,999,999
)

func TestParseMoney(t *testing.T) {
	tests := []struct {
		decimal, currency string
		want              Money
		wantField         string // "" when the input must be accepted
		wantMessage       string // a fragment of the refusal, when it matters
	}{
		{decimal: "10", currency: "USD", want: Money{1000, "USD"}},
		{decimal: "10.5", currency: "USD", want: Money{1050, "USD"}},
		{decimal: "10.50", currency: "USD", want: Money{1050, "USD"}},
		{decimal: "0.01", currency: "USD", want: Money{1, "USD"}},
		{decimal: "010.50", currency: "USD", want: Money{1050, "USD"}},
		{decimal: "0", currency: "USD", want: Money{0, "USD"}},
		{decimal: "0.00", currency: "USD", want: Money{0, "USD"}},
		{decimal: "1234.56", currency: "COP", want: Money{123456, "COP"}},
		{decimal: "1500", currency: "CLP", want: Money{1500, "CLP"}},
		{decimal: "9999999999.99", currency: "USD", want: Money{maxTwoDecimals, "USD"}},
		{decimal: "9999999999", currency: "USD", want: Money{999_999_999_900, "USD"}},
		{decimal: "000000000000000000009999999999.99", currency: "USD", want: Money{maxTwoDecimals, "USD"}},
		{decimal: "9999999999", currency: "CLP", want: Money{maxNoDecimals, "CLP"}},
		{decimal: "9999999999", currency: "PYG", want: Money{maxNoDecimals, "PYG"}},
		{decimal: "25.50", currency: "CAD", want: Money{2550, "CAD"}},
		{decimal: "25.5", currency: "AUD", want: Money{2550, "AUD"}},
		{decimal: "25", currency: "GBP", want: Money{2500, "GBP"}},

		{decimal: "10.005", currency: "USD", wantField: "amount.total", wantMessage: "at most 2 fraction digits"},
		{decimal: "1.5", currency: "CLP", wantField: "amount.total", wantMessage: "no fraction digits"},
		// The merchant's amounts stay strict: PlacetoPay's trailing zeros and exponents
		// (placetopay.Decimal.Money) are refused here.
		{decimal: "1500.0", currency: "CLP", wantField: "amount.total"},
		{decimal: "2000.0", currency: "CLP", wantField: "amount.total", wantMessage: "no fraction digits"},
		{decimal: "20.000", currency: "USD", wantField: "amount.total", wantMessage: "at most 2 fraction digits"},
		{decimal: "1e3", currency: "USD", wantField: "amount.total"},
		{decimal: "1E3", currency: "USD", wantField: "amount.total"},
		{decimal: "1,000.00", currency: "USD", wantField: "amount.total"},
		{decimal: "1_000", currency: "USD", wantField: "amount.total"},
		{decimal: " 10", currency: "USD", wantField: "amount.total"},
		{decimal: "10 ", currency: "USD", wantField: "amount.total"},
		{decimal: "10\n", currency: "USD", wantField: "amount.total"},
		{decimal: "+10", currency: "USD", wantField: "amount.total"},
		{decimal: "-1", currency: "USD", wantField: "amount.total", wantMessage: "negative"},
		{decimal: "-0.01", currency: "USD", wantField: "amount.total", wantMessage: "negative"},
		{decimal: "-", currency: "USD", wantField: "amount.total"},
		{decimal: "--1", currency: "USD", wantField: "amount.total"},
		{decimal: "", currency: "USD", wantField: "amount.total"},
		{decimal: ".5", currency: "USD", wantField: "amount.total"},
		{decimal: "5.", currency: "USD", wantField: "amount.total"},
		{decimal: ".", currency: "USD", wantField: "amount.total"},
		{decimal: "1.2.3", currency: "USD", wantField: "amount.total"},
		{decimal: "abc", currency: "USD", wantField: "amount.total"},
		{decimal: "0x10", currency: "USD", wantField: "amount.total"},
		{decimal: "١٠", currency: "USD", wantField: "amount.total"}, // Arabic-Indic digits
		{decimal: "NaN", currency: "USD", wantField: "amount.total"},
		{decimal: "Inf", currency: "USD", wantField: "amount.total"},

		{decimal: "10000000000.00", currency: "USD", wantField: "amount.total", wantMessage: "maximum"},
		{decimal: "10000000000", currency: "USD", wantField: "amount.total", wantMessage: "maximum"},
		{decimal: "9999999999.999", currency: "USD", wantField: "amount.total"},
		{decimal: "10000000000", currency: "CLP", wantField: "amount.total", wantMessage: "maximum"},
		{decimal: "9223372036854775807", currency: "CLP", wantField: "amount.total", wantMessage: "maximum"},
		{decimal: "92233720368547758.07", currency: "USD", wantField: "amount.total", wantMessage: "maximum"},
		{decimal: strings.Repeat("9", 30), currency: "USD", wantField: "amount.total", wantMessage: "maximum"},
		{decimal: strings.Repeat("9", 30) + ".99", currency: "USD", wantField: "amount.total", wantMessage: "maximum"},
		{decimal: "1" + strings.Repeat("0", 400), currency: "CLP", wantField: "amount.total", wantMessage: "maximum"},

		{decimal: "10", currency: "XXX", wantField: "amount.currency"},
		{decimal: "10", currency: "usd", wantField: "amount.currency"},
		{decimal: "10", currency: "", wantField: "amount.currency"},
		{decimal: "10", currency: " USD", wantField: "amount.currency"},
		// The currency is checked first: a bad total in an unknown currency names the currency.
		{decimal: "abc", currency: "XXX", wantField: "amount.currency"},
	}
	for _, tt := range tests {
		t.Run(tt.currency+"/"+truncate(tt.decimal), func(t *testing.T) {
			got, err := ParseMoney(tt.decimal, tt.currency)
			if tt.wantField == "" {
				if err != nil {
					t.Fatalf("ParseMoney(%q, %q) = %v", tt.decimal, tt.currency, err)
				}
				if d := cmp.Diff(tt.want, got); d != "" {
					t.Errorf("ParseMoney(%q, %q): %s", tt.decimal, tt.currency, d)
				}
				return
			}
			wantError(t, err, EInvalid, tt.wantField)
			if !strings.Contains(err.Error(), tt.wantMessage) {
				t.Errorf("error %q does not mention %q", err, tt.wantMessage)
			}
			if got != (Money{}) {
				t.Errorf("refused input returned %+v, want the zero Money", got)
			}
		})
	}
}

func truncate(s string) string {
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}

// TestCurrencyExponents pins every supported currency to its ISO 4217 minor unit.
func TestCurrencyExponents(t *testing.T) {
	want := map[string]int{
		"ARS": 2, "AUD": 2, "BRL": 2, "BZD": 2, "CAD": 2, "CLP": 0, "COP": 2, "CRC": 2, "DOP": 2,
		"EUR": 2, "GBP": 2, "GTQ": 2, "HNL": 2, "MXN": 2, "PAB": 2, "PEN": 2, "PYG": 0, "USD": 2,
		"UYU": 2,
	}
	if d := cmp.Diff(want, currencyExponents); d != "" {
		t.Errorf("currencyExponents: %s", d)
	}
	for c, e := range want {
		got, ok := CurrencyExponent(c)
		if !ok || got != e {
			t.Errorf("CurrencyExponent(%q) = %d, %t; want %d, true", c, got, ok, e)
		}
	}
	if _, ok := CurrencyExponent("XXX"); ok {
		t.Error(`CurrencyExponent("XXX") reports a known currency`)
	}
}

func TestMoneyRoundTripsEveryCurrency(t *testing.T) {
	for currency, exp := range currencyExponents {
		maxMinor := maxTwoDecimals
		if exp == 0 {
			maxMinor = maxNoDecimals
		}
		for _, minor := range []int64{0, 1, 9, 10, 99, 100, 105, 123456789, maxMinor - 1, maxMinor} {
			m, err := NewMoney(minor, currency)
			if err != nil {
				t.Fatalf("NewMoney(%d, %s) = %v", minor, currency, err)
			}
			dec := m.Decimal()
			_, frac, _ := strings.Cut(dec, ".")
			if len(frac) != exp {
				t.Errorf("%d %s: Decimal() = %q has %d fraction digits, want %d", minor, currency, dec, len(frac), exp)
			}
			back, err := ParseMoney(dec, currency)
			if err != nil {
				t.Fatalf("ParseMoney(%q, %s) = %v", dec, currency, err)
			}
			if back != m {
				t.Errorf("ParseMoney(%q, %s) = %+v, want %+v", dec, currency, back, m)
			}
		}
	}
}

func TestMoneyDecimal(t *testing.T) {
	tests := []struct {
		m    Money
		want string
	}{
		{Money{0, "USD"}, "0.00"},
		{Money{1, "USD"}, "0.01"},
		{Money{10, "USD"}, "0.10"},
		{Money{100, "USD"}, "1.00"},
		{Money{105, "USD"}, "1.05"},
		{Money{1050, "USD"}, "10.50"},
		{Money{maxTwoDecimals, "USD"}, "9999999999.99"},
		{Money{0, "CLP"}, "0"},
		{Money{1, "CLP"}, "1"},
		{Money{10, "CLP"}, "10"},
		{Money{100, "CLP"}, "100"},
		{Money{105, "CLP"}, "105"},
		{Money{maxNoDecimals, "CLP"}, "9999999999"},
		// Negative amounts (refund deltas) format with a sign, never "0.-5".
		{Money{-5, "USD"}, "-0.05"},
		{Money{-1050, "USD"}, "-10.50"},
		{Money{-7, "CLP"}, "-7"},
	}
	for _, tt := range tests {
		t.Run(tt.m.Currency+"/"+tt.want, func(t *testing.T) {
			if got := tt.m.Decimal(); got != tt.want {
				t.Errorf("Money%+v.Decimal() = %q, want %q", tt.m, got, tt.want)
			}
			if got, want := tt.m.String(), tt.want+" "+tt.m.Currency; got != want {
				t.Errorf("Money%+v.String() = %q, want %q", tt.m, got, want)
			}
		})
	}
}

func TestNewMoney(t *testing.T) {
	tests := []struct {
		name      string
		minor     int64
		currency  string
		wantField string
	}{
		{"zero", 0, "USD", ""},
		{"usd max", maxTwoDecimals, "USD", ""},
		{"usd over max", maxTwoDecimals + 1, "USD", "amount.total"},
		{"clp max", maxNoDecimals, "CLP", ""},
		{"clp over max", maxNoDecimals + 1, "CLP", "amount.total"},
		{"max int64", 1<<63 - 1, "USD", "amount.total"},
		{"negative", -1, "USD", "amount.total"},
		{"min int64", -1 << 63, "USD", "amount.total"},
		{"unknown currency", 100, "XXX", "amount.currency"},
		{"lowercase currency", 100, "usd", "amount.currency"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := NewMoney(tt.minor, tt.currency)
			if tt.wantField != "" {
				wantError(t, err, EInvalid, tt.wantField)
				return
			}
			if err != nil {
				t.Fatalf("NewMoney(%d, %q) = %v", tt.minor, tt.currency, err)
			}
			if d := cmp.Diff(Money{tt.minor, tt.currency}, got); d != "" {
				t.Errorf("NewMoney: %s", d)
			}
		})
	}
}

// FuzzParseMoney checks ParseMoney against an independent oracle: an input is accepted
// exactly when it is plain digits with at most the currency's fraction digits and a value
// within the maximum, and then it means exactly that value and round-trips through Decimal.
func FuzzParseMoney(f *testing.F) {
	for _, seed := range [][2]string{
		{"10.50", "USD"}, {"1500", "CLP"}, {"9999999999.99", "USD"}, {"10000000000", "CLP"},
		{"-1", "USD"}, {"1e3", "USD"}, {"010.5", "COP"}, {"1.5", "CLP"},
	} {
		f.Add(seed[0], seed[1])
	}
	plain := map[int]*regexp.Regexp{
		0: regexp.MustCompile(`^[0-9]+$`),
		2: regexp.MustCompile(`^[0-9]+(\.[0-9]{1,2})?$`),
	}
	limit := map[int]*big.Rat{
		0: new(big.Rat).SetInt64(maxNoDecimals),
		2: big.NewRat(maxTwoDecimals, 100),
	}
	f.Fuzz(func(t *testing.T, decimal, currency string) {
		m, err := ParseMoney(decimal, currency)
		exp, known := CurrencyExponent(currency)
		if !known {
			if err == nil {
				t.Fatalf("ParseMoney(%q, %q) accepted an unknown currency: %+v", decimal, currency, m)
			}
			return
		}
		var value *big.Rat
		if plain[exp].MatchString(decimal) {
			value, _ = new(big.Rat).SetString(decimal)
		}
		wantOK := value != nil && value.Cmp(limit[exp]) <= 0
		if !wantOK {
			if err == nil {
				t.Fatalf("ParseMoney(%q, %s) = %+v, want a refusal", decimal, currency, m)
			}
			if e := domainError(t, err); e.Code != EInvalid || e.Field != "amount.total" {
				t.Fatalf("ParseMoney(%q, %s) = %v, want invalid amount.total", decimal, currency, err)
			}
			return
		}
		if err != nil {
			t.Fatalf("ParseMoney(%q, %s) = %v, want %s", decimal, currency, err, value.FloatString(exp))
		}
		if top := map[int]int64{0: maxNoDecimals, 2: maxTwoDecimals}[exp]; m.Minor > top {
			t.Fatalf("ParseMoney(%q, %s) = %+v, above the maximum of %d minor units", decimal, currency, m, top)
		}
		if m.Currency != currency || m.Minor < 0 || big.NewRat(m.Minor, pow10(exp)).Cmp(value) != 0 {
			t.Fatalf("ParseMoney(%q, %s) = %+v, want %s", decimal, currency, m, value.FloatString(exp))
		}
		if back, err := ParseMoney(m.Decimal(), currency); err != nil || back != m {
			t.Fatalf("ParseMoney(%q) = %+v, %v; want %+v", m.Decimal(), back, err, m)
		}
	})
}

func pow10(exp int) int64 {
	p := int64(1)
	for range exp {
		p *= 10
	}
	return p
}
