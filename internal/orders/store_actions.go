package orders

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/placetopay-gateway/gateway/internal/orders/ordersdb"
)

// The transaction actions' rows: refunds, preauthorization actions and confirmation
// actions. Each is written (requested) under the order's lock before PlacetoPay is called,
// and settled once, after: a settled action never changes again.

// insertRefund writes a requested refund of amount of pay inside tx. Only one refund of an
// order may be in flight or unknown at a time: another is EConflict.
func (s *Store) insertRefund(ctx context.Context, tx pgx.Tx, pay Payment, amount Money) (Refund, error) {
	row, err := s.q.InsertRefund(ctx, tx, ordersdb.InsertRefundParams{
		ID: uuid.Must(uuid.NewV7()), OrderID: pay.OrderID, PaymentID: pay.ID, Currency: amount.Currency, AmountMinor: amount.Minor,
		RequestKey: requestKey(ctx),
	})
	if c, ok := uniqueViolation(err); ok && c == "refunds_one_in_flight" {
		return Refund{}, Errorf(EConflict, "a refund of order %s is already in flight; retry once it is settled", pay.OrderID)
	}
	return refundFromRow(row, pay.InternalReference), err
}

// requestedRefund is the refund of the order that the request in ctx (WithRequestKey) made
// already, read inside tx under the order's lock: one that succeeded or whose outcome is
// unknown, which the rerun answers with. A refund still requested is not returned (the refund
// in flight makes the rerun a conflict), nor a failed one, which nothing was refunded by: it
// forgets the request, which then makes a new refund.
func (s *Store) requestedRefund(ctx context.Context, tx pgx.Tx, orderID uuid.UUID) (Refund, bool, error) {
	key := requestKey(ctx)
	if key == nil {
		return Refund{}, false, nil
	}
	r, err := s.q.GetRefundByRequestKey(ctx, tx, ordersdb.GetRefundByRequestKeyParams{OrderID: orderID, RequestKey: key})
	if ok, err := found(err); !ok || r.Status == string(ActionRequested) {
		return Refund{}, false, err
	}
	if r.Status == string(ActionFailed) {
		return Refund{}, false, s.q.ForgetRefundRequest(ctx, tx, r.ID)
	}
	return refundFromRow(ordersdb.Refund{ID: r.ID, OrderID: r.OrderID, PaymentID: r.PaymentID,
		Currency: r.Currency, AmountMinor: r.AmountMinor, Status: r.Status, InternalReference: r.InternalReference,
		Reason: r.Reason, Message: r.Message, Source: r.Source, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt}, r.PaymentInternalReference), true, nil
}

// refundOutcome is how a refund settles.
type refundOutcome struct {
	state           ActionState
	amountMinor     int64
	reversal        *int64 // PlacetoPay's reversal transaction
	reason, message string
	next            *time.Time // when an unknown refund is checked again
}

// settleRefund writes a refund's outcome; a refund settled already comes back as it was.
func (s *Store) settleRefund(ctx context.Context, db ordersdb.DBTX, r Refund, out refundOutcome) (Refund, error) {
	row, err := s.q.SettleRefund(ctx, db, ordersdb.SettleRefundParams{
		ID: r.ID, Status: string(out.state), AmountMinor: out.amountMinor, InternalReference: out.reversal,
		Reason: nullable(out.reason), Message: nullable(out.message), NextCheckAt: out.next,
	})
	if ok, err := found(err); !ok {
		return r, err
	}
	return refundFromRow(row, r.PaymentInternalReference), nil
}

// lockRefund reads a refund FOR UPDATE, with its payment's internalReference.
func (s *Store) lockRefund(ctx context.Context, db ordersdb.DBTX, id uuid.UUID) (Refund, error) {
	row, err := s.q.GetRefundForUpdate(ctx, db, id)
	if err != nil {
		return Refund{}, err
	}
	pay, err := s.payment(ctx, db, row.PaymentID)
	if err != nil {
		return Refund{}, fmt.Errorf("payment: %w", err)
	}
	return refundFromRow(row, pay.InternalReference), nil
}

// refunds lists the order's refunds, oldest first.
func (s *Store) refunds(ctx context.Context, orderID uuid.UUID) ([]Refund, error) {
	rows, err := s.q.ListRefunds(ctx, s.pool, orderID)
	out := make([]Refund, 0, len(rows))
	for _, r := range rows {
		out = append(out, refundFromRow(ordersdb.Refund{ID: r.ID, OrderID: r.OrderID, PaymentID: r.PaymentID,
			Currency: r.Currency, AmountMinor: r.AmountMinor, Status: r.Status, InternalReference: r.InternalReference,
			Reason: r.Reason, Message: r.Message, Source: r.Source, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt}, r.PaymentInternalReference))
	}
	return out, err
}

// refundsInFlight counts the order's refunds still requested or unknown.
func (s *Store) refundsInFlight(ctx context.Context, tx pgx.Tx, orderID uuid.UUID) (int64, error) {
	return s.q.CountRefundsInFlight(ctx, tx, orderID)
}

// addRefund adds a succeeded refund of amount of pay to the payment's and the order's
// refunded amounts, inside tx.
func (s *Store) addRefund(ctx context.Context, tx pgx.Tx, o *Order, pay Payment, amount int64) error {
	if err := s.q.AddPaymentRefund(ctx, tx, ordersdb.AddPaymentRefundParams{ID: pay.ID, AmountMinor: amount}); err != nil {
		return err
	}
	if err := s.q.AddOrderRefund(ctx, tx, ordersdb.AddOrderRefundParams{ID: o.ID, AmountMinor: amount}); err != nil {
		return err
	}
	o.RefundedMinor += amount
	return nil
}

// claimUnknownRefunds leases up to limit unknown refunds due for a check.
func (s *Store) claimUnknownRefunds(ctx context.Context, lease time.Duration, limit int) ([]uuid.UUID, error) {
	return s.q.ClaimUnknownRefunds(ctx, s.pool, ordersdb.ClaimUnknownRefundsParams{LeaseSeconds: lease.Seconds(), MaxRows: int32(limit)})
}

// preauthAction is one capture, reauthorization or release of a preauthorization.
type preauthAction struct {
	ID      uuid.UUID
	OrderID uuid.UUID
	Action  string
	Amount  Money
}

// insertPreauthAction writes a requested action on hold inside tx. One action per order may
// be in flight or unknown at a time: another is EConflict.
func (s *Store) insertPreauthAction(ctx context.Context, tx pgx.Tx, hold Payment, action string, amount Money) (preauthAction, error) {
	row, err := s.q.InsertPreauthAction(ctx, tx, ordersdb.InsertPreauthActionParams{
		ID: uuid.Must(uuid.NewV7()), OrderID: hold.OrderID, PaymentID: hold.ID, Action: action,
		Currency: amount.Currency, AmountMinor: amount.Minor,
	})
	if c, ok := uniqueViolation(err); ok && c == "preauth_actions_one_in_flight" {
		return preauthAction{}, Errorf(EConflict, "a preauthorization action on order %s is in flight or its outcome is unknown", hold.OrderID)
	}
	return preauthAction{ID: row.ID, OrderID: row.OrderID, Action: row.Action,
		Amount: Money{Minor: row.AmountMinor, Currency: row.Currency}}, err
}

// settlePreauthAction writes a preauthorization action's outcome.
func (s *Store) settlePreauthAction(ctx context.Context, db ordersdb.DBTX, id uuid.UUID, state ActionState, ref *int64, reason, message string) error {
	return s.q.SettlePreauthAction(ctx, db, ordersdb.SettlePreauthActionParams{
		ID: id, Status: string(state), InternalReference: ref, Reason: nullable(reason), Message: nullable(message),
	})
}

// preauthInFlight returns the internalReference of the order's checkin while a
// preauthorization action on it is being sent, 0 when none is.
func (s *Store) preauthInFlight(ctx context.Context, tx pgx.Tx, orderID uuid.UUID) (int64, error) {
	ref, err := s.q.GetPreauthActionInFlight(ctx, tx, orderID)
	if ok, err := found(err); !ok {
		return 0, err
	}
	return ref, nil
}

// insertConfirmAction writes a requested confirm or cancel of pay inside tx. One action per
// payment, ever: another is EConflict.
func (s *Store) insertConfirmAction(ctx context.Context, tx pgx.Tx, pay Payment, action string) (uuid.UUID, error) {
	row, err := s.q.InsertConfirmAction(ctx, tx, ordersdb.InsertConfirmActionParams{
		ID: uuid.Must(uuid.NewV7()), OrderID: pay.OrderID, PaymentID: pay.ID, Action: action,
	})
	if c, ok := uniqueViolation(err); ok && c == "confirm_actions_one_per_payment" {
		return uuid.Nil, Errorf(EConflict, "payment %d was already confirmed or cancelled, or an action on it is in flight or has an unknown outcome", pay.InternalReference)
	}
	return row.ID, err
}

// settleConfirmAction writes a confirmation action's outcome.
func (s *Store) settleConfirmAction(ctx context.Context, db ordersdb.DBTX, id uuid.UUID, state ActionState, reason, message string) error {
	return s.q.SettleConfirmAction(ctx, db, ordersdb.SettleConfirmActionParams{
		ID: id, Status: string(state), Reason: nullable(reason), Message: nullable(message),
	})
}

// settleUnknownConfirmActions settles the unknown actions on a payment that has left
// PENDING_CONFIRMATION: they happened.
func (s *Store) settleUnknownConfirmActions(ctx context.Context, paymentID uuid.UUID, message string) error {
	return s.q.SettleUnknownConfirmActions(ctx, s.pool, ordersdb.SettleUnknownConfirmActionsParams{PaymentID: paymentID, Message: &message})
}

// errActionSettled is lockOpenAction's answer for an action that is neither requested nor
// unknown any more: something else settled it first, and it is not settled again.
var errActionSettled = Errorf(EConflict, "the action is settled already")

// lockOpenAction locks a preauthorization or confirmation action (kind) in tx and returns
// errActionSettled unless it is still requested or unknown.
func (s *Store) lockOpenAction(ctx context.Context, tx pgx.Tx, kind string, id uuid.UUID) error {
	var status string
	var err error
	if kind == "preauthorization" {
		status, err = s.q.LockPreauthActionStatus(ctx, tx, id)
	} else {
		status, err = s.q.LockConfirmActionStatus(ctx, tx, id)
	}
	if err != nil {
		return err
	}
	if st := ActionState(status); st != ActionRequested && st != ActionUnknown {
		return errActionSettled
	}
	return nil
}
