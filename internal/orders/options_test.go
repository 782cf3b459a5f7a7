package orders

import (
	"errors"
	"testing"
	"time"
)

func TestValidateOptions(t *testing.T) {
	now := time.Date(2026, 3, 2, 23, 30, 0, 0, time.FixedZone("COT", -5*3600)) // 2026-03-03 in UTC
	usd := func(minor int64) Money { return Money{Minor: minor, Currency: "USD"} }
	order := &Order{Amount: usd(10000)}
	taxed := &Order{Amount: usd(10000), Items: []Item{{Name: "a", Qty: 1, PriceMinor: 8400, TaxMinor: 1600}}}
	monthly := func(edit func(*Recurring)) *Recurring {
		r := &Recurring{Periodicity: "M", Interval: 1, MaxPeriods: 12}
		if edit != nil {
			edit(r)
		}
		return r
	}
	part := func(typ string, minor int64) DispersionPart {
		return DispersionPart{AgreementType: typ, Amount: usd(minor)}
	}
	for _, c := range []struct {
		name  string
		o     *Order
		p     CheckoutParams
		field string // "" when valid
	}{
		{"plain", order, CheckoutParams{}, ""},
		{"partial", order, CheckoutParams{AllowPartial: true}, ""},
		{"partial of a taxed order", taxed, CheckoutParams{AllowPartial: true}, "allowPartial"},
		{"partial recurring", order, CheckoutParams{AllowPartial: true, Recurring: monthly(nil)}, "recurring"},
		{"partial dispersion", order, CheckoutParams{AllowPartial: true, Dispersion: []DispersionPart{part("MERCHANT", 10000)}}, "dispersion"},
		{"partial checkin", order, CheckoutParams{AllowPartial: true, Type: "checkin"}, "allowPartial"},
		{"dispersion", order, CheckoutParams{Dispersion: []DispersionPart{part("MERCHANT", 6000), {Agreement: "30", AgreementType: "AIRLINE", Amount: usd(4000)}}}, ""},
		{"dispersion one cent short", order, CheckoutParams{Dispersion: []DispersionPart{part("MERCHANT", 6000), part("AIRLINE", 3999)}}, "dispersion"},
		{"dispersion one cent over", order, CheckoutParams{Dispersion: []DispersionPart{part("MERCHANT", 6001), part("AIRLINE", 4000)}}, "dispersion"},
		{"dispersion in COP", order, CheckoutParams{Dispersion: []DispersionPart{{AgreementType: "MERCHANT", Amount: Money{Minor: 10000, Currency: "COP"}}}}, "dispersion[0].amount.currency"},
		{"dispersion of zero", order, CheckoutParams{Dispersion: []DispersionPart{part("MERCHANT", 10000), part("MERCHANT", 0)}}, "dispersion[1].amount.total"},
		{"dispersion type", order, CheckoutParams{Dispersion: []DispersionPart{part("BANK", 10000)}}, "dispersion[0].agreementType"},
		{"dispersion agreement", order, CheckoutParams{Dispersion: []DispersionPart{{Agreement: "AIR-7", AgreementType: "AIRLINE", Amount: usd(10000)}}}, "dispersion[0].agreement"},
		{"four destinations", order, CheckoutParams{Dispersion: []DispersionPart{part("MERCHANT", 2500), part("MERCHANT", 2500), part("MERCHANT", 2500), part("MERCHANT", 2500)}}, "dispersion"},
		{"dispersion checkin", order, CheckoutParams{Type: "checkin", Dispersion: []DispersionPart{part("MERCHANT", 10000)}}, "dispersion"},
		{"recurring", order, CheckoutParams{Recurring: monthly(func(r *Recurring) { r.NextPayment, r.DueDate = "2026-03-04", "2027-03-04" })}, ""},
		{"recurring unlimited", order, CheckoutParams{Recurring: monthly(func(r *Recurring) { r.MaxPeriods = -1 })}, ""},
		{"recurring today (UTC)", order, CheckoutParams{Recurring: monthly(func(r *Recurring) { r.NextPayment = "2026-03-03" })}, "recurring.nextPayment"},
		{"recurring not a date", order, CheckoutParams{Recurring: monthly(func(r *Recurring) { r.NextPayment = "2026-3-4" })}, "recurring.nextPayment"},
		{"recurring due before next", order, CheckoutParams{Recurring: monthly(func(r *Recurring) { r.NextPayment, r.DueDate = "2026-05-01", "2026-04-01" })}, "recurring.dueDate"},
		{"recurring weekly", order, CheckoutParams{Recurring: monthly(func(r *Recurring) { r.Periodicity = "W" })}, "recurring.periodicity"},
		{"recurring interval 0", order, CheckoutParams{Recurring: monthly(func(r *Recurring) { r.Interval = 0 })}, "recurring.interval"},
		{"recurring maxPeriods 0", order, CheckoutParams{Recurring: monthly(func(r *Recurring) { r.MaxPeriods = 0 })}, "recurring.maxPeriods"},
		{"recurring checkin", order, CheckoutParams{Type: "checkin", Recurring: monthly(nil)}, "recurring"},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := c.p.validateOptions(c.o, now)
			switch {
			case c.field == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case c.field != "" && err == nil:
				t.Fatalf("accepted, want refused on %s", c.field)
			case c.field != "":
				var e *Error
				if !errors.As(err, &e) || e.Code != EInvalid || e.Field != c.field {
					t.Fatalf("error %v, want invalid on %s", err, c.field)
				}
			}
		})
	}
}

func TestValidateCombination(t *testing.T) {
	usd := Money{Minor: 10000, Currency: "USD"}
	disp := []DispersionPart{{AgreementType: "MERCHANT", Amount: usd}}
	monthly := &Recurring{Periodicity: "M", Interval: 1, MaxPeriods: 12}
	for _, c := range []struct {
		name  string
		p     CheckoutParams
		field string // "" when valid
	}{
		{"plain", CheckoutParams{}, ""},
		{"confirmation", CheckoutParams{RequiresConfirmation: true}, ""},
		{"subscribe recurring", CheckoutParams{Subscribe: true, CustomerReference: "c-1", Recurring: monthly}, ""},
		{"subscription", CheckoutParams{Type: "subscription", CustomerReference: "c-1"}, ""},
		{"subscription partial", CheckoutParams{Type: "subscription", CustomerReference: "c-1", AllowPartial: true}, "allowPartial"},
		{"subscription dispersion", CheckoutParams{Type: "subscription", CustomerReference: "c-1", Dispersion: disp}, "dispersion"},
		{"subscription recurring", CheckoutParams{Type: "subscription", CustomerReference: "c-1", Recurring: monthly}, "recurring"},
		{"subscription confirmation", CheckoutParams{Type: "subscription", CustomerReference: "c-1", RequiresConfirmation: true}, "requiresConfirmation"},
		{"confirmation checkin", CheckoutParams{Type: "checkin", RequiresConfirmation: true}, "requiresConfirmation"},
		{"confirmation partial", CheckoutParams{AllowPartial: true, RequiresConfirmation: true}, "requiresConfirmation"},
		{"confirmation dispersion", CheckoutParams{Dispersion: disp, RequiresConfirmation: true}, "requiresConfirmation"},
		{"confirmation recurring", CheckoutParams{Recurring: monthly, RequiresConfirmation: true}, "requiresConfirmation"},
		{"confirmation subscribe", CheckoutParams{Subscribe: true, CustomerReference: "c-1", RequiresConfirmation: true}, "requiresConfirmation"},
		{"subscribe partial", CheckoutParams{Subscribe: true, CustomerReference: "c-1", AllowPartial: true}, "allowPartial"},
		{"subscribe dispersion", CheckoutParams{Subscribe: true, CustomerReference: "c-1", Dispersion: disp}, "dispersion"},
	} {
		t.Run(c.name, func(t *testing.T) {
			c.p.IPAddress = "127.0.0.1"
			err := c.p.validate()
			switch {
			case c.field == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case c.field != "" && err == nil:
				t.Fatalf("accepted, want refused on %s", c.field)
			case c.field != "":
				var e *Error
				if !errors.As(err, &e) || e.Code != EInvalid || e.Field != c.field {
					t.Fatalf("error %v, want invalid on %s", err, c.field)
				}
			}
		})
	}
}

func TestOtherOption(t *testing.T) {
	partial := Session{Kind: KindPayment,
		Request: []byte(`{"locale":"","type":"","subscribe":false,"requiresConfirmation":false,"allowPartial":true,"dispersion":null,"recurring":null}`)}
	subscribeA := Session{Kind: KindPayment, CustomerReference: "cust-a",
		Request: []byte(`{"type":"","subscribe":true,"requiresConfirmation":false,"allowPartial":false,"dispersion":null,"recurring":null}`)}
	confirm := Session{Kind: KindPayment,
		Request: []byte(`{"type":"","subscribe":false,"requiresConfirmation":true,"dispersion":null,"recurring":null}`)}
	checkin := Session{Kind: KindCheckin, Request: []byte(`{"type":"checkin","subscribe":false}`)}
	subscription := Session{Kind: KindSubscription, CustomerReference: "cust-a",
		Request: []byte(`{"type":"subscription","subscribe":false}`)}
	recurring := Session{Kind: KindPayment,
		Request: []byte(`{"recurring":{"periodicity":"M","interval":1,"maxPeriods":12}}`)}
	disp := Session{Kind: KindPayment,
		Request: []byte(`{"dispersion":[{"agreementType":"MERCHANT","currency":"USD","totalMinor":1000}]}`)}
	for _, c := range []struct {
		name string
		p    CheckoutParams
		cur  Session
		want string
	}{
		{"same partial", CheckoutParams{AllowPartial: true, Locale: "es_CO"}, partial, ""},
		{"plain over partial", CheckoutParams{}, partial, "allowPartial"},
		{"plain over a session stored before the options existed", CheckoutParams{}, Session{Kind: KindPayment, Request: []byte(`{"locale":"es_CO"}`)}, ""},
		{"same subscribe", CheckoutParams{Subscribe: true, CustomerReference: "cust-a"}, subscribeA, ""},
		{"subscribe for another customer", CheckoutParams{Subscribe: true, CustomerReference: "cust-b"}, subscribeA, "customerReference"},
		{"plain over subscribe", CheckoutParams{}, subscribeA, "subscribe"},
		{"same confirmation", CheckoutParams{RequiresConfirmation: true}, confirm, ""},
		{"plain over confirmation", CheckoutParams{}, confirm, "requiresConfirmation"},
		{"same checkin", CheckoutParams{Type: "checkin"}, checkin, ""},
		{"payment over checkin", CheckoutParams{}, checkin, "type"},
		{"checkin over payment", CheckoutParams{Type: "checkin"}, partial, "type"},
		{"same subscription", CheckoutParams{Type: "subscription", CustomerReference: "cust-a"}, subscription, ""},
		{"subscription for another customer", CheckoutParams{Type: "subscription", CustomerReference: "cust-b"}, subscription, "customerReference"},
		{"payment over subscription", CheckoutParams{}, subscription, "type"},
		{"same recurring", CheckoutParams{Recurring: &Recurring{Periodicity: "M", Interval: 1, MaxPeriods: 12}}, recurring, ""},
		{"other recurring", CheckoutParams{Recurring: &Recurring{Periodicity: "M", Interval: 2, MaxPeriods: 12}}, recurring, "recurring"},
		{"same dispersion", CheckoutParams{Dispersion: []DispersionPart{{AgreementType: "MERCHANT", Amount: Money{Minor: 1000, Currency: "USD"}}}}, disp, ""},
		{"other dispersion", CheckoutParams{Dispersion: []DispersionPart{{AgreementType: "AIRLINE", Amount: Money{Minor: 1000, Currency: "USD"}}}}, disp, "dispersion"},
		{"unreadable request", CheckoutParams{}, Session{Kind: KindPayment, Request: []byte(`[`)}, "request"},
	} {
		if got := c.p.otherOption(c.cur); got != c.want {
			t.Errorf("%s: otherOption = %q, want %q", c.name, got, c.want)
		}
	}
}
