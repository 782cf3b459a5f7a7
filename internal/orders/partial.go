package orders

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/placetopay-gateway/gateway/internal/orders/ordersdb"
)

// Partial payments (allowPartial). The order moves pending -> partially_paid -> paid as the
// session goes APPROVED_PARTIAL -> APPROVED. Two facts do not change the order's status and
// still matter to the merchant; each writes an order.partially_paid event (no new event
// type) with data.sessionStatus saying which:
//
//   - another part approved while the order stays partially_paid: sessionStatus
//     APPROVED_PARTIAL, with the new paidAmount;
//   - the session expired with money taken and the total not reached (PARTIAL_EXPIRED):
//     sessionStatus PARTIAL_EXPIRED, written once, when the expiry is first applied (the
//     session row's status is the guard, under the order's lock). The order stays
//     partially_paid: PlacetoPay collects nothing more on that session, the probe stops,
//     and no new checkout is opened for the order (Checkout needs a pending or failed
//     order): the merchant refunds what was taken or settles the rest with the shopper.

// partialEvents writes the events above for one applied answer. before is the order as it
// was before the answer was applied, o as it is now, sess the session row before it.
func (p *Payments) partialEvents(ctx context.Context, tx pgx.Tx, before, o *Order, sess ordersdb.CheckoutSession, info ProviderSession) error {
	if o.Status != StatusPartiallyPaid {
		return nil
	}
	paid := func() string { return fmt.Sprintf("%s of %s", o.Paid(), o.Amount) }
	switch {
	case info.Status == "PARTIAL_EXPIRED" && sess.Status != "PARTIAL_EXPIRED":
		reason := "the session expired with " + paid() + " paid: the total was not reached and nothing more will be collected on it; refund the amount taken or settle the rest with the shopper"
		return p.store.orderEvent(ctx, tx, o, reason, map[string]any{
			"sessionStatus": "PARTIAL_EXPIRED", "requestId": info.RequestID, "reason": reason,
		}, &sess.ID)
	case before.Status == StatusPartiallyPaid && o.PaidMinor > before.PaidMinor:
		reason := "another part was approved: " + paid() + " paid"
		return p.store.orderEvent(ctx, tx, o, reason, map[string]any{
			"sessionStatus": info.Status, "requestId": info.RequestID, "reason": reason,
		}, &sess.ID)
	}
	return nil
}

// orderEvent writes, inside tx, the event of the order's current status (o.Status) with no
// status change: a timeline note and the outbox event, with extra merged into the event's
// data. The caller holds the order's row lock and guards against writing it twice.
func (s *Store) orderEvent(ctx context.Context, tx pgx.Tx, o *Order, reason string, extra map[string]any, sessionID *uuid.UUID) error {
	typ := o.Status.EventType()
	if typ == "" {
		return fmt.Errorf("orders: status %s has no event", o.Status)
	}
	if err := s.q.InsertTimeline(ctx, tx, ordersdb.InsertTimelineParams{
		OrderID: o.ID, SessionID: sessionID, Kind: "note", Message: nullable(reason),
	}); err != nil {
		return err
	}
	data := eventData(o, o.Status)
	for k, v := range extra {
		data[k] = v
	}
	raw, err := json.Marshal(data)
	if err != nil {
		return err
	}
	_, err = s.q.InsertEvent(ctx, tx, ordersdb.InsertEventParams{
		ID: uuid.Must(uuid.NewV7()), Type: typ, OrderID: o.ID, Data: raw,
	})
	return err
}
