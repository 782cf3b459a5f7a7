package orders

import (
	"encoding/json"
	"fmt"

	"github.com/placetopay-gateway/gateway/internal/orders/ordersdb"
)

func orderFromRow(r ordersdb.Order) (Order, error) {
	o := Order{
		ID: r.ID, Reference: r.Reference, Description: r.Description, Status: Status(r.Status),
		Amount:    Money{Minor: r.TotalMinor, Currency: r.Currency},
		PaidMinor: r.PaidMinor, RefundedMinor: r.RefundedMinor,
		ReturnURL: deref(r.ReturnUrl), CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt,
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
	return o, nil
}

func sessionFromRow(r ordersdb.CheckoutSession) Session {
	return Session{
		ID: r.ID, RequestID: r.RequestID, ProcessURL: deref(r.ProcessUrl), Attempt: r.Attempt,
		Status: r.Status, Reason: deref(r.Reason), Message: deref(r.Message),
		ExpiresAt: r.ExpiresAt, CreatedAt: r.CreatedAt,
	}
}

func paymentFromRow(r ordersdb.Payment) Payment {
	return Payment{
		InternalReference: r.InternalReference, Status: r.Status, Reason: deref(r.Reason),
		Authorization: deref(r.AuthorizationCode), Receipt: deref(r.Receipt),
		Franchise: deref(r.Franchise), PaymentMethod: deref(r.PaymentMethod),
		Amount:   Money{Minor: r.AmountMinor, Currency: r.Currency},
		Refunded: r.Refunded, RefundedMinor: r.RefundedMinor, CreatedAt: r.CreatedAt,
	}
}
