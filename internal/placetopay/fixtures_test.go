package placetopay

import (
	"encoding/json"
	"time"
)

// Requests for every session option of the seeds (testdata/docs/checkout-create-session.txt:
// basic, partial, recurring, dispersion, checkin, subscription, subscribe) and every
// operation, built on the test clock.

func dec(s string) *Decimal { d := Decimal(s); return &d }

func int64p(n int64) *Int64 { v := Int64(n); return &v }

var testExpiration = testNow.Add(30 * time.Minute).Format(time.RFC3339)

func baseSession(p *PaymentRequest) CreateSessionRequest {
	return CreateSessionRequest{
		Locale: "es_CO", Payment: p, Expiration: testExpiration,
		ReturnURL: "https://shop.example/return/1001", IPAddress: "127.0.0.1",
		UserAgent: "Mozilla/5.0 (X11; Linux x86_64) Gateway-Test",
	}
}

func basicPayment() *PaymentRequest {
	return &PaymentRequest{
		Reference: "PAY_ABC_1287", Description: "Payment by Placetopay",
		Amount: Amount{Currency: "USD", Total: "1000"},
	}
}

func sessionBasic() CreateSessionRequest { return baseSession(basicPayment()) }

func sessionPartial() CreateSessionRequest {
	p := basicPayment()
	p.AllowPartial = true
	return baseSession(p)
}

func sessionRecurring() CreateSessionRequest {
	p := basicPayment()
	p.Recurring = &Recurring{
		Periodicity: "M", Interval: 1, NextPayment: "2026-04-10", MaxPeriods: 12,
		DueDate: "2027-03-10", NotificationURL: "https://shop.example/notify/recurring",
	}
	return baseSession(p)
}

func sessionDispersion() CreateSessionRequest {
	p := basicPayment()
	p.Dispersion = []Dispersion{
		{Agreement: "30", AgreementType: "AIRLINE", Amount: Amount{
			Currency: "USD", Total: "700",
			Taxes:   []Tax{{Kind: "airportTax", Amount: "16.13"}},
			Details: []AmountDetail{{Kind: "tip", Amount: "11"}},
		}},
		{AgreementType: "MERCHANT", Amount: Amount{Currency: "USD", Total: "300"}},
	}
	return baseSession(p)
}

func sessionCheckin() CreateSessionRequest {
	p := basicPayment()
	p.Description = "Payment Preauthorization"
	s := baseSession(p)
	s.Type = SessionTypeCheckin
	return s
}

func sessionSubscription() CreateSessionRequest {
	s := baseSession(nil)
	s.Subscription = &SubscriptionRequest{Reference: "3110", Description: "A trial subscription"}
	return s
}

func sessionSubscribe() CreateSessionRequest {
	p := basicPayment()
	p.Subscribe = true
	return baseSession(p)
}

func autopayCreate() *AutopayRequest {
	return &AutopayRequest{
		Action: "CREATE", Reference: "12345", Description: "Inscripción autopago monto fijo", DueDay: 15,
		Recurring: &AutopayRecurring{
			Type: "FIXED", Periodicity: "M", Interval: 1, MaxPeriods: int64p(12),
			StartDate: "2026-11-26", NextPayment: "2026-12-05", DueDate: "2027-11-26",
			NotificationURL: "https://merchant.test/notification",
		},
		Amount: &Amount{Currency: "USD", Total: "100"},
	}
}

func sessionAutopay() CreateSessionRequest {
	s := baseSession(nil)
	s.Type = SessionTypeAutopay
	s.Autopay = autopayCreate()
	return s
}

func autopayEdit() CreateSessionRequest {
	s := baseSession(nil)
	s.Autopay = &AutopayRequest{
		Action: "EDIT", ID: "2972c13d-6315-4da3-80d7-64c24eb232ad", Reference: "12345",
		Description: "Cambio de día de pago", DueDay: 20,
	}
	return s
}

func person(doc string) *Person {
	return &Person{
		Document: doc, DocumentType: "CC", Name: "John", Surname: "Doe", Company: "Evertec",
		Email: "john.doe@example.com", Mobile: "+573111111111",
		Address: &Address{Street: "Calle falsa 123", City: "Medellín", State: "ANT", PostalCode: "55555", Country: "CO", Phone: "+573111111111"},
	}
}

func sessionFull() CreateSessionRequest {
	p := &PaymentRequest{
		Reference: "Ord: 1001/2023", Description: "Cita con el Dr. Pérez a las 10:00 am.",
		Amount: Amount{
			Currency: "COP", Total: "2000.50",
			Taxes:   []Tax{{Kind: "valueAddedTax", Amount: "319.40", Base: dec("1681.10")}},
			Details: []AmountDetail{{Kind: "discount", Amount: "100"}, {Kind: "shipping", Amount: "200.50"}},
		},
		Shipping: person("1122334455"),
		Items: []Item{
			{SKU: "SKU-12345", Name: "Manta de lana", Category: "physical", Qty: 2, Price: "900", Tax: dec("143.70")},
			{SKU: "SKU-99", Name: "Envío", Category: "digital", Qty: 1, Price: "200.50"},
		},
		Fields: NameValuePairs{
			{Keyword: "cmsInvoiceId", Value: json.RawMessage(`"ID_2233"`), DisplayOn: "both"},
			{Keyword: "storeCode", Value: json.RawMessage(`42`), DisplayOn: "none"},
		},
		Modifiers: []Modifier{{Type: "FEDERAL_GOVERNMENT", Code: 17934, Additional: json.RawMessage(`{"invoice":"123345"}`)}},
	}
	s := baseSession(p)
	s.Locale = "en_US"
	s.Payer = person("1033332222")
	s.Buyer = person("1122334455")
	s.Fields = NameValuePairs{{Keyword: "orderChannel", Value: json.RawMessage(`"web"`), DisplayOn: "receipt"}}
	s.PaymentMethod = "visa,master,pse"
	s.CancelURL = "https://shop.example/cancel/1001"
	s.SkipResult = true
	s.NoBuyerFill = true
	s.Metadata = &Metadata{InitiatorIndicator: "CARDHOLDER_COF", RequiresConfirmation: true}
	return s
}

func collectRequest() CollectRequest {
	return CollectRequest{
		Locale: "es_CO",
		Payer:  &Person{Document: "12345678", DocumentType: "CC", Name: "John", Surname: "Doe", Email: "john.doe@example.com", Mobile: "5551234567"},
		Payment: PaymentRequest{
			Reference: "1122334455", Description: "Test", Amount: Amount{Currency: "USD", Total: "100"},
		},
		Instrument: Instrument{Token: &Token{Token: "e07ca9986cf0ecac8a557fa11c07bf37ea35e9e3e3a4180c49"}},
		IPAddress:  "127.0.0.1", UserAgent: "PlacetoPay Sandbox",
	}
}

func collectSubtoken() CollectRequest {
	c := collectRequest()
	c.Type = SessionTypeCheckin
	c.Instrument = Instrument{
		Token:  &Token{Subtoken: "8740257204881111", Installments: 3, CVV: "123"},
		Pocket: PocketSavingsUYU,
	}
	c.Metadata = &Metadata{InitiatorIndicator: "MERCHANT_COF"}
	return c
}
