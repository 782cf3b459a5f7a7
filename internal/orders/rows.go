package orders

import (
	"encoding/json"
	"fmt"

	"github.com/google/uuid"

	"github.com/placetopay-gateway/gateway/internal/orders/ordersdb"
)

// The generated row types stop here: everything above the store works on the domain types
// these functions return.

func orderFromRow(r ordersdb.Order) (Order, error) {
	o := Order{
		ID: r.ID, Reference: r.Reference, Description: r.Description, Status: Status(r.Status),
		Amount:    Money{Minor: r.TotalMinor, Currency: r.Currency},
		PaidMinor: r.PaidMinor, RefundedMinor: r.RefundedMinor,
		ReturnURL: deref(r.ReturnUrl), Site: r.Site, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt,
	}
	if len(r.Buyer) > 0 {
		o.Buyer = new(Person)
		if err := json.Unmarshal(r.Buyer, o.Buyer); err != nil {
			return Order{}, fmt.Errorf("orders: order %s: buyer: %w", r.ID, err)
		}
	}
	if err := json.Unmarshal(r.Items, &o.Items); err != nil {
		return Order{}, fmt.Errorf("orders: order %s: items: %w", r.ID, err)
	}
	if err := json.Unmarshal(r.AmountTaxes, &o.Taxes); err != nil {
		return Order{}, fmt.Errorf("orders: order %s: amount taxes: %w", r.ID, err)
	}
	if err := json.Unmarshal(r.AmountDetails, &o.Details); err != nil {
		return Order{}, fmt.Errorf("orders: order %s: amount details: %w", r.ID, err)
	}
	return o, nil
}

func sessionFromRow(r ordersdb.CheckoutSession) Session {
	return Session{
		ID: r.ID, OrderID: r.OrderID, Kind: SessionKind(r.Kind), Attempt: Attempt(r.Attempt),
		RequestID: r.RequestID, ProcessURL: deref(r.ProcessUrl),
		Status: ProviderStatus(r.Status), Reason: deref(r.Reason), Message: deref(r.Message),
		Amount: Money{Minor: r.TotalMinor, Currency: r.Currency}, AllowPartial: r.AllowPartial, Request: r.Request,
		CustomerReference: deref(r.CustomerReference), PaymentMethodID: r.PaymentMethodID,
		ExpiresAt: r.ExpiresAt, NextCheckAt: r.NextCheckAt, CreatedAt: r.CreatedAt, Site: r.Site,
	}
}

func sessionsFromRows(rows []ordersdb.CheckoutSession) []Session {
	var out []Session
	for _, r := range rows {
		out = append(out, sessionFromRow(r))
	}
	return out
}

func paymentFromRow(r ordersdb.Payment) Payment {
	return Payment{
		ID: r.ID, OrderID: r.OrderID, SessionID: r.SessionID, InternalReference: r.InternalReference,
		Kind: PaymentKind(r.Kind), Reference: r.Reference, Status: ProviderStatus(r.Status),
		Reason: deref(r.Reason), Message: deref(r.Message),
		Authorization: deref(r.AuthorizationCode), Receipt: deref(r.Receipt),
		Franchise: deref(r.Franchise), PaymentMethod: deref(r.PaymentMethod),
		Amount:      Money{Minor: r.AmountMinor, Currency: r.Currency},
		Unconfirmed: !r.Confirmed, Refunded: r.Refunded, RefundedMinor: r.RefundedMinor,
		HeldMinor: r.HeldMinor, Settled: deref(r.Settled), ParentID: r.ParentID,
		ProviderDate: r.ProviderDate, CreatedAt: r.CreatedAt,
	}
}

func paymentsFromRows(rows []ordersdb.Payment) []Payment {
	var out []Payment
	for _, r := range rows {
		out = append(out, paymentFromRow(r))
	}
	return out
}

func refundFromRow(r ordersdb.Refund, paymentRef int64) Refund {
	return Refund{ID: r.ID, OrderID: r.OrderID, PaymentID: r.PaymentID, PaymentInternalReference: paymentRef,
		Amount: Money{Minor: r.AmountMinor, Currency: r.Currency}, Status: ActionState(r.Status), InternalReference: r.InternalReference,
		Reason: deref(r.Reason), Message: deref(r.Message), Source: RefundSource(r.Source), CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt}
}

func paymentMethodFromRow(r ordersdb.PaymentMethod) PaymentMethod {
	return PaymentMethod{
		ID: r.ID, CustomerReference: r.CustomerReference, Franchise: deref(r.Franchise), FranchiseName: deref(r.FranchiseName),
		IssuerName: deref(r.IssuerName), LastDigits: deref(r.LastDigits), ValidUntil: deref(r.ValidUntil),
		OrderID: r.OrderID, CreatedAt: r.CreatedAt, Site: r.Site,
	}
}

func ptr[T any](v T) *T { return &v }

func nullable(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func derefUUID(id *uuid.UUID) string {
	if id == nil {
		return ""
	}
	return id.String()
}

func nonZero(v int64) *int64 {
	if v == 0 {
		return nil
	}
	return &v
}
