package sandbox

import (
	"encoding/json"
	"strconv"

	pp "github.com/placetopay-gateway/gateway/internal/placetopay"
)

// The wire shapes of sessions and transactions (docs/placetopay.md#query-a-session). They are the sandbox's
// own, not the client's types, so that a bug in one is not mirrored in the other.

// nameValue is a NameValuePair.
type nameValue struct {
	Keyword   string `json:"keyword"`
	Value     any    `json:"value"`
	DisplayOn string `json:"displayOn"`
}

type amountBase struct {
	Currency string      `json:"currency"`
	Total    json.Number `json:"total"`
}

type amountConversion struct {
	From   amountBase  `json:"from"`
	To     amountBase  `json:"to"`
	Factor json.Number `json:"factor"`
}

// transactionJSON is a Transaction.
type transactionJSON struct {
	Status            statusJSON       `json:"status"`
	InternalReference int64            `json:"internalReference"`
	Reference         string           `json:"reference"`
	PaymentMethod     string           `json:"paymentMethod"`
	PaymentMethodName string           `json:"paymentMethodName"`
	IssuerName        string           `json:"issuerName"`
	Amount            amountConversion `json:"amount"`
	Authorization     string           `json:"authorization"`
	Receipt           string           `json:"receipt"`
	Franchise         string           `json:"franchise"`
	Refunded          bool             `json:"refunded"`
	ProcessorFields   []nameValue      `json:"processorFields"`
	// Dispersion is the parts of a dispersion payment (options.go); absent otherwise.
	Dispersion []transactionDispersionJSON `json:"dispersion,omitempty"`
}

func (sb *Sandbox) transactionView(t *transaction) transactionJSON {
	base := amountBase{Currency: t.Amount.Currency, Total: t.Amount.total()}
	c := t.Card
	return transactionJSON{
		Status: statusOf(t.State), InternalReference: t.Ref, Reference: t.Reference,
		PaymentMethod: c.Brand.Method, PaymentMethodName: c.Brand.Name, IssuerName: c.Brand.Issuer,
		Amount:        amountConversion{From: base, To: base, Factor: "1"},
		Authorization: t.Authorization, Receipt: t.Receipt, Franchise: c.Brand.Franchise,
		Refunded: t.Refunded,
		ProcessorFields: []nameValue{
			{"merchantCode", "1465675", "none"},
			{"terminalNumber", "00990099", "none"},
			{"bin", c.bin(), "none"},
			{"expiration", "1229", "none"},
			{"lastDigits", c.last4(), "none"},
			{"installments", 1, "none"},
		},
		Dispersion: dispersionView(t),
	}
}

// subscriptionJSON is a SubscriptionResponse.
type subscriptionJSON struct {
	Status     statusJSON  `json:"status"`
	Type       string      `json:"type"`
	Instrument []nameValue `json:"instrument"`
}

// sessionJSON is a RedirectInformation. Payment and Subscription are null when empty, as
// PlacetoPay sends them.
type sessionJSON struct {
	RequestID    any               `json:"requestId"`
	Status       statusJSON        `json:"status"`
	Request      map[string]any    `json:"request"`
	Payment      []transactionJSON `json:"payment"`
	Subscription *subscriptionJSON `json:"subscription"`
	Autopay      []autopayJSON     `json:"autopay"`
}

// sessionView is s as a query answers it; autopay routes send requestId as a string, as
// the autopay document types it.
func (sb *Sandbox) sessionView(s *session, f flavour) sessionJSON {
	v := sessionJSON{RequestID: s.ID, Status: statusOf(s.State), Request: s.Request}
	if f == autopayAPI {
		v.RequestID = strconv.FormatInt(s.ID, 10)
	}
	for i := len(s.Payments) - 1; i >= 0; i-- {
		v.Payment = append(v.Payment, sb.transactionView(s.Payments[i]))
	}
	if s.Token != nil && s.State.Status == pp.StatusApproved {
		tok := s.Token
		v.Subscription = &subscriptionJSON{
			Status: statusJSON{Status: "OK", Reason: "00", Message: "The subscription has been completed successfully", Date: s.State.Date},
			Type:   "token",
			Instrument: []nameValue{
				{"token", tok.Token, "none"},
				{"subtoken", tok.Subtoken, "none"},
				{"franchise", tok.Card.Brand.Method, "none"},
				{"franchiseName", tok.Card.Brand.Name, "none"},
				{"issuerName", tok.Card.Brand.Issuer, "none"},
				{"lastDigits", tok.Card.last4(), "none"},
				{"validUntil", tok.ValidUntil, "none"},
				{"installments", 1, "none"},
			},
		}
	}
	if s.Kind == kindAutopay { // an empty list until the payer authorizes, as the autopay document requires
		v.Autopay = []autopayJSON{}
	}
	if s.Enrolled != nil {
		v.Autopay = append(v.Autopay, sb.autopayView(s.Enrolled, false))
	}
	return v
}
