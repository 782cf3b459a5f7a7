package orders

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"go.uber.org/zap"

	"github.com/placetopay-gateway/gateway/internal/orders/ordersdb"
)

// Recurring charges. A session opened with a recurrence (payment.recurring) makes PlacetoPay
// charge the card again on its schedule once the first payment is approved. Each charge is
// reported by a notification with no requestId: the charge's internalReference, the order's
// reference, its status and the recurrence's state {tries, enabled} (docs/placetopay.md#recurring-charge-notifications), signed
// like any notification with the internalReference in place of the requestId.
//
// PlacetoPay offers no merchant query for such a charge (a session query shows only the
// session's own transactions; later changes are not reflected in it, docs/placetopay.md#session-statuses), so
// the verified notification is the only source: the charge is recorded as a payment of kind
// recurring, marked reported_by notification, with a timeline entry. It never changes the
// order's status, paid amount or events: an order is marked paid only from a session query.

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
func (p *Payments) AcceptRecurringCharge(ctx context.Context, n RecurringNotification) (duplicate bool, err error) {
	var unmatched string
	err = p.store.inTx(ctx, func(tx pgx.Tx) error {
		nrow, err := p.store.q.InsertRecurringNotification(ctx, tx, ordersdb.InsertRecurringNotificationParams{
			InternalReference: nonZero(n.InternalReference), Reference: nullable(n.Reference), Status: n.Status,
			SignatureAlgorithm: n.Algorithm, DedupeKey: n.DedupeKey, Body: n.Body,
		})
		if err != nil {
			return err
		}
		if duplicate = !nrow.Inserted; duplicate {
			return nil
		}
		orow, err := p.store.q.GetOrderByReferenceForUpdate(ctx, tx, n.Reference)
		if errors.Is(err, pgx.ErrNoRows) {
			unmatched = "no order has this reference"
			return nil
		}
		if err != nil {
			return err
		}
		sess, err := p.store.q.GetRecurringSession(ctx, tx, orow.ID)
		if errors.Is(err, pgx.ErrNoRows) {
			unmatched = "the order has no approved recurring session"
			return nil
		}
		if err != nil {
			return err
		}
		if !paymentStatuses[n.Status] {
			unmatched = "the charge's status is not a transaction status"
			return nil
		}
		pay, err := p.store.q.UpsertRecurringPayment(ctx, tx, ordersdb.UpsertRecurringPaymentParams{
			ID: uuid.Must(uuid.NewV7()), OrderID: orow.ID, SessionID: &sess.ID, InternalReference: n.InternalReference,
			Reference: n.Reference, Status: n.Status, Reason: nullable(n.Reason), Message: nullable(n.Message),
			// The notification carries no amount: the charge is the recurrence's amount.
			Currency: sess.Currency, AmountMinor: sess.TotalMinor, ProviderDate: timeOrNil(n.Date),
		})
		if errors.Is(err, pgx.ErrNoRows) {
			// Nothing new (an approval is never taken back), or the reference is a payment of
			// another kind or order: the notification is kept, the payments stay as they are.
			unmatched = "the charge is already recorded with this or a settled status, or belongs elsewhere"
			return p.store.q.MarkNotificationProcessed(ctx, tx, nrow.ID)
		}
		if err != nil {
			return err
		}
		var tries *int32
		if n.Tries != nil {
			tries = ptr(int32(min(max(*n.Tries, 0), 1<<30)))
		}
		if err := p.store.q.UpsertRecurringCharge(ctx, tx, ordersdb.UpsertRecurringChargeParams{
			PaymentID: pay.ID, OrderID: orow.ID, SessionID: sess.ID, NotificationID: nrow.ID, Tries: tries, Enabled: n.Enabled,
		}); err != nil {
			return err
		}
		amount := Money{Minor: sess.TotalMinor, Currency: sess.Currency}
		payload, _ := json.Marshal(map[string]any{
			"internalReference": n.InternalReference, "status": n.Status, "reason": n.Reason, "message": n.Message,
			"amount":    map[string]string{"currency": amount.Currency, "total": amount.Decimal()},
			"recurring": map[string]any{"tries": n.Tries, "enabled": n.Enabled}, "reportedBy": "notification",
		})
		if err := p.store.q.InsertTimeline(ctx, tx, ordersdb.InsertTimelineParams{
			OrderID: orow.ID, SessionID: &sess.ID, Kind: "provider_status", ProviderStatus: &n.Status,
			Reason: nullable(n.Reason), Payload: payload,
			Message: ptr(fmt.Sprintf("recurring charge %d of %s: %s, as reported by PlacetoPay's notification (PlacetoPay offers no query to confirm it)",
				n.InternalReference, amount, n.Status)),
		}); err != nil {
			return err
		}
		return p.store.q.MarkNotificationProcessed(ctx, tx, nrow.ID)
	})
	if err != nil {
		return false, fmt.Errorf("orders: accept recurring charge %d: %w", n.InternalReference, err)
	}
	if unmatched != "" {
		p.log.Warn("recurring-charge notification not recorded against an order", zap.Int64("internalReference", n.InternalReference),
			zap.String("why", unmatched))
	}
	return duplicate, nil
}
