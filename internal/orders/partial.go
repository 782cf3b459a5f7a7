package orders

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
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
func (r *Reconciler) partialEvents(ctx context.Context, tx pgx.Tx, before, o *Order, sess Session, info ProviderSession) error {
	if o.Status != StatusPartiallyPaid {
		return nil
	}
	paid := fmt.Sprintf("%s of %s", o.Paid(), o.Amount)
	var reason string
	switch {
	case info.Status == ProviderPartialExpired && sess.Status != ProviderPartialExpired:
		reason = "the session expired with " + paid + " paid: the total was not reached and nothing more will be collected on it; refund the amount taken or settle the rest with the shopper"
	case before.Status == StatusPartiallyPaid && o.PaidMinor > before.PaidMinor:
		reason = "another part was approved: " + paid + " paid"
	default:
		return nil
	}
	return r.store.record(ctx, tx, o, Change{Reason: reason, Session: &sess.ID, Event: o.Status.EventType(),
		Data: map[string]any{"sessionStatus": info.Status, "requestId": info.RequestID, "reason": reason}})
}
