package locale

import (
	"testing"
	"time"
)

var texts = NewTexts(map[string]string{
	"Pay":              "Pagar",
	"%d attempts left": "quedan %d intentos",
	"Order %s is %s":   "El pedido %s está %s",
})

func TestMoneyIsWrittenAsTheLocaleWritesIt(t *testing.T) {
	for _, tc := range []struct {
		locale   string
		minor    int64
		exponent int
		currency string
		want     string
	}{
		// COP: pesos with no cents in use, shown only when there are some.
		{"es_CO", 5_990_000, 2, "COP", "$ 59.900 COP"},
		{"es_CO", 5_990_050, 2, "COP", "$ 59.900,50 COP"},
		{"es_CO", 5_990_005, 2, "COP", "$ 59.900,05 COP"},
		{"es_CO", 123_456_789_00, 2, "COP", "$ 123.456.789 COP"},
		{"en_US", 5_990_000, 2, "COP", "COP 59,900"},
		{"en_US", 5_990_050, 2, "COP", "COP 59,900.50"},
		// USD: always two decimals.
		{"es_CO", 2500, 2, "USD", "$ 25,00 USD"},
		{"es_CO", 100_050, 2, "USD", "$ 1.000,50 USD"},
		{"en_US", 2500, 2, "USD", "USD 25.00"},
		{"en_US", 12_345, 2, "USD", "USD 123.45"},
		{"en_US", 5, 2, "USD", "USD 0.05"},
		// CLP: no minor unit at all.
		{"es_CL", 15_000, 0, "CLP", "$ 15.000 CLP"},
		{"en_US", 15_000, 0, "CLP", "CLP 15,000"},
		// The sandbox keeps hundredths for every currency: CLP 15000.00 is still "15.000".
		{"es_CL", 1_500_000, 2, "CLP", "$ 15.000 CLP"},
		// Regions that write numbers the other way round (CLDR), and other currencies.
		{"es_PR", 5_990_050, 2, "USD", "$ 59,900.50 USD"},
		{"es_EC", 5_990_050, 2, "USD", "$ 59.900,50 USD"},
		{"es_CO", 1000, 2, "EUR", "€ 10,00 EUR"},
		{"pt_BR", 1000, 2, "BRL", "BRL 10.00"},
		// A code golang.org/x/text does not know: all its digits, no symbol.
		{"es_CO", 1000, 2, "XYZ", "XYZ 10,00"},
		{"es_CO", -2500, 2, "USD", "-$ 25,00 USD"},
		{"es_CO", 0, 2, "COP", "$ 0 COP"},
	} {
		t.Run(tc.locale+" "+tc.want, func(t *testing.T) {
			l := FromPlacetoPay(tc.locale, nil, texts)
			if got := l.Money(tc.minor, tc.exponent, tc.currency); got != tc.want {
				t.Errorf("Money(%d, %d, %s) = %q, want %q", tc.minor, tc.exponent, tc.currency, got, tc.want)
			}
		})
	}
}

func TestDatesAreWrittenInTheRegionsZone(t *testing.T) {
	at := time.Date(2026, 12, 4, 15, 24, 0, 0, time.UTC)
	minus5 := time.FixedZone("-05", -5*60*60)
	for _, tc := range []struct {
		name string
		l    Locale
		want string
	}{
		{"es_CO: Bogotá", FromPlacetoPay("es_CO", time.UTC, texts), "4 de diciembre de 2026, 10:24"},
		{"es_CL: Santiago, in summer time", FromPlacetoPay("es_CL", time.UTC, texts), "4 de diciembre de 2026, 12:24"},
		{"es_PR: Puerto Rico", FromPlacetoPay("es_PR", time.UTC, texts), "4 de diciembre de 2026, 11:24"},
		{"no locale: es_CO", FromPlacetoPay("", time.UTC, texts), "4 de diciembre de 2026, 10:24"},
		{"en_CO: Bogotá, in English", FromPlacetoPay("en_CO", time.UTC, texts), "December 4, 2026, 10:24 AM"},
		{"en_US: no one zone, the fallback's", FromPlacetoPay("en_US", minus5, texts), "December 4, 2026, 10:24 AM (UTC-05:00)"},
		{"es_MX: no one zone, UTC", FromPlacetoPay("es_MX", nil, texts), "4 de diciembre de 2026, 15:24 (UTC)"},
		{"browser en-US", FromAcceptLanguage("en-US,en;q=0.9", texts), "December 4, 2026, 3:24 PM (UTC)"},
		{"browser es-CO", FromAcceptLanguage("es-CO,es;q=0.9", texts), "4 de diciembre de 2026, 10:24"},
		{"browser es", FromAcceptLanguage("es", texts), "4 de diciembre de 2026, 15:24 (UTC)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.l.Date(at); got != tc.want {
				t.Errorf("Date = %q, want %q", got, tc.want)
			}
		})
	}
	if got := FromPlacetoPay("es_CO", nil, texts).Date(time.Date(2027, 1, 9, 5, 7, 0, 0, time.UTC)); got != "9 de enero de 2027, 00:07" {
		t.Errorf("a single-digit day and midnight: %q", got)
	}
}

func TestPlacetoPayLocalesAreSpanishForEsAndEnglishOtherwise(t *testing.T) {
	for _, tc := range []struct {
		code, lang, pay string
	}{
		{"es_CO", "es", "Pagar"},
		{"es_PR", "es", "Pagar"},
		{"es_EC", "es", "Pagar"},
		{"es_CL", "es", "Pagar"},
		{"", "es", "Pagar"}, // PlacetoPay's default, es_CO
		{"en_US", "en", "Pay"},
		{"pt_BR", "en", "Pay"},
		{"fr_FR", "en", "Pay"},
		{"not a locale", "es", "Pagar"},
	} {
		l := FromPlacetoPay(tc.code, nil, texts)
		if l.Lang() != tc.lang || l.T("Pay") != tc.pay {
			t.Errorf("%q: lang %s, %q; want %s, %q", tc.code, l.Lang(), l.T("Pay"), tc.lang, tc.pay)
		}
	}
}

func TestBrowsersGetTheirPreferredLanguageOfTheTwo(t *testing.T) {
	for _, tc := range []struct {
		header, lang, placetopay string
	}{
		{"es-CO,es;q=0.9,en;q=0.8", "es", "es_CO"},
		{"es-MX", "es", "es_MX"},
		{"es", "es", "es_CO"},
		{"es-419,es;q=0.9", "es", "es_CO"},
		{"en-US,en;q=0.9,es;q=0.8", "en", "en_US"},
		{"fr-FR,fr;q=0.9,es;q=0.5,en;q=0.4", "es", "es_CO"},
		{"de-DE", "en", "en_US"},
		{"", "en", "en_US"},
		{"%%%", "en", "en_US"},
	} {
		l := FromAcceptLanguage(tc.header, texts)
		if l.Lang() != tc.lang || l.PlacetoPay() != tc.placetopay {
			t.Errorf("Accept-Language %q: %s, %s; want %s, %s", tc.header, l.Lang(), l.PlacetoPay(), tc.lang, tc.placetopay)
		}
	}
}

func TestTextsTakeArgumentsInBothLanguages(t *testing.T) {
	es, en := FromPlacetoPay("es_CO", nil, texts), FromPlacetoPay("en_US", nil, texts)
	for _, tc := range []struct{ got, want string }{
		{es.T("%d attempts left", 9), "quedan 9 intentos"},
		{en.T("%d attempts left", 9), "9 attempts left"},
		{es.T("Order %s is %s", "DEMO-1", "pagado"), "El pedido DEMO-1 está pagado"},
		{es.T("Not in the catalog"), "Not in the catalog"},
	} {
		if tc.got != tc.want {
			t.Errorf("got %q, want %q", tc.got, tc.want)
		}
	}
}
