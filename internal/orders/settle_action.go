package orders

import (
	"context"
	"errors"
	"fmt"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
)

// Action kinds an operator may settle besides refunds (SettleRefund).
const (
	KindPreauthorization = "preauthorization" // a capture, reauthorization or release
	KindConfirmation     = "confirmation"     // a confirm or cancel of a payment awaiting confirmation
)

// SettledAction is a preauthorization or confirmation action as an operator's settle left it.
type SettledAction struct {
	ID     uuid.UUID
	Kind   string // KindPreauthorization or KindConfirmation
	Action string // capture, reauthorize, release, confirm, cancel
	Status ActionState
}

// SettleAction settles a preauthorization or confirmation action of the order whose outcome
// is unknown, by an operator's decision after looking it up in PlacetoPay's panel: happened
// or not. As for a refund, the action's session is queried once more first; if that settles
// it, the answer is a conflict and the operator's outcome is not applied.
//
// A capture, reauthorization or release that happened is applied exactly as PlacetoPay's
// approval would be (recordPreauth: the hold captured and the order paid, the held amount
// changed, or the order cancelled), with internalReference, when given, as the transaction
// PlacetoPay made (the hold's otherwise). One that did not happen fails, and the order keeps
// its preauthorization. A confirm or cancel only settles its action: the order follows the
// payment's status in the session query, as always, never the operator's word.
func (a *Actions) SettleAction(ctx context.Context, orderID, actionID uuid.UUID, happened bool, internalReference int64, note string) (SettledAction, error) {
	notFound := Errorf(ENotFound, "order %s has no preauthorization or confirmation action %s", orderID, actionID)
	act, state, hold, err := a.store.preauthActionWithHold(ctx, actionID)
	if err == nil {
		if act.OrderID != orderID {
			return SettledAction{}, notFound
		}
		return a.settlePreauthByOperator(ctx, act, state, hold, happened, internalReference, note)
	} else if !errors.Is(err, pgx.ErrNoRows) {
		return SettledAction{}, err
	}
	action, state, pay, err := a.store.confirmActionWithPayment(ctx, actionID)
	if errors.Is(err, pgx.ErrNoRows) || (err == nil && pay.OrderID != orderID) {
		return SettledAction{}, notFound
	} else if err != nil {
		return SettledAction{}, err
	}
	if internalReference != 0 {
		return SettledAction{}, invalidField("internalReference", "applies to a capture or a reauthorization only")
	}
	out := SettledAction{ID: actionID, Kind: KindConfirmation, Action: action, Status: state}
	if state != ActionUnknown {
		return out, Errorf(EConflict, "%s action %s is %s, not unknown", KindConfirmation, actionID, state)
	}
	if err := a.ResolveConfirmAction(withoutAudit(ctx), actionID); err != nil {
		return out, Errorf(EUnavailable, "PlacetoPay could not be queried about action %s; try again", actionID)
	}
	if _, state, _, err = a.store.confirmActionWithPayment(ctx, actionID); err != nil {
		return out, err
	} else if state != ActionUnknown {
		out.Status = state
		return out, Errorf(EConflict, "the latest query settled action %s as %s; nothing left to decide", actionID, state)
	}
	out.Status = ActionFailed
	if happened {
		out.Status = ActionSucceeded
	}
	err = a.store.inTx(ctx, func(tx pgx.Tx) error {
		o, err := a.store.lockOrder(ctx, tx, orderID)
		if err != nil {
			return err
		}
		if err := a.store.lockOpenAction(ctx, tx, KindConfirmation, actionID); err != nil {
			return err
		}
		if err := a.store.settleConfirmAction(ctx, tx, actionID, out.Status, "settled_by_operator", note); err != nil {
			return err
		}
		return a.settledNote(ctx, tx, o, out, fmt.Sprintf("payment %d", pay.InternalReference), note)
	})
	if err != nil {
		return SettledAction{}, wrap("settle", orderID, settledConflict(err, actionID))
	}
	return out, nil
}

func (a *Actions) settlePreauthByOperator(ctx context.Context, act preauthAction, state ActionState, hold Payment, happened bool, internalReference int64, note string) (SettledAction, error) {
	out := SettledAction{ID: act.ID, Kind: KindPreauthorization, Action: act.Action, Status: state}
	if state != ActionUnknown {
		return out, Errorf(EConflict, "%s action %s is %s, not unknown", KindPreauthorization, act.ID, state)
	}
	if internalReference < 0 || (internalReference != 0 && (!happened || act.Action == PreauthRelease)) {
		return out, invalidField("internalReference", "is the transaction PlacetoPay made for a capture or reauthorization that happened")
	}
	if internalReference != 0 && internalReference != hold.InternalReference {
		if _, recorded, err := a.store.orderPayment(ctx, a.store.pool, act.OrderID, internalReference); err != nil {
			return out, err
		} else if recorded {
			return out, invalidField("internalReference", "payment %d is already recorded on the order", internalReference)
		}
	}
	if err := a.ResolvePreauthAction(withoutAudit(ctx), act.ID); err != nil {
		return out, Errorf(EUnavailable, "PlacetoPay could not be queried about action %s; try again", act.ID)
	}
	if _, state, _, err := a.store.preauthActionWithHold(ctx, act.ID); err != nil {
		return out, err
	} else if state != ActionUnknown {
		out.Status = state
		return out, Errorf(EConflict, "the latest query settled action %s as %s; nothing left to decide", act.ID, state)
	}
	if happened {
		res := ProviderPayment{Status: ProviderApproved, InternalReference: internalReference, Reason: "settled_by_operator", Message: note}
		if err := a.recordPreauth(ctx, act, hold, res); err != nil {
			return out, wrap("settle", act.OrderID, settledConflict(err, act.ID))
		}
		a.metrics.preauthActions.WithLabelValues(act.Action, string(ActionSucceeded)).Inc()
		out.Status = ActionSucceeded
		return out, nil
	}
	out.Status = ActionFailed
	err := a.store.inTx(ctx, func(tx pgx.Tx) error {
		o, err := a.store.lockOrder(ctx, tx, act.OrderID)
		if err != nil {
			return err
		}
		if err := a.store.lockOpenAction(ctx, tx, KindPreauthorization, act.ID); err != nil {
			return err
		}
		if err := a.store.settlePreauthAction(ctx, tx, act.ID, ActionFailed, nil, "settled_by_operator", note); err != nil {
			return err
		}
		return a.settledNote(ctx, tx, o, out, fmt.Sprintf("%s of payment %d", act.Amount, hold.InternalReference), note)
	})
	if err != nil {
		return SettledAction{}, wrap("settle", act.OrderID, settledConflict(err, act.ID))
	}
	a.metrics.preauthActions.WithLabelValues(act.Action, string(ActionFailed)).Inc()
	return out, nil
}

// settledNote writes the timeline note and the audit row of an operator's settle that
// changes nothing but the action.
func (a *Actions) settledNote(ctx context.Context, tx pgx.Tx, o Order, act SettledAction, what, note string) error {
	if err := a.store.note(ctx, tx, o.ID, nil, "settled_by_operator",
		fmt.Sprintf("the %s (%s) settled as %s by an operator: %s", act.Action, what, act.Status, note)); err != nil {
		return err
	}
	return audit(ctx, tx, AuditChange{OrderID: o.ID, Target: act.Kind + " action " + act.ID.String(),
		Before: map[string]any{"action": act.Action, "status": string(ActionUnknown), "order": auditState(o)},
		After:  map[string]any{"action": act.Action, "status": string(act.Status), "order": auditState(o)}})
}

func settledConflict(err error, id uuid.UUID) error {
	if errors.Is(err, errActionSettled) {
		return Errorf(EConflict, "action %s was settled meanwhile; nothing left to decide", id)
	}
	return err
}
