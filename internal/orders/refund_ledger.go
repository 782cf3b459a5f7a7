package orders

import (
	"cmp"
	"context"
	"fmt"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"go.uber.org/zap"
)

// refundResult is a refund that happened.
type refundResult struct {
	// amount is what was refunded; < 0 means everything the payment still had (PlacetoPay
	// reported it refunded in full).
	amount          int64
	reversal        *int64 // PlacetoPay's reversal transaction, when it answered with one
	reason, message string
	// review, when set, also puts the order in review with this reason: the ledger and
	// PlacetoPay disagree.
	review string
}

// recordRefund settles a refund as succeeded, under the order's lock: the payment's and the
// order's refunded amounts, and the order's status with an order.refunded event carrying the
// refund. A refund already settled is returned as it is.
func (a *Actions) recordRefund(ctx context.Context, id uuid.UUID, res refundResult) (Refund, error) {
	var out Refund
	err := a.store.inTx(ctx, func(tx pgx.Tx) error {
		// The order is locked first, as everywhere else; the refund's order never changes.
		cur, err := a.store.lockRefund(ctx, a.store.pool, id)
		if err != nil {
			return err
		}
		o, err := a.store.lockOrder(ctx, tx, cur.OrderID)
		if err != nil {
			return err
		}
		if cur, err = a.store.lockRefund(ctx, tx, id); err != nil {
			return err
		}
		if out = cur; cur.Status != ActionRequested && cur.Status != ActionUnknown {
			return nil
		}
		pay, err := a.store.payment(ctx, tx, cur.PaymentID)
		if err != nil {
			return err
		}
		amount := res.amount
		left := min(pay.Amount.Minor-pay.RefundedMinor, o.PaidMinor-o.RefundedMinor)
		if amount < 0 || amount > left {
			amount = left
		}
		if amount <= 0 {
			out, err = a.store.settleRefund(ctx, tx, cur, refundOutcome{state: ActionFailed, amountMinor: cur.Amount.Minor,
				reason: "nothing_left", message: "the ledger already holds every refund of this payment"})
			return err
		}
		if out, err = a.store.settleRefund(ctx, tx, cur, refundOutcome{
			state: ActionSucceeded, amountMinor: amount, reversal: res.reversal, reason: res.reason, message: res.message,
		}); err != nil {
			return err
		}
		if err := a.store.addRefund(ctx, tx, &o, pay, amount); err != nil {
			return err
		}
		before := auditState(o)
		if err := a.announceRefund(ctx, tx, &o, out, res.review); err != nil {
			return err
		}
		// Only an operator's settle of an unknown refund reaches here with an audit hook
		// left to call: a refund's request wrote its audit row already.
		return audit(ctx, tx, AuditChange{OrderID: o.ID, Target: "refund " + id.String(), Before: before,
			After: map[string]any{"order": auditState(o), "refund": string(out.Status), "amount": out.Amount.String()}})
	})
	if err != nil {
		return Refund{}, fmt.Errorf("orders: record refund %s: %w", id, err)
	}
	a.metrics.refunds.WithLabelValues(string(out.Status)).Inc()
	return out, nil
}

// announceRefund moves o after a succeeded refund r: partially_refunded or refunded, with an
// order.refunded event carrying the refund, then review when review is set. An order in
// review stays there (it is left only by hand); the refund is still noted and announced.
func (a *Actions) announceRefund(ctx context.Context, tx pgx.Tx, o *Order, r Refund, review string) error {
	change := Change{
		To:     StatusPartiallyRefunded,
		Reason: fmt.Sprintf("refunded %s of payment %d", r.Amount, r.PaymentInternalReference),
		Data:   map[string]any{"refund": refundEventData(r)},
		Event:  StatusRefunded.EventType(),
	}
	if r.Source == RefundExternal {
		change.Reason = fmt.Sprintf("PlacetoPay reports payment %d refunded outside the gateway: %s entered in the ledger", r.PaymentInternalReference, r.Amount)
	}
	if o.RefundedMinor >= o.PaidMinor {
		change.To = StatusRefunded
	}
	if o.Status == StatusReview {
		change.To = ""
		return a.store.record(ctx, tx, o, change)
	}
	change.To = stayOrMove(o, change.To) // a second partial refund: the status stays
	from := o.Status
	if err := a.store.record(ctx, tx, o, change); err != nil {
		return err
	}
	a.metrics.moved(from, o)
	if review == "" {
		return nil
	}
	from = o.Status
	if err := a.store.record(ctx, tx, o, Change{To: StatusReview, Reason: review}); err != nil {
		return err
	}
	a.metrics.moved(from, o)
	a.log.Warn("order put in review", zap.String("order", o.ID.String()), zap.String("reason", review))
	return nil
}

// failRefund settles a refund PlacetoPay refused: nothing else changes.
func (a *Actions) failRefund(ctx context.Context, id uuid.UUID, reason, message string) error {
	cur, err := a.store.lockRefund(ctx, a.store.pool, id)
	if err != nil {
		return fmt.Errorf("orders: refund %s: %w", id, err)
	}
	// A refund settled by someone else meanwhile is left as it is.
	if _, err := a.store.settleRefund(ctx, a.store.pool, cur, refundOutcome{state: ActionFailed, amountMinor: cur.Amount.Minor, reason: reason, message: message}); err != nil {
		return fmt.Errorf("orders: refund %s: %w", id, err)
	}
	a.metrics.refunds.WithLabelValues(string(ActionFailed)).Inc()
	return nil
}

func refundEventData(r Refund) map[string]any {
	return map[string]any{"id": r.ID, "paymentInternalReference": r.PaymentInternalReference,
		"amount": moneyData(r.Amount), "status": r.Status, "source": cmp.Or(r.Source, RefundByGateway)}
}
