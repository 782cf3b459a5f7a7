package orders

import (
	"context"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/placetopay-gateway/gateway/internal/orders/ordersdb"
)

// enrollRefundCheck puts a session on the refund checks' schedule, paid at paidAt and first
// due at first; a session already on it stays as it is.
func (s *Store) enrollRefundCheck(ctx context.Context, tx pgx.Tx, sessionID, orderID uuid.UUID, paidAt, first time.Time) error {
	return s.q.EnrollRefundCheck(ctx, tx, ordersdb.EnrollRefundCheckParams{
		SessionID: sessionID, OrderID: orderID, PaidAt: paidAt, NextCheckAt: &first,
	})
}

// claimRefundChecks leases up to limit refund checks due at now.
func (s *Store) claimRefundChecks(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]refundCheck, error) {
	rows, err := s.q.ClaimRefundChecks(ctx, s.pool, ordersdb.ClaimRefundChecksParams{
		Now: now, LeaseSeconds: lease.Seconds(), MaxRows: int32(limit),
	})
	out := make([]refundCheck, 0, len(rows))
	for _, r := range rows {
		out = append(out, refundCheck{sessionID: r.SessionID, orderID: r.OrderID, requestID: r.RequestID,
			paidAt: r.PaidAt, step: int(r.Step), failures: int(r.Failures)})
	}
	return out, err
}

// scheduleRefundCheck writes when a session is next checked, after a check at now.
func (s *Store) scheduleRefundCheck(ctx context.Context, sessionID uuid.UUID, next refundCheckSchedule, now time.Time) error {
	return s.q.ScheduleRefundCheck(ctx, s.pool, ordersdb.ScheduleRefundCheckParams{
		SessionID: sessionID, Step: int32(next.step), Failures: int32(next.failures), NextCheckAt: next.at, Now: now,
	})
}

// insertExternalRefund writes a succeeded refund of amount of pay that the gateway did not
// make, with source external.
func (s *Store) insertExternalRefund(ctx context.Context, tx pgx.Tx, pay Payment, amount int64, reason, message string) (Refund, error) {
	row, err := s.q.InsertExternalRefund(ctx, tx, ordersdb.InsertExternalRefundParams{
		ID: uuid.Must(uuid.NewV7()), OrderID: pay.OrderID, PaymentID: pay.ID, Currency: pay.Amount.Currency,
		AmountMinor: amount, Reason: nullable(reason), Message: nullable(message),
	})
	return refundFromRow(row, pay.InternalReference), err
}
