package locale

import (
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/text/currency"
	"golang.org/x/text/language"
	"golang.org/x/text/number"
)

// Money writes minor units of an ISO 4217 currency, whose minor unit is 10^-exponent, for
// the page: "$ 59.900 COP" and "$ 25,00 USD" in Spanish (the way PlacetoPay's Spanish pages
// write it: the currency's symbol, the amount, the code that tells the pesos and dollars
// sharing "$" apart), "COP 59,900" and "USD 25.00" in English.
//
// The fraction shows as many digits as the currency is written with (CLDR's: USD 2, COP 0,
// CLP 0), or all of its minor unit's when the amount has more: 59900.50 COP is
// "$ 59.900,50 COP", never rounded.
func (l Locale) Money(minor int64, exponent int, code string) string {
	sign := ""
	units := uint64(minor)
	if minor < 0 {
		sign, units = "-", uint64(-minor)
	}
	pow := uint64(1)
	for range exponent {
		pow *= 10
	}
	shown := exponent
	cur, err := currency.ParseISO(code)
	if err == nil {
		scale, _ := currency.Standard.Rounding(cur)
		shown = min(scale, exponent)
	}
	var frac string
	if exponent > 0 {
		frac = strconv.FormatUint(pow+units%pow, 10)[1:] // zero-padded to exponent digits
		if strings.Trim(frac[shown:], "0") == "" {
			frac = frac[:shown]
		}
	}
	amount := l.printer.Sprint(number.Decimal(units / pow))
	if frac != "" {
		amount += l.decimal + frac
	}
	if l.spanish && err == nil {
		return sign + l.printer.Sprint(currency.NarrowSymbol(cur)) + " " + amount + " " + code
	}
	return sign + code + " " + amount
}

// Date writes t for the page, in the locale's zone: "4 de diciembre de 2026, 10:24" in
// Spanish, "December 4, 2026, 10:24 AM" in English. Without a known zone for the region,
// t is shown in the fallback zone followed by its offset: "…, 10:24 (UTC-05:00)".
func (l Locale) Date(t time.Time) string {
	zone := l.zone
	if zone == nil {
		zone = l.fallback
	}
	t = t.In(zone)
	var s string
	if l.spanish {
		s = strconv.Itoa(t.Day()) + " de " + spanishMonths[t.Month()-1] + " de " + strconv.Itoa(t.Year()) + ", " + t.Format("15:04")
	} else {
		s = t.Format("January 2, 2006, 3:04 PM")
	}
	if l.zone == nil {
		s += " (" + offset(t) + ")"
	}
	return s
}

// spanishMonths are the month names, which golang.org/x/text does not provide.
var spanishMonths = [12]string{"enero", "febrero", "marzo", "abril", "mayo", "junio",
	"julio", "agosto", "septiembre", "octubre", "noviembre", "diciembre"}

// offset is "UTC" or "UTC-05:00".
func offset(t time.Time) string {
	if _, off := t.Zone(); off == 0 {
		return "UTC"
	}
	return "UTC" + t.Format("-07:00")
}

// zoneByRegion is the time zone of the regions PlacetoPay and its merchants serve that keep
// one zone for the whole country (or nearly: the Galápagos and Easter Island aside). Other
// regions (the United States, Mexico, Brazil…) have no zone here: their dates show their offset.
var zoneByRegion = map[string]string{
	"BO": "America/La_Paz", "BZ": "America/Belize", "CL": "America/Santiago",
	"CO": "America/Bogota", "CR": "America/Costa_Rica", "DO": "America/Santo_Domingo",
	"EC": "America/Guayaquil", "GT": "America/Guatemala", "HN": "America/Tegucigalpa",
	"NI": "America/Managua", "PA": "America/Panama", "PE": "America/Lima",
	"PR": "America/Puerto_Rico", "PY": "America/Asuncion", "SV": "America/El_Salvador",
	"UY": "America/Montevideo", "VE": "America/Caracas",
}

// zones are zoneByRegion's locations, loaded once.
var zones = sync.OnceValue(func() map[string]*time.Location {
	m := make(map[string]*time.Location, len(zoneByRegion))
	for region, name := range zoneByRegion {
		if loc, err := time.LoadLocation(name); err == nil { // time/tzdata is embedded: it has them all
			m[region] = loc
		}
	}
	return m
})

// zoneOf is the zone of the tag's region, when the tag names one that zoneByRegion knows.
func zoneOf(tag language.Tag) *time.Location {
	r, conf := tag.Region()
	if conf != language.Exact {
		return nil
	}
	return zones()[r.String()]
}
