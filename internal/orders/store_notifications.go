package orders

import (
	"context"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/placetopay-gateway/gateway/internal/orders/ordersdb"
)

// acceptNotification stores a verified notification raw and, in the same statement, makes
// its session due for a check. inserted is false for a duplicate, which only counts. With
// n.Site set, a notification naming a session of another site is stored nowhere: otherSite.
func (s *Store) acceptNotification(ctx context.Context, n Notification) (inserted, otherSite bool, err error) {
	row, err := s.q.AcceptNotification(ctx, s.pool, ordersdb.AcceptNotificationParams{
		Kind: n.Kind, RequestID: nonZero(n.RequestID), InternalReference: nonZero(n.InternalReference),
		Reference: nullable(n.Reference), Status: string(n.Status), SignatureAlgorithm: n.Algorithm,
		DedupeKey: n.DedupeKey, Body: n.Body, StatusDate: n.Date, Site: nullable(n.Site),
	})
	return row.Inserted, row.OtherSite, err
}

// insertRecurringNotification stores a verified recurring-charge notification raw inside tx
// and returns its id; inserted is false for a duplicate.
func (s *Store) insertRecurringNotification(ctx context.Context, tx pgx.Tx, n Notification) (id int64, inserted bool, err error) {
	row, err := s.q.InsertRecurringNotification(ctx, tx, ordersdb.InsertRecurringNotificationParams{
		InternalReference: nonZero(n.InternalReference), Reference: nullable(n.Reference), Status: string(n.Status),
		SignatureAlgorithm: n.Algorithm, DedupeKey: n.DedupeKey, Body: n.Body,
	})
	return row.ID, row.Inserted, err
}

// notificationProcessed marks a stored notification as applied.
func (s *Store) notificationProcessed(ctx context.Context, tx pgx.Tx, id int64) error {
	return s.q.MarkNotificationProcessed(ctx, tx, id)
}

// recurringCharge is a recurring charge as its notification reports it.
type recurringCharge struct {
	notificationID    int64
	session           Session // the session that set up the recurrence
	internalReference int64
	reference         string
	status            ProviderStatus
	reason, message   string
	date              time.Time
	tries             *int32
	enabled           *bool
}

// recordRecurringCharge stores a recurring charge as a payment of kind recurring of the
// session's order, with its recurrence's state, inside tx. ok is false, with nothing
// written, when the charge is known already with this or a settled status, or its
// internalReference belongs to a payment of another kind or order.
func (s *Store) recordRecurringCharge(ctx context.Context, tx pgx.Tx, c recurringCharge) (ok bool, err error) {
	pay, err := s.q.UpsertRecurringPayment(ctx, tx, ordersdb.UpsertRecurringPaymentParams{
		ID: uuid.Must(uuid.NewV7()), OrderID: c.session.OrderID, SessionID: &c.session.ID, InternalReference: c.internalReference,
		Reference: c.reference, Status: string(c.status), Reason: nullable(c.reason), Message: nullable(c.message),
		// The notification carries no amount: the charge is the recurrence's amount.
		Currency: c.session.Amount.Currency, AmountMinor: c.session.Amount.Minor, ProviderDate: timeOrNil(c.date),
	})
	if ok, err := found(err); !ok {
		return false, err
	}
	return true, s.q.UpsertRecurringCharge(ctx, tx, ordersdb.UpsertRecurringChargeParams{
		PaymentID: pay.ID, OrderID: c.session.OrderID, SessionID: c.session.ID, NotificationID: c.notificationID,
		Tries: c.tries, Enabled: c.enabled,
	})
}
