package orders

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"go.uber.org/zap"
)

// Recurring charges. A session opened with a recurrence (payment.recurring) makes PlacetoPay
// charge the card again on its schedule once the first payment is approved. Each charge is
// reported by a notification with no requestId: the charge's internalReference, the order's
// reference, its status and the recurrence's state {tries, enabled} (docs/placetopay.md#recurring-charge-notifications), signed
// like any notification with the internalReference in place of the requestId.
//
// PlacetoPay offers no merchant query for such a charge (a session query shows only the
// session's own transactions; later changes are not reflected in it, docs/placetopay.md#session-statuses), so
// the verified notification is the only source: the charge is recorded as an unconfirmed
// payment of kind recurring, marked reported_by notification, with a timeline entry. Neither
// its type nor its reference is signed, so any signed checkout notification could be recast
// as one: it never changes the order's status or paid amount, and the merchant API shows it
// as unconfirmed until a session query lists it (UpsertPayment confirms it then). The
// merchant hears of each charge recorded, and of each new status of one, through an
// order.recurring_charge event that says so too (confirmed: false).

// RecurringNotification is a verified recurring-charge notification.
type RecurringNotification struct {
	Notification
	Reason, Message string
	Date            time.Time // zero when PlacetoPay's date did not parse
	Tries           *int      // the recurrence's tries for this charge, when sent
	Enabled         *bool     // whether the recurrence is still active, when sent
}

// AcceptRecurringCharge stores a verified recurring-charge notification raw and, in the same
// transaction, records the charge against the order whose reference it carries and whose
// approved session set up the recurrence. A notification for no such order is kept in the
// inbox, unprocessed, and logged. duplicate reports a notification seen before.
func (n *Notifications) AcceptRecurringCharge(ctx context.Context, rn RecurringNotification) (duplicate bool, err error) {
	var unmatched string
	err = n.store.inTx(ctx, func(tx pgx.Tx) error {
		id, inserted, err := n.store.insertRecurringNotification(ctx, tx, rn.Notification)
		if err != nil || !inserted {
			duplicate = !inserted
			return err
		}
		unmatched, err = n.recordCharge(ctx, tx, id, rn)
		return err
	})
	if err != nil {
		return false, fmt.Errorf("orders: accept recurring charge %d: %w", rn.InternalReference, err)
	}
	if unmatched != "" {
		n.log.Warn("recurring-charge notification not recorded against an order", zap.Int64("internalReference", rn.InternalReference),
			zap.String("why", unmatched))
	}
	return duplicate, nil
}

// recordCharge records the charge of the stored notification id, or says why it cannot.
func (n *Notifications) recordCharge(ctx context.Context, tx pgx.Tx, id int64, rn RecurringNotification) (unmatched string, err error) {
	o, ok, err := n.store.lockOrderByReference(ctx, tx, rn.Reference)
	if err != nil || !ok {
		return "no order has this reference", err
	}
	sess, ok, err := n.store.recurringSession(ctx, tx, o.ID)
	if err != nil || !ok {
		return "the order has no approved recurring session", err
	}
	if !rn.Status.transaction() {
		return "the charge's status is not a transaction status", nil
	}
	var tries *int32
	if rn.Tries != nil {
		tries = ptr(int32(min(max(*rn.Tries, 0), 1<<30)))
	}
	recorded, err := n.store.recordRecurringCharge(ctx, tx, recurringCharge{
		notificationID: id, session: sess, internalReference: rn.InternalReference, reference: rn.Reference,
		status: rn.Status, reason: rn.Reason, message: rn.Message, date: rn.Date, tries: tries, enabled: rn.Enabled,
	})
	if err != nil {
		return "", err
	}
	if !recorded {
		// Nothing new (an approval is never taken back), or the reference is a payment of
		// another kind or order: the notification is kept, the payments stay as they are.
		return "the charge is already recorded with this or a settled status, or belongs elsewhere", n.store.notificationProcessed(ctx, tx, id)
	}
	amount := sess.Amount
	payload, _ := json.Marshal(map[string]any{
		"internalReference": rn.InternalReference, "status": rn.Status, "reason": rn.Reason, "message": rn.Message,
		"amount":    moneyData(amount),
		"recurring": map[string]any{"tries": rn.Tries, "enabled": rn.Enabled}, "reportedBy": "notification",
	})
	if err := n.store.providerAnswer(ctx, tx, o.ID, &sess.ID, rn.Status, rn.Reason,
		fmt.Sprintf("recurring charge %d of %s: %s, as reported by PlacetoPay's notification; unconfirmed (no query of the gateway's has shown it), so never counted",
			rn.InternalReference, amount, rn.Status), payload); err != nil {
		return "", err
	}
	if err := n.store.record(ctx, tx, &o, Change{
		Reason:  fmt.Sprintf("the merchant is told of recurring charge %d (%s), unconfirmed", rn.InternalReference, rn.Status),
		Session: &sess.ID, Event: EventRecurringCharge, Data: map[string]any{"recurringCharge": recurringChargeData(rn, amount)},
	}); err != nil {
		return "", err
	}
	return "", n.store.notificationProcessed(ctx, tx, id)
}

// recurringChargeData is what an order.recurring_charge event says of the charge: what the
// notification reported, and that no query of the gateway's confirmed it.
func recurringChargeData(rn RecurringNotification, amount Money) map[string]any {
	d := map[string]any{
		"internalReference": rn.InternalReference, "status": rn.Status, "amount": moneyData(amount), "confirmed": false,
	}
	if rn.Reason != "" {
		d["reason"] = rn.Reason
	}
	if rn.Message != "" {
		d["message"] = rn.Message
	}
	if rn.Tries != nil {
		d["tries"] = *rn.Tries
	}
	if rn.Enabled != nil {
		d["enabled"] = *rn.Enabled
	}
	return d
}
