package orders

import (
	"context"
	"fmt"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
)

// resolutions are the moves out of review an operator may make by hand (ResolveReview). No
// automatic path makes them: the status machine (transitions) has none.
var resolutions = map[Status]bool{StatusPaid: true, StatusRefunded: true, StatusFailed: true}

// resolve moves o out of review to to, by an operator's decision.
func (o *Order) resolve(to Status) error {
	if o.Status != StatusReview || !resolutions[to] {
		return Errorf(EConflict, "order %s is %s and cannot be resolved to %s", o.ID, o.Status, to)
	}
	o.Status = to
	return nil
}

// Resolution is an operator's decision on an order in review.
type Resolution struct {
	To Status // paid, refunded or failed
	// AcceptDiscrepancy lets an order become paid although its approved payments do not
	// add up to its amount: an admin's call, recorded as such.
	AcceptDiscrepancy bool
	Note              string // why, for the timeline
}

// ResolveReview takes an order out of review. To paid only when its approved payments, less
// what was refunded of them, cover its amount exactly (an extra payment is refunded first),
// unless the discrepancy is accepted; to refunded or failed only when nothing approved is
// left unrefunded. The move, its timeline entry, its event and the audit row commit together.
func (a *Actions) ResolveReview(ctx context.Context, orderID uuid.UUID, res Resolution) (Order, error) {
	if !resolutions[res.To] {
		return Order{}, invalidField("to", "must be paid, refunded or failed")
	}
	err := a.store.inTx(ctx, func(tx pgx.Tx) error {
		o, err := a.store.lockOrder(ctx, tx, orderID)
		if err != nil {
			return err
		}
		if o.Status != StatusReview {
			return Errorf(EConflict, "order %s is %s, not in review", o.ID, o.Status)
		}
		if n, err := a.store.refunding(ctx, tx, o.ID); err != nil {
			return err
		} else if len(n) > 0 {
			return Errorf(EConflict, "order %s has a refund in flight or unknown; settle it first", o.ID)
		}
		payments, err := a.store.payments(ctx, tx, o.ID)
		if err != nil {
			return err
		}
		var net int64
		foreign := false
		for _, p := range payments {
			if p.Status != ProviderApproved || p.Unconfirmed || p.Kind == PaymentCheckin || p.Kind == PaymentRecurring {
				continue
			}
			if p.Amount.Currency != o.Amount.Currency {
				foreign = foreign || p.Amount.Minor > p.RefundedMinor
				continue
			}
			net += p.Amount.Minor - p.RefundedMinor
		}
		covered := o.minor(net)
		discrepancy := ""
		switch {
		case res.To == StatusPaid && (net != o.Amount.Minor || foreign):
			discrepancy = fmt.Sprintf("approved payments less refunds are %s for an order of %s", covered, o.Amount)
			if foreign {
				discrepancy += ", and a payment in another currency is not refunded"
			}
			if !res.AcceptDiscrepancy {
				return Errorf(EConflict, "order %s cannot become paid: %s; refund the difference, or (admin) accept the discrepancy", o.ID, discrepancy)
			}
		case res.To != StatusPaid && (net > 0 || foreign):
			return Errorf(EConflict, "order %s still has %s approved and not refunded; refund it before resolving to %s", o.ID, covered, res.To)
		}
		before := auditState(o)
		reason := "resolved by an operator: " + res.Note
		data := map[string]any{"resolution": map[string]any{"acceptedDiscrepancy": discrepancy != ""}}
		if discrepancy != "" {
			reason = "resolved by an operator, accepting a discrepancy (" + discrepancy + "): " + res.Note
		}
		if res.To == StatusPaid && net > o.PaidMinor {
			if err := a.store.setPaid(ctx, tx, &o, net); err != nil {
				return err
			}
		}
		if err := a.store.record(ctx, tx, &o, Change{To: res.To, Reason: reason, Data: data, Resolution: true}); err != nil {
			return err
		}
		after := auditState(o)
		if discrepancy != "" {
			after["acceptedDiscrepancy"] = discrepancy
		}
		return audit(ctx, tx, AuditChange{OrderID: o.ID, Before: before, After: after})
	})
	if err != nil {
		return Order{}, wrap("resolve", orderID, err)
	}
	return a.store.orderView(ctx, orderID)
}

// SettleRefund settles a refund whose outcome is unknown by an operator's decision, after a
// last query of its payment's session (ResolveRefund) could not tell: refunded true records
// it as succeeded (the operator saw it in PlacetoPay's console), false as failed. A refund
// the query settled, or that is not unknown, is a conflict.
func (a *Actions) SettleRefund(ctx context.Context, orderID, refundID uuid.UUID, refunded bool, note string) (Refund, error) {
	r, err := a.store.lockRefund(ctx, a.store.pool, refundID)
	if err != nil || r.OrderID != orderID {
		return Refund{}, Errorf(ENotFound, "order %s has no refund %s", orderID, refundID)
	}
	if r.Status != ActionUnknown {
		return Refund{}, Errorf(EConflict, "refund %s is %s, not unknown", refundID, r.Status)
	}
	if err := a.ResolveRefund(withoutAudit(ctx), refundID); err != nil {
		return Refund{}, Errorf(EUnavailable, "PlacetoPay could not be queried about refund %s; try again", refundID)
	}
	if r, err = a.store.lockRefund(ctx, a.store.pool, refundID); err != nil {
		return Refund{}, err
	}
	if r.Status != ActionUnknown {
		return r, Errorf(EConflict, "the latest query settled refund %s as %s; nothing left to decide", refundID, r.Status)
	}
	if refunded {
		return a.recordRefund(ctx, refundID, refundResult{amount: r.Amount.Minor, reason: "settled_by_operator", message: note})
	}
	var out Refund
	err = a.store.inTx(ctx, func(tx pgx.Tx) error {
		o, err := a.store.lockOrder(ctx, tx, orderID)
		if err != nil {
			return err
		}
		cur, err := a.store.lockRefund(ctx, tx, refundID)
		if err != nil {
			return err
		}
		if cur.Status != ActionUnknown {
			return Errorf(EConflict, "refund %s is %s, not unknown", refundID, cur.Status)
		}
		if out, err = a.store.settleRefund(ctx, tx, cur, refundOutcome{state: ActionFailed, amountMinor: cur.Amount.Minor,
			reason: "settled_by_operator", message: note}); err != nil {
			return err
		}
		if err := a.store.note(ctx, tx, o.ID, nil, "settled_by_operator", fmt.Sprintf("refund of %s settled as failed by an operator: %s", cur.Amount, note)); err != nil {
			return err
		}
		return audit(ctx, tx, AuditChange{OrderID: o.ID, Target: "refund " + refundID.String(), Before: map[string]any{"refund": string(cur.Status)},
			After: map[string]any{"refund": string(out.Status)}})
	})
	if err != nil {
		return Refund{}, wrap("settle", orderID, err)
	}
	a.metrics.refunds.WithLabelValues(string(ActionFailed)).Inc()
	return out, nil
}

// withoutAudit is ctx with its audit hook spent: what it runs writes no audit row.
func withoutAudit(ctx context.Context) context.Context {
	return context.WithValue(ctx, auditKey{}, (*auditCall)(nil))
}
