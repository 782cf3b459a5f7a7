package orders

import (
	"context"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/placetopay-gateway/gateway/internal/orders/ordersdb"
)

// payments returns the order's payments, newest first.
func (s *Store) payments(ctx context.Context, db ordersdb.DBTX, orderID uuid.UUID) ([]Payment, error) {
	rows, err := s.q.ListPayments(ctx, db, orderID)
	return paymentsFromRows(rows), err
}

// payment reads a payment by its id.
func (s *Store) payment(ctx context.Context, db ordersdb.DBTX, id uuid.UUID) (Payment, error) {
	row, err := s.q.GetPayment(ctx, db, id)
	return paymentFromRow(row), err
}

// orderPayment reads the order's payment with PlacetoPay's internalReference; ok is false
// when the order has none.
func (s *Store) orderPayment(ctx context.Context, db ordersdb.DBTX, orderID uuid.UUID, internalReference int64) (pay Payment, ok bool, err error) {
	row, err := s.q.GetOrderPayment(ctx, db, ordersdb.GetOrderPaymentParams{OrderID: orderID, InternalReference: internalReference})
	if ok, err = found(err); !ok {
		return Payment{}, false, err
	}
	return paymentFromRow(row), true, nil
}

// recordTransaction stores one transaction of a session's answer against its order, kind
// naming where it came from. Statuses only move forward (UpsertPayment). inserted is true
// for a transaction not seen before. A payment never moves between orders: when the
// internalReference is another order's payment, nothing is written and elsewhere names
// that order.
func (s *Store) recordTransaction(ctx context.Context, tx pgx.Tx, orderID, sessionID uuid.UUID, kind PaymentKind, pay ProviderPayment) (inserted bool, elsewhere uuid.UUID, err error) {
	currency := pay.Currency
	if !pay.AmountOK || !currencyRE.MatchString(currency) {
		// An amount the gateway cannot read exactly is recorded in ISO 4217's "no
		// currency", which no order uses: an approval of it can only go to review.
		currency = "XXX"
	}
	inserted, err = s.q.UpsertPayment(ctx, tx, ordersdb.UpsertPaymentParams{
		ID: uuid.Must(uuid.NewV7()), OrderID: orderID, SessionID: &sessionID, InternalReference: pay.InternalReference,
		Kind: string(kind), Reference: pay.Reference, Status: string(pay.Status), Reason: nullable(pay.Reason), Message: nullable(pay.Message),
		AuthorizationCode: nullable(pay.Authorization), Receipt: nullable(pay.Receipt), Franchise: nullable(pay.Franchise),
		PaymentMethod: nullable(pay.PaymentMethod), PaymentMethodName: nullable(pay.PaymentMethodName),
		IssuerName: nullable(pay.IssuerName), LastDigits: nullable(lastDigits(pay.LastDigits)),
		Currency: currency, AmountMinor: max(pay.AmountMinor, 0), Refunded: pay.Refunded, ProviderDate: timeOrNil(pay.Date),
	})
	if ok, err := found(err); ok || err != nil {
		return inserted, uuid.Nil, err
	}
	elsewhere, err = s.q.PaymentOrder(ctx, tx, pay.InternalReference)
	return false, elsewhere, err
}

// refundablePayments returns the order's approved payments with money left to refund,
// oldest first.
func (s *Store) refundablePayments(ctx context.Context, tx pgx.Tx, orderID uuid.UUID) ([]Payment, error) {
	rows, err := s.q.ListRefundablePayments(ctx, tx, orderID)
	return paymentsFromRows(rows), err
}

// refunding returns the ids of the order's payments with a refund in flight or unknown.
func (s *Store) refunding(ctx context.Context, tx pgx.Tx, orderID uuid.UUID) ([]uuid.UUID, error) {
	return s.q.ListRefundingPayments(ctx, tx, orderID)
}

// openCheckin returns the order's approved preauthorization that was neither captured nor
// released; ok is false for none.
func (s *Store) openCheckin(ctx context.Context, tx pgx.Tx, orderID uuid.UUID) (hold Payment, ok bool, err error) {
	row, err := s.q.GetOpenCheckin(ctx, tx, orderID)
	if ok, err = found(err); !ok {
		return Payment{}, false, err
	}
	return paymentFromRow(row), true, nil
}

// reauthorized records a reauthorization of hold to held: the amount it holds now, and the
// reauthorization's own transaction, linked to the hold like a capture, so that a session
// query that lists it never takes it for a second payment.
func (s *Store) reauthorized(ctx context.Context, tx pgx.Tx, hold Payment, held Money, re ProviderPayment) error {
	if err := s.q.SetPaymentHeld(ctx, tx, ordersdb.SetPaymentHeldParams{ID: hold.ID, HeldMinor: &held.Minor}); err != nil {
		return err
	}
	if re.InternalReference == 0 || re.InternalReference == hold.InternalReference {
		return nil // PlacetoPay answered with the hold itself
	}
	return s.q.InsertReauthorization(ctx, tx, ordersdb.InsertReauthorizationParams{
		ID: uuid.Must(uuid.NewV7()), OrderID: hold.OrderID, SessionID: hold.SessionID, InternalReference: re.InternalReference,
		Reference: re.Reference, Reason: nullable(re.Reason), Message: nullable(re.Message),
		AuthorizationCode: nullable(re.Authorization), Currency: held.Currency, AmountMinor: held.Minor,
		ParentID: &hold.ID, ProviderDate: timeOrNil(re.Date),
	})
}

// released records a preauthorization let go with nothing taken.
func (s *Store) released(ctx context.Context, tx pgx.Tx, hold Payment) error {
	return s.q.SetPaymentSettled(ctx, tx, ordersdb.SetPaymentSettledParams{ID: hold.ID, Settled: ptr("released")})
}

// captured records a preauthorization's capture of amount: the capture transaction is an
// approved payment of its own, which refunds act on; when PlacetoPay answered with no
// transaction of its own (none, or the hold's), the hold becomes the captured payment.
func (s *Store) captured(ctx context.Context, tx pgx.Tx, hold Payment, amount Money, capture ProviderPayment) error {
	if err := s.q.SetPaymentSettled(ctx, tx, ordersdb.SetPaymentSettledParams{ID: hold.ID, Settled: ptr("captured")}); err != nil {
		return err
	}
	if capture.InternalReference == 0 || capture.InternalReference == hold.InternalReference {
		return s.q.SetCheckinCaptured(ctx, tx, ordersdb.SetCheckinCapturedParams{ID: hold.ID, AmountMinor: amount.Minor})
	}
	return s.q.InsertCapture(ctx, tx, ordersdb.InsertCaptureParams{
		ID: uuid.Must(uuid.NewV7()), OrderID: hold.OrderID, SessionID: hold.SessionID, InternalReference: capture.InternalReference,
		Reference: capture.Reference, Reason: nullable(capture.Reason), Message: nullable(capture.Message),
		AuthorizationCode: nullable(capture.Authorization), Receipt: nullable(capture.Receipt), Franchise: nullable(capture.Franchise),
		PaymentMethod: nullable(capture.PaymentMethod), Currency: amount.Currency, AmountMinor: amount.Minor,
		ParentID: &hold.ID, ProviderDate: timeOrNil(capture.Date),
	})
}

// claimConfirmationWarnings claims the payments awaiting confirmation since before
// enteredBefore that were not warned about yet.
func (s *Store) claimConfirmationWarnings(ctx context.Context, enteredBefore time.Time) ([]Payment, error) {
	rows, err := s.q.ClaimConfirmationWarnings(ctx, s.pool, enteredBefore)
	return paymentsFromRows(rows), err
}

// claimConfirmationAnnouncements marks the order's payments awaiting confirmation that were
// not announced yet as announced, and returns them.
func (s *Store) claimConfirmationAnnouncements(ctx context.Context, tx pgx.Tx, orderID uuid.UUID) ([]Payment, error) {
	rows, err := s.q.ClaimConfirmationAnnouncements(ctx, tx, orderID)
	return paymentsFromRows(rows), err
}

func timeOrNil(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

// lastDigits keeps the last four digits of a card number, and nothing that is not digits.
func lastDigits(s string) string {
	if len(s) > 4 {
		s = s[len(s)-4:]
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return ""
		}
	}
	return s
}
