// Package locale is how the pages people read speak: the sandbox's payment page, the demo
// shop and the gateway's status page. A Locale picks Spanish or English, writes amounts and
// dates as its region does, and shows dates in its region's time zone when that zone is
// known.
//
// Numbers come from golang.org/x/text (CLDR data): es_CO, es_CL and es_EC group thousands
// with "." and mark decimals with ","; es_PR, es_MX, es_419 and English write 59,900.50.
// Money never goes through a float: the whole units are printed as an integer and the
// fraction digits are written out from the minor units.
package locale

import (
	"strings"
	"time"
	_ "time/tzdata" // the zones of zoneByRegion, whatever the host has installed

	"golang.org/x/text/language"
	"golang.org/x/text/message"
	"golang.org/x/text/message/catalog"
	"golang.org/x/text/number"
)

// Locale is one reader's language, number conventions and time zone.
type Locale struct {
	tag     language.Tag // numbers and texts: es-CO, en-US, es
	spanish bool
	zone    *time.Location // the region's zone; nil when the region has none known
	// fallback is where dates go when zone is nil; they then carry their offset.
	fallback *time.Location
	printer  *message.Printer
	decimal  string // the decimal separator of tag
}

// Texts are the page texts of one package: the Spanish of each English text. The English
// text is the key, and what English pages show; a text with no Spanish shows in English.
type Texts struct{ cat catalog.Catalog }

// NewTexts builds Texts from English → Spanish pairs. The English texts are fmt formats
// when the caller passes arguments (%s, %d), and the Spanish ones take the same arguments.
func NewTexts(spanish map[string]string) *Texts {
	b := catalog.NewBuilder(catalog.Fallback(language.English))
	for en, es := range spanish {
		// SetString fails only for an invalid language, and language.Spanish is valid.
		_ = b.SetString(language.Spanish, en, es)
	}
	return &Texts{cat: b}
}

// DefaultPlacetoPay is the locale PlacetoPay's pages use for a session that names none.
const DefaultPlacetoPay = "es_CO"

// FromPlacetoPay is the locale a PlacetoPay session names ("es_CO", "en_US", "pt_BR"), as
// PlacetoPay's pages read it: Spanish for es_*, English for any other language, and es_CO
// when the session names none. Dates are shown in the region's zone when zoneByRegion knows
// it, else in fallback (UTC when nil) with their offset.
func FromPlacetoPay(code string, fallback *time.Location, texts *Texts) Locale {
	if code == "" {
		code = DefaultPlacetoPay
	}
	tag, err := language.Parse(strings.ReplaceAll(code, "_", "-"))
	if err != nil {
		tag = language.MustParse("es-CO")
	}
	return newLocale(tag, fallback, texts)
}

// FromAcceptLanguage is the locale of a browser's Accept-Language header: its most preferred
// Spanish or English tag, with that tag's region when it names one; English when the header
// names neither language. Dates are shown in the region's zone when known, else in UTC.
func FromAcceptLanguage(header string, texts *Texts) Locale {
	tags, _, _ := language.ParseAcceptLanguage(header) // sorted by preference; nil when malformed
	for _, t := range tags {
		if b, _ := t.Base(); b.String() == "es" || b.String() == "en" {
			return newLocale(t, time.UTC, texts)
		}
	}
	return newLocale(language.English, time.UTC, texts)
}

func newLocale(tag language.Tag, fallback *time.Location, texts *Texts) Locale {
	base, _ := tag.Base()
	spanish := base.String() == "es"
	zone := zoneOf(tag)
	if !spanish && base.String() != "en" {
		tag = language.English // English pages, with English numbers, for every other language
	}
	if fallback == nil {
		fallback = time.UTC
	}
	l := Locale{tag: tag, spanish: spanish, zone: zone, fallback: fallback}
	l.printer = message.NewPrinter(tag, message.Catalog(texts.catalog()))
	// The separator of "0.5", which a float64 holds exactly; no amount is ever a float.
	l.decimal = strings.Trim(l.printer.Sprint(number.Decimal(0.5, number.MinFractionDigits(1))), "05")
	return l
}

func (t *Texts) catalog() catalog.Catalog {
	if t == nil {
		return catalog.NewBuilder()
	}
	return t.cat
}

// Spanish reports whether the page is in Spanish.
func (l Locale) Spanish() bool { return l.spanish }

// Lang is the page's language for <html lang>: "es" or "en".
func (l Locale) Lang() string {
	if l.spanish {
		return "es"
	}
	return "en"
}

// PlacetoPay is the locale to open a PlacetoPay session in, so that its page speaks the
// reader's language: the tag's region, or es_CO and en_US without one.
func (l Locale) PlacetoPay() string {
	r, conf := l.tag.Region()
	switch {
	case l.spanish && conf == language.Exact && r.IsCountry():
		return "es_" + r.String()
	case l.spanish:
		return DefaultPlacetoPay
	}
	return "en_US"
}

// T is text in the page's language: key is the English text (a fmt format with args).
func (l Locale) T(key string, args ...any) string {
	return l.printer.Sprintf(key, args...)
}
