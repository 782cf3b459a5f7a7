package orders

import "testing"

// moneyCases are amounts as merchants send them: two-decimal dollars, a large peso total
// with cents, and zero-decimal Chilean pesos.
var moneyCases = []struct {
	currency, decimal string
	minor             int64
}{
	{"USD", "59.90", 5990},
	{"COP", "1234567.89", 123456789},
	{"CLP", "15000", 15000},
}

func BenchmarkParseMoney(b *testing.B) {
	for _, c := range moneyCases {
		b.Run(c.currency, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				m, err := ParseMoney(c.decimal, c.currency)
				if err != nil || m.Minor != c.minor || m.Currency != c.currency {
					b.Fatalf("ParseMoney(%q, %s) = %+v, %v; want %d", c.decimal, c.currency, m, err, c.minor)
				}
			}
		})
	}
}

func BenchmarkMoneyDecimal(b *testing.B) {
	for _, c := range moneyCases {
		m := Money{Minor: c.minor, Currency: c.currency}
		b.Run(c.currency, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if got := m.Decimal(); got != c.decimal {
					b.Fatalf("Decimal() = %q, want %q", got, c.decimal)
				}
			}
		})
	}
}
