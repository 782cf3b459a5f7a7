package placetopay

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/placetopay-gateway/gateway/internal/orders"
)

// Provider adapts the Client to what the orders domain needs (orders.Provider).
type Provider struct {
	Client *Client
}

var _ orders.Provider = Provider{}

// CreateSession opens a Checkout session for an order.
func (p Provider) CreateSession(ctx context.Context, r orders.SessionRequest) (orders.CreatedSession, error) {
	exp, _ := orders.CurrencyExponent(r.Amount.Currency)
	req := CreateSessionRequest{
		Locale: r.Locale, PaymentMethod: r.PaymentMethod,
		Expiration: r.ExpiresAt.Format(time.RFC3339),
		IPAddress:  r.IPAddress, UserAgent: r.UserAgent, ReturnURL: r.ReturnURL,
		Payment: &PaymentRequest{
			Reference: r.Reference, Description: r.Description,
			Amount: Amount{Currency: r.Amount.Currency, Total: DecimalFromMinor(r.Amount.Minor, exp)},
		},
	}
	if r.Kind == orders.KindCheckin {
		req.Type = SessionTypeCheckin
	}
	req.Payment.Amount.Taxes, req.Payment.Amount.Details = amountParts(r.Taxes, r.Details, exp)
	req.Payer = toPerson(r.Payer)
	req.SkipResult, req.NoBuyerFill = r.SkipResult, r.NoBuyerFill
	for _, f := range r.Fields {
		req.Fields = append(req.Fields, NameValuePair{Keyword: f.Keyword, Value: f.Value, DisplayOn: f.DisplayOn})
	}
	if len(r.Metadata) > 0 {
		req.Metadata = &Metadata{Other: r.Metadata}
	}
	req.Payment.Subscribe = r.Subscribe
	if r.RequiresConfirmation {
		if req.Metadata == nil {
			req.Metadata = &Metadata{}
		}
		req.Metadata.RequiresConfirmation = true
	}
	req.Payment.AllowPartial = r.AllowPartial
	for _, d := range r.Dispersion {
		req.Payment.Dispersion = append(req.Payment.Dispersion, Dispersion{Agreement: String(d.Agreement), AgreementType: d.AgreementType,
			Amount: Amount{Currency: d.Amount.Currency, Total: DecimalFromMinor(d.Amount.Minor, exp)}})
	}
	if rc := r.Recurring; rc != nil {
		req.Payment.Recurring = &Recurring{Periodicity: rc.Periodicity, Interval: Int64(rc.Interval), NextPayment: rc.NextPayment,
			MaxPeriods: Int64(rc.MaxPeriods), DueDate: rc.DueDate, NotificationURL: r.RecurringNotificationURL}
	}
	req.Buyer = toPerson(r.Buyer)
	for _, it := range r.Items {
		tax := DecimalFromMinor(it.TaxMinor, exp)
		req.Payment.Items = append(req.Payment.Items, Item{SKU: it.SKU, Name: it.Name, Category: it.Category,
			Qty: Int64(it.Qty), Price: DecimalFromMinor(it.PriceMinor, exp), Tax: &tax})
	}
	if r.Kind == orders.KindSubscription {
		// Tokenization only: a subscription instead of a payment (docs/placetopay.md#create-a-session).
		req.Subscription = &SubscriptionRequest{Reference: req.Payment.Reference, Description: req.Payment.Description}
		req.Payment = nil
	}
	resp, err := p.Client.CreateSession(ctx, req)
	if err != nil {
		return orders.CreatedSession{}, providerError(err)
	}
	return orders.CreatedSession{RequestID: int64(resp.RequestID), ProcessURL: resp.ProcessURL}, nil
}

// toPerson is a buyer or payer in PlacetoPay's shape; nil for nil.
func toPerson(b *orders.Person) *Person {
	if b == nil {
		return nil
	}
	p := &Person{Document: b.Document, DocumentType: b.DocumentType, Name: b.Name, Surname: b.Surname,
		Company: b.Company, Email: b.Email, Mobile: String(b.Mobile)}
	if a := b.Address; a != nil {
		p.Address = &Address{Street: a.Street, City: a.City, State: a.State, PostalCode: a.PostalCode, Country: a.Country, Phone: a.Phone}
	}
	return p
}

// amountParts are an order's taxes and details as PlacetoPay's amount carries them, in
// decimals of exp fraction digits.
func amountParts(taxes []orders.Tax, details []orders.AmountDetail, exp int) ([]Tax, []AmountDetail) {
	var ts []Tax
	for _, t := range taxes {
		tax := Tax{Kind: t.Kind, Amount: DecimalFromMinor(t.AmountMinor, exp)}
		if t.BaseMinor != nil {
			base := DecimalFromMinor(*t.BaseMinor, exp)
			tax.Base = &base
		}
		ts = append(ts, tax)
	}
	var ds []AmountDetail
	for _, d := range details {
		ds = append(ds, AmountDetail{Kind: d.Kind, Amount: DecimalFromMinor(d.AmountMinor, exp)})
	}
	return ts, ds
}

// QuerySession returns PlacetoPay's view of a session in the domain's terms.
func (p Provider) QuerySession(ctx context.Context, requestID int64) (orders.ProviderSession, error) {
	info, err := p.Client.QuerySession(ctx, requestID)
	if err != nil {
		return orders.ProviderSession{}, sessionError(requestID, err)
	}
	return providerSession(info), nil
}

// providerSession is a session query's answer in the domain's terms. A payment's amount is
// AmountOK only when it was read exactly in a known currency.
func providerSession(info *SessionInformation) orders.ProviderSession {
	out := orders.ProviderSession{
		RequestID: int64(info.RequestID), Status: orders.ProviderStatus(info.Status.Status),
		Reason: string(info.Status.Reason), Message: string(info.Status.Message),
	}
	type paymentView struct {
		InternalReference int64  `json:"internalReference"`
		Status            Status `json:"status"`
		Amount            string `json:"amount,omitempty"`
		Currency          string `json:"currency,omitempty"`
		Franchise         string `json:"franchise,omitempty"`
		Authorization     string `json:"authorization,omitempty"`
		Receipt           string `json:"receipt,omitempty"`
		Refunded          bool   `json:"refunded"`
	}
	view := struct {
		RequestID int64         `json:"requestId"`
		Status    Status        `json:"status"`
		Payment   []paymentView `json:"payment"`
	}{RequestID: int64(info.RequestID), Status: info.Status, Payment: []paymentView{}}
	for _, t := range info.Payment {
		pay := orders.ProviderPayment{
			InternalReference: int64(t.InternalReference), Reference: string(t.Reference),
			Status: orders.ProviderStatus(t.Status.Status), Reason: string(t.Status.Reason), Message: string(t.Status.Message),
			Authorization: string(t.Authorization), Receipt: string(t.Receipt), Franchise: t.Franchise,
			PaymentMethod: t.PaymentMethod, PaymentMethodName: t.PaymentMethodName, IssuerName: t.IssuerName,
			Refunded: t.Refunded,
		}
		pay.LastDigits, _ = t.ProcessorFields.Lookup("lastDigits")
		if d, err := t.Status.Time(); err == nil {
			pay.Date = d
		}
		if t.Amount != nil {
			// What the shopper was asked for, in the session's currency (From); To may be a
			// conversion into another currency.
			pay.Currency, pay.Total = t.Amount.From.Currency, string(t.Amount.From.Total)
			if m, err := t.Amount.From.Total.Money(pay.Currency); err == nil {
				pay.AmountMinor, pay.AmountOK = m.Minor, true
			}
		}
		out.Payments = append(out.Payments, pay)
		view.Payment = append(view.Payment, paymentView{InternalReference: pay.InternalReference, Status: t.Status,
			Amount: pay.Total, Currency: pay.Currency, Franchise: pay.Franchise, Authorization: pay.Authorization,
			Receipt: pay.Receipt, Refunded: pay.Refunded})
	}
	out.Instrument = instrumentOf(info)
	// The timeline keeps statuses, amounts and references: no card data, tokens, buyer or payer.
	out.Payload, _ = json.Marshal(view)
	return out
}

// CancelSession cancels a pending session at PlacetoPay.
func (p Provider) CancelSession(ctx context.Context, requestID int64) error {
	if _, err := p.Client.CancelSession(ctx, requestID); err != nil {
		return sessionError(requestID, err)
	}
	return nil
}

// sessionError is providerError for a call about the session requestID: PlacetoPay saying
// the session does not exist is an *orders.SessionUnknownError.
func sessionError(requestID int64, err error) error {
	out := providerError(err)
	var api *APIError
	var perr *orders.ProviderError
	if errors.As(err, &api) && errors.As(out, &perr) && SessionUnknown(api) {
		return &orders.SessionUnknownError{RequestID: requestID, Err: perr}
	}
	return out
}

// providerError turns a PlacetoPay answer into the domain's ProviderError, and an answer the
// client could not read into its UnreadableAnswerError; an unknown outcome (timeout, lost
// connection) stays as it is.
func providerError(err error) error {
	var api *APIError
	var m *MalformedError
	if errors.As(err, &m) {
		return &orders.UnreadableAnswerError{Err: err}
	}
	if errors.As(err, &api) {
		return &orders.ProviderError{HTTPStatus: api.HTTPStatus, Reason: api.Reason(), Message: string(api.Status.Message),
			Refused: api.HTTPStatus < 500 && api.HTTPStatus != 429 && api.HTTPStatus != 401}
	}
	var v *ValidationError
	if errors.As(err, &v) {
		return &orders.ProviderError{HTTPStatus: 422, Reason: "invalid_request", Message: v.Field + ": " + v.Rule, Refused: true}
	}
	return err
}
