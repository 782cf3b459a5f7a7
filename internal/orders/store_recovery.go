package orders

import (
	"context"
	"time"

	"github.com/google/uuid"

	"github.com/placetopay-gateway/gateway/internal/orders/ordersdb"
)

// expiredAction is an action that was still requested long after its call must have ended:
// the process that sent it died, and it is now unknown.
type expiredAction struct {
	kind    string // refund, capture, reauthorize, release, confirm or cancel
	id      uuid.UUID
	orderID uuid.UUID
}

// expireRequested makes the actions requested before before unknown and due for a query.
func (s *Store) expireRequested(ctx context.Context, before time.Time) ([]expiredAction, error) {
	var out []expiredAction
	refunds, err := s.q.ExpireRequestedRefunds(ctx, s.pool, before)
	if err != nil {
		return nil, err
	}
	for _, r := range refunds {
		out = append(out, expiredAction{kind: "refund", id: r.ID, orderID: r.OrderID})
	}
	preauths, err := s.q.ExpireRequestedPreauthActions(ctx, s.pool, before)
	if err != nil {
		return out, err
	}
	for _, r := range preauths {
		out = append(out, expiredAction{kind: r.Action, id: r.ID, orderID: r.OrderID})
	}
	confirms, err := s.q.ExpireRequestedConfirmActions(ctx, s.pool, before)
	if err != nil {
		return out, err
	}
	for _, r := range confirms {
		out = append(out, expiredAction{kind: r.Action, id: r.ID, orderID: r.OrderID})
	}
	return out, nil
}

// claimUnknownPreauthActions leases up to limit unknown preauthorization actions due for a check.
func (s *Store) claimUnknownPreauthActions(ctx context.Context, lease time.Duration, limit int) ([]uuid.UUID, error) {
	return s.q.ClaimUnknownPreauthActions(ctx, s.pool, ordersdb.ClaimUnknownPreauthActionsParams{LeaseSeconds: lease.Seconds(), MaxRows: int32(limit)})
}

// claimUnknownConfirmActions leases up to limit unknown confirmation actions due for a check.
func (s *Store) claimUnknownConfirmActions(ctx context.Context, lease time.Duration, limit int) ([]uuid.UUID, error) {
	return s.q.ClaimUnknownConfirmActions(ctx, s.pool, ordersdb.ClaimUnknownConfirmActionsParams{LeaseSeconds: lease.Seconds(), MaxRows: int32(limit)})
}

// preauthActionWithHold reads a preauthorization action, its state and the hold it acts on.
func (s *Store) preauthActionWithHold(ctx context.Context, id uuid.UUID) (preauthAction, ActionState, Payment, error) {
	row, err := s.q.GetPreauthAction(ctx, s.pool, id)
	if err != nil {
		return preauthAction{}, "", Payment{}, err
	}
	hold, err := s.payment(ctx, s.pool, row.PaymentID)
	act := preauthAction{ID: row.ID, OrderID: row.OrderID, Action: row.Action, Amount: Money{Minor: row.AmountMinor, Currency: row.Currency}}
	return act, ActionState(row.Status), hold, err
}

// confirmActionWithPayment reads a confirmation action, its state and the payment it acts on.
func (s *Store) confirmActionWithPayment(ctx context.Context, id uuid.UUID) (action string, state ActionState, pay Payment, err error) {
	row, err := s.q.GetConfirmAction(ctx, s.pool, id)
	if err != nil {
		return "", "", Payment{}, err
	}
	pay, err = s.payment(ctx, s.pool, row.PaymentID)
	return row.Action, ActionState(row.Status), pay, err
}

// recheck schedules another query of an unknown action of kind (refund, preauthorization or
// confirmation), twice as late as the last, from first up to an hour. It returns how many
// queries left it unknown so far; ok is false when it is no longer unknown.
func (s *Store) recheck(ctx context.Context, kind string, id uuid.UUID, first time.Duration) (checks int, ok bool, err error) {
	var n int32
	switch kind {
	case "refund":
		n, err = s.q.RecheckRefund(ctx, s.pool, ordersdb.RecheckRefundParams{ID: id, FirstSeconds: first.Seconds()})
	case "preauthorization":
		n, err = s.q.RecheckPreauthAction(ctx, s.pool, ordersdb.RecheckPreauthActionParams{ID: id, FirstSeconds: first.Seconds()})
	default:
		n, err = s.q.RecheckConfirmAction(ctx, s.pool, ordersdb.RecheckConfirmActionParams{ID: id, FirstSeconds: first.Seconds()})
	}
	if ok, err = found(err); !ok {
		return 0, false, err
	}
	return int(n), true, nil
}
