package placetopay

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func at(d time.Duration) string { return testNow.Add(d).Format(time.RFC3339) }

// Requests that break a documented rule are refused with the field and the rule, and the
// server never sees them.
func TestCreateSessionValidation(t *testing.T) {
	tests := []struct {
		name        string
		edit        func(*CreateSessionRequest)
		field, rule string
	}{
		{"reference empty", func(r *CreateSessionRequest) { r.Payment.Reference = "" }, "payment.reference", "1 to 32 characters"},
		{"reference 33", func(r *CreateSessionRequest) { r.Payment.Reference = strings.Repeat("R", 33) }, "payment.reference", "1 to 32 characters"},
		{"description 251", func(r *CreateSessionRequest) { r.Payment.Description = strings.Repeat("é", 251) }, "payment.description", "at most 250 characters"},
		{"expiration 4m59s ahead", func(r *CreateSessionRequest) { r.Expiration = at(5*time.Minute - time.Second) }, "expiration", "at least 5 minutes after now"},
		{"expiration in the past", func(r *CreateSessionRequest) { r.Expiration = at(-time.Hour) }, "expiration", "at least 5 minutes after now"},
		{"expiration not RFC 3339", func(r *CreateSessionRequest) { r.Expiration = "2026-03-10 10:00:00" }, "expiration", "RFC 3339 date-time"},
		{"locale lowercase country", func(r *CreateSessionRequest) { r.Locale = "es_co" }, "locale", `must match ^\w{2}_[A-Z]{2}$`},
		{"locale with dash", func(r *CreateSessionRequest) { r.Locale = "es-CO" }, "locale", `must match ^\w{2}_[A-Z]{2}$`},
		{"locale too long", func(r *CreateSessionRequest) { r.Locale = "es_COL" }, "locale", `must match ^\w{2}_[A-Z]{2}$`},
		{"no ipAddress", func(r *CreateSessionRequest) { r.IPAddress = "" }, "ipAddress", "required"},
		{"bad ipAddress", func(r *CreateSessionRequest) { r.IPAddress = "localhost" }, "ipAddress", "IP address"},
		{"no userAgent", func(r *CreateSessionRequest) { r.UserAgent = " " }, "userAgent", "required"},
		{"userAgent 256", func(r *CreateSessionRequest) { r.UserAgent = strings.Repeat("u", 256) }, "userAgent", "at most 255 characters"},
		{"no returnUrl", func(r *CreateSessionRequest) { r.ReturnURL = "" }, "returnUrl", "required"},
		{"relative returnUrl", func(r *CreateSessionRequest) { r.ReturnURL = "/return/1" }, "returnUrl", "absolute http(s) URL"},
		{"returnUrl 256", func(r *CreateSessionRequest) { r.ReturnURL = "https://shop.example/" + strings.Repeat("a", 235) }, "returnUrl", "at most 255 characters"},
		{"javascript cancelUrl", func(r *CreateSessionRequest) { r.CancelURL = "javascript:alert(1)" }, "cancelUrl", "absolute http(s) URL"},
		{"nothing to do", func(r *CreateSessionRequest) { r.Payment = nil }, "payment", "one of payment, subscription or autopay is required"},
		{"unknown type", func(r *CreateSessionRequest) { r.Type = "preauth" }, "type", "one of checkin, autopay"},
		{"currency lowercase", func(r *CreateSessionRequest) { r.Payment.Amount.Currency = "usd" }, "payment.amount.currency", "ISO 4217 alpha-3 code"},
		{"currency numeric", func(r *CreateSessionRequest) { r.Payment.Amount.Currency = "840" }, "payment.amount.currency", "ISO 4217 alpha-3 code"},
		{"total zero", func(r *CreateSessionRequest) { r.Payment.Amount.Total = "0.00" }, "payment.amount.total", "must be positive"},
		{"total negative", func(r *CreateSessionRequest) { r.Payment.Amount.Total = "-1" }, "payment.amount.total", "must be positive"},
		{"total not a number", func(r *CreateSessionRequest) { r.Payment.Amount.Total = "1e3" }, "payment.amount.total", "decimal number"},
		{"tax negative", func(r *CreateSessionRequest) {
			r.Payment.Amount.Taxes = []Tax{{Kind: "valueAddedTax", Amount: "-1"}}
		}, "payment.amount.taxes[0].amount", "non-negative decimal number"},
		{"partial with taxes", func(r *CreateSessionRequest) {
			r.Payment.AllowPartial = true
			r.Payment.Amount.Taxes = []Tax{{Kind: "valueAddedTax", Amount: "190"}}
		}, "payment.amount.taxes", "not allowed with allowPartial"},
		{"partial with recurring", func(r *CreateSessionRequest) {
			*r = sessionRecurring()
			r.Payment.AllowPartial = true
		}, "payment.recurring", "not allowed with allowPartial"},
		{"partial with dispersion", func(r *CreateSessionRequest) {
			*r = sessionDispersion()
			r.Payment.AllowPartial = true
		}, "payment.dispersion", "not allowed with allowPartial"},
		{"periodicity W", func(r *CreateSessionRequest) { *r = sessionRecurring(); r.Payment.Recurring.Periodicity = "W" }, "payment.recurring.periodicity", "one of D, M, Y"},
		{"interval 0", func(r *CreateSessionRequest) { *r = sessionRecurring(); r.Payment.Recurring.Interval = 0 }, "payment.recurring.interval", "at least 1"},
		{"maxPeriods 0", func(r *CreateSessionRequest) { *r = sessionRecurring(); r.Payment.Recurring.MaxPeriods = 0 }, "payment.recurring.maxPeriods", "-1 (no limit) or at least 1"},
		{"nextPayment past", func(r *CreateSessionRequest) { *r = sessionRecurring(); r.Payment.Recurring.NextPayment = "2026-03-09" }, "payment.recurring.nextPayment", "cannot be in the past"},
		{"nextPayment format", func(r *CreateSessionRequest) { *r = sessionRecurring(); r.Payment.Recurring.NextPayment = "10/04/2026" }, "payment.recurring.nextPayment", "YYYY-MM-DD date"},
		{"dispersion sum short by one cent", func(r *CreateSessionRequest) {
			*r = sessionDispersion()
			r.Payment.Dispersion[1].Amount.Total = "299.99"
		}, "payment.dispersion", "amounts must add up to the payment total"},
		{"dispersion sum over", func(r *CreateSessionRequest) {
			*r = sessionDispersion()
			r.Payment.Dispersion[1].Amount.Total = "300.001"
		}, "payment.dispersion", "amounts must add up to the payment total"},
		{"dispersion other currency", func(r *CreateSessionRequest) {
			*r = sessionDispersion()
			r.Payment.Dispersion[1].Amount.Currency = "COP"
		}, "payment.dispersion[1].amount.currency", "must be the payment currency"},
		{"four dispersions", func(r *CreateSessionRequest) {
			*r = sessionDispersion()
			d := Dispersion{AgreementType: "MERCHANT", Amount: Amount{Currency: "USD", Total: "100"}}
			r.Payment.Dispersion = []Dispersion{d, d, d, d}
			r.Payment.Amount.Total = "400"
		}, "payment.dispersion", "at most 3 destinations"},
		{"dispersion without agreementType", func(r *CreateSessionRequest) {
			*r = sessionDispersion()
			r.Payment.Dispersion[0].AgreementType = ""
		}, "payment.dispersion[0].agreementType", "one of MERCHANT, AIRLINE"},
		{"checkin with dispersion", func(r *CreateSessionRequest) {
			*r = sessionDispersion()
			r.Type = SessionTypeCheckin
		}, "payment.dispersion", "not allowed with type checkin"},
		{"checkin with partial (mixed payment)", func(r *CreateSessionRequest) {
			*r = sessionCheckin()
			r.Payment.AllowPartial = true
		}, "payment.allowPartial", "not allowed with type checkin"},
		{"subscription reference 33", func(r *CreateSessionRequest) {
			*r = sessionSubscription()
			r.Subscription.Reference = strings.Repeat("s", 33)
		}, "subscription.reference", "1 to 32 characters"},
		{"payer email 81", func(r *CreateSessionRequest) {
			r.Payer = &Person{Email: strings.Repeat("e", 70) + "@example.com"}
		}, "payer.email", "at most 80 characters"},
		{"buyer name 61", func(r *CreateSessionRequest) { r.Buyer = &Person{Name: strings.Repeat("n", 61)} }, "buyer.name", "at most 60 characters"},
		{"field keyword empty", func(r *CreateSessionRequest) { r.Fields = NameValuePairs{{Keyword: ""}} }, "fields[0].keyword", "1 to 50 characters"},
		{"field displayOn unknown", func(r *CreateSessionRequest) { r.Fields = NameValuePairs{{Keyword: "k", DisplayOn: "always"}} }, "fields[0].displayOn", "one of none, payment, receipt, both, approved"},
		{"type autopay without autopay", func(r *CreateSessionRequest) { r.Type = SessionTypeAutopay }, "autopay", "required with type autopay"},
		{"autopay without type", func(r *CreateSessionRequest) { *r = sessionAutopay(); r.Type = "" }, "type", "must be autopay with an autopay request"},
		{"autopay FIXED without amount", func(r *CreateSessionRequest) { *r = sessionAutopay(); r.Autopay.Amount = nil }, "autopay.amount", "required for FIXED"},
		{"autopay dueDay 29", func(r *CreateSessionRequest) { *r = sessionAutopay(); r.Autopay.DueDay = 29 }, "autopay.dueDay", "between 1 and 28"},
		{"autopay CREATE without recurring", func(r *CreateSessionRequest) { *r = sessionAutopay(); r.Autopay.Recurring = nil }, "autopay.recurring", "required for CREATE"},
		{"autopay EDIT without id", func(r *CreateSessionRequest) { *r = autopayEdit(); r.Type = SessionTypeAutopay; r.Autopay.ID = "" }, "autopay.id", "required"},
		{"autopay action unknown", func(r *CreateSessionRequest) { *r = sessionAutopay(); r.Autopay.Action = "DELETE" }, "autopay.action", "one of CREATE, EDIT"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := sessionBasic()
			tt.edit(&req)
			fake := newFake(t, okAnswers)
			obs := &recordingObserver{}
			cfg := testConfig(fake.URL)
			cfg.Observer = obs
			_, err := newTestClient(t, cfg).CreateSession(bg, req)
			var ve *ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("err = %v, want *ValidationError", err)
			}
			want := ValidationError{Field: tt.field, Rule: tt.rule, Operation: "create session"}
			if diff := cmp.Diff(want, *ve); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
			if fake.hits() != 0 {
				t.Errorf("the server saw %d requests, want 0", fake.hits())
			}
			if diff := cmp.Diff([]observedCall{{OpCreateSession, "invalid"}}, obs.calls); diff != "" {
				t.Errorf("observed (-want +got):\n%s", diff)
			}
		})
	}
}

// Edge cases that must pass: exact limits, exact decimal sums, numeric strings.
func TestCreateSessionValidationAccepts(t *testing.T) {
	tests := []struct {
		name string
		edit func(*CreateSessionRequest)
	}{
		{"expiration exactly 5 minutes ahead", func(r *CreateSessionRequest) { r.Expiration = at(5 * time.Minute) }},
		{"expiration in UTC with fraction", func(r *CreateSessionRequest) {
			r.Expiration = testNow.UTC().Add(6 * time.Minute).Format(time.RFC3339Nano)
		}},
		{"no expiration (PlacetoPay's 30 minutes)", func(r *CreateSessionRequest) { r.Expiration = "" }},
		{"reference 32 multibyte", func(r *CreateSessionRequest) { r.Payment.Reference = strings.Repeat("ñ", 32) }},
		{"description 250", func(r *CreateSessionRequest) { r.Payment.Description = strings.Repeat("d", 250) }},
		{"ipv6", func(r *CreateSessionRequest) { r.IPAddress = "2001:db8::1" }},
		{"dispersion with mixed decimals", func(r *CreateSessionRequest) {
			*r = sessionDispersion()
			r.Payment.Amount.Total = "1000.00"
			r.Payment.Dispersion[0].Amount.Total = "700.50"
			r.Payment.Dispersion[1].Amount.Total = "299.5"
		}},
		{"dispersion one tenth", func(r *CreateSessionRequest) {
			*r = sessionDispersion()
			r.Payment.Amount.Total = "0.3"
			r.Payment.Dispersion[0].Amount.Total = "0.1"
			r.Payment.Dispersion[1].Amount.Total = "0.2" // 0.1 + 0.2 == 0.3 exactly, unlike floats
		}},
		{"three dispersions", func(r *CreateSessionRequest) {
			*r = sessionDispersion()
			r.Payment.Dispersion = append(r.Payment.Dispersion, Dispersion{AgreementType: "MERCHANT", Amount: Amount{Currency: "USD", Total: "1"}})
			r.Payment.Amount.Total = "1001"
		}},
		{"recurring without limit", func(r *CreateSessionRequest) { *r = sessionRecurring(); r.Payment.Recurring.MaxPeriods = -1 }},
		{"recurring starting today", func(r *CreateSessionRequest) { *r = sessionRecurring(); r.Payment.Recurring.NextPayment = "2026-03-10" }},
		{"partial with details", func(r *CreateSessionRequest) {
			*r = sessionPartial()
			r.Payment.Amount.Details = []AmountDetail{{Kind: "shipping", Amount: "10"}}
		}},
		{"subscription only", func(r *CreateSessionRequest) { *r = sessionSubscription() }},
		{"full", func(r *CreateSessionRequest) { *r = sessionFull() }},
		{"checkin", func(r *CreateSessionRequest) { *r = sessionCheckin() }},
		{"subscribe", func(r *CreateSessionRequest) { *r = sessionSubscribe() }},
		{"autopay", func(r *CreateSessionRequest) { *r = sessionAutopay() }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := sessionBasic()
			tt.edit(&req)
			if err := validateCreateSession(req, testNow); err != nil {
				t.Errorf("refused: %v", err)
			}
		})
	}
}

// The other operations' rules, each refused before anything is sent.
func TestOperationValidation(t *testing.T) {
	amount := func(total string) *Amount { return &Amount{Currency: "USD", Total: Decimal(total)} }
	tests := []struct {
		name        string
		call        func(*Client) error
		field, rule string
	}{
		{"query id 0", func(c *Client) error { _, err := c.QuerySession(bg, 0); return err }, "requestId", "must be positive"},
		{"cancel id -1", func(c *Client) error { _, err := c.CancelSession(bg, -1); return err }, "requestId", "must be positive"},
		{"autopay query id 0", func(c *Client) error { _, err := c.QueryAutopaySession(bg, 0); return err }, "requestId", "must be positive"},
		{"checkout without amount", tx(TransactionRequest{InternalReference: 1, Action: ActionCheckout}), "amount", "required for checkout"},
		{"reauthorization without amount", tx(TransactionRequest{InternalReference: 1, Action: ActionReauthorization}), "amount", "required for reauthorization"},
		{"reauthorization to zero", tx(TransactionRequest{InternalReference: 1, Action: ActionReauthorization, Amount: amount("0")}), "amount.total", "must be positive"},
		{"checkout negative", tx(TransactionRequest{InternalReference: 1, Action: ActionCheckout, Amount: amount("-5")}), "amount.total", "cannot be negative"},
		{"reverse of zero", tx(TransactionRequest{InternalReference: 1, Action: ActionReverse, Amount: amount("0")}), "amount.total", "must be positive"},
		{"confirm with amount", tx(TransactionRequest{InternalReference: 1, Action: ActionConfirm, Amount: amount("5")}), "amount", "not allowed for confirm"},
		{"cancel with amount", tx(TransactionRequest{InternalReference: 1, Action: ActionCancel, Amount: amount("5")}), "amount", "not allowed for cancel"},
		{"unknown action", tx(TransactionRequest{InternalReference: 1, Action: "refund"}), "action", "one of checkout, reauthorization, reverse, confirm, cancel"},
		{"no internal reference", tx(TransactionRequest{Action: ActionReverse}), "internalReference", "must be positive"},
		{"legacy reverse no reference", func(c *Client) error { _, err := c.Reverse(bg, ReverseRequest{}); return err }, "internalReference", "must be positive"},
		{"collect without payer", collectWith(func(r *CollectRequest) { r.Payer = nil }), "payer", "required"},
		{"collect without token", collectWith(func(r *CollectRequest) { r.Instrument.Token = &Token{} }), "instrument.token", "token or subtoken is required"},
		{"collect subtoken 17", collectWith(func(r *CollectRequest) { r.Instrument.Token = &Token{Subtoken: strings.Repeat("1", 17)} }), "instrument.token.subtoken", "at most 16 characters"},
		{"collect cvv letters", collectWith(func(r *CollectRequest) { r.Instrument.Token.CVV = "12a" }), "instrument.token.cvv", "3 or 4 digits"},
		{"collect pocket 11", collectWith(func(r *CollectRequest) { r.Instrument.Pocket = "11" }), "instrument.pocket", "one of 10, 20, 80, 90"},
		{"collect no userAgent", collectWith(func(r *CollectRequest) { r.UserAgent = "" }), "userAgent", "required"},
		{"collect reference 33", collectWith(func(r *CollectRequest) { r.Payment.Reference = strings.Repeat("r", 33) }), "payment.reference", "1 to 32 characters"},
		{"collect type autopay", collectWith(func(r *CollectRequest) { r.Type = SessionTypeAutopay }), "type", "one of checkin"},
		{"invalidate nothing", func(c *Client) error { _, err := c.InvalidateToken(bg, InvalidateTokenRequest{}); return err }, "instrument.token", "token or subtoken is required"},
		{"invalidate with cvv", func(c *Client) error {
			_, err := c.InvalidateToken(bg, InvalidateTokenRequest{Instrument: Instrument{Token: &Token{Token: "t", CVV: "123"}}})
			return err
		}, "instrument.token", "only token or subtoken"},
		{"autopay cancel bad id", func(c *Client) error { _, err := c.CancelAutopay(bg, AutopayCancelRequest{ID: "42"}); return err }, "id", "UUID"},
		{"autopay transactions no id", func(c *Client) error {
			_, err := c.AutopayTransactions(bg, AutopayTransactionsRequest{})
			return err
		}, "id", "required"},
		{"autopay search bad status", func(c *Client) error {
			_, err := c.SearchAutopay(bg, AutopaySearchRequest{Filters: &AutopaySearchFilters{Status: []string{"PENDING"}}})
			return err
		}, "filters.status[0]", "one of APPROVED, REJECTED, FAILED"},
		{"autopay search bad date", func(c *Client) error {
			_, err := c.SearchAutopay(bg, AutopaySearchRequest{Filters: &AutopaySearchFilters{CreatedAt: &DateRange{From: "2025-9-1"}}})
			return err
		}, "filters.createdAt.from", "YYYY-MM-DD date"},
		{"autopay session of type checkin", func(c *Client) error {
			req := sessionAutopay()
			req.Type = SessionTypeCheckin
			_, err := c.CreateAutopaySession(bg, req)
			return err
		}, "type", "must be autopay"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := newFake(t, okAnswers)
			err := tt.call(newTestClient(t, testConfig(fake.URL)))
			var ve *ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("err = %v, want *ValidationError", err)
			}
			if ve.Field != tt.field || ve.Rule != tt.rule {
				t.Errorf("refused %s: %s; want %s: %s", ve.Field, ve.Rule, tt.field, tt.rule)
			}
			if fake.hits() != 0 {
				t.Errorf("the server saw %d requests, want 0", fake.hits())
			}
		})
	}
}

func tx(req TransactionRequest) func(*Client) error {
	return func(c *Client) error { _, err := c.TransactionAction(bg, req); return err }
}

func collectWith(edit func(*CollectRequest)) func(*Client) error {
	return func(c *Client) error {
		req := collectRequest()
		edit(&req)
		_, err := c.Collect(bg, req)
		return err
	}
}
