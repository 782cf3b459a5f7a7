package orders

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"go.uber.org/zap"
)

// The preauthorization actions on an authorized order (a checkin approved by PlacetoPay).
const (
	PreauthCapture     = "capture"     // checkout with the final amount: the order becomes paid
	PreauthReauthorize = "reauthorize" // reauthorization: a new held amount, still authorized
	PreauthRelease     = "release"     // checkout with 0: nothing is taken, the order is cancelled
)

// Capture closes the order's preauthorization taking amount (the held amount when nil). The
// order becomes paid with paidAmount = the captured amount, which may differ from the order's
// total (a hotel bill is rarely the deposit held): the order's amount then follows the
// capture, and the timeline and the event say both figures.
func (a *Actions) Capture(ctx context.Context, orderID uuid.UUID, amount *Money) (Order, error) {
	return a.preauthAction(ctx, orderID, PreauthCapture, amount)
}

// Reauthorize changes the amount the order's preauthorization holds; the order stays
// authorized.
func (a *Actions) Reauthorize(ctx context.Context, orderID uuid.UUID, amount Money) (Order, error) {
	return a.preauthAction(ctx, orderID, PreauthReauthorize, &amount)
}

// Release lets the order's preauthorization go without taking anything; the order is
// cancelled.
func (a *Actions) Release(ctx context.Context, orderID uuid.UUID) (Order, error) {
	return a.preauthAction(ctx, orderID, PreauthRelease, nil)
}

func (a *Actions) preauthAction(ctx context.Context, orderID uuid.UUID, action string, amount *Money) (Order, error) {
	var (
		act  preauthAction
		hold Payment
		site string
	)
	err := a.store.inTx(ctx, func(tx pgx.Tx) error {
		o, err := a.store.lockOrder(ctx, tx, orderID)
		if err != nil {
			return err
		}
		if o.Status != StatusAuthorized {
			return Errorf(EConflict, "order %s is %s; %s needs an authorized order (a preauthorization)", o.ID, o.Status, action)
		}
		site = o.Site
		var ok bool
		if hold, ok, err = a.store.openCheckin(ctx, tx, o.ID); err != nil {
			return err
		} else if !ok {
			return Errorf(EConflict, "order %s has no open preauthorization", o.ID)
		}
		money, err := preauthAmount(action, hold, amount)
		if err != nil {
			return err
		}
		if act, err = a.store.insertPreauthAction(ctx, tx, hold, action, money); err != nil {
			return err
		}
		return audit(ctx, tx, AuditChange{OrderID: o.ID, Target: fmt.Sprintf("payment %d", hold.InternalReference),
			Before: auditState(o), After: map[string]any{"action": action, "amount": money.String()}})
	})
	if err != nil {
		return Order{}, wrap(action, orderID, err)
	}

	wire := ActionCheckout
	if action == PreauthReauthorize {
		wire = ActionReauthorization
	}
	res, callErr := providerOf(a.provider, site).TransactionAction(ctx, hold.InternalReference, wire, &act.Amount)
	sctx, cancel := afterCall(ctx, 15*time.Second)
	defer cancel()
	var perr *ProviderError
	switch {
	case callErr == nil && res.Status == ProviderApproved:
		if err := a.recordPreauth(sctx, act, hold, res); err != nil && !errors.Is(err, errActionSettled) {
			return Order{}, err
		}
		a.metrics.preauthActions.WithLabelValues(action, string(ActionSucceeded)).Inc()
		return a.store.orderView(sctx, orderID)
	case callErr == nil && (res.Status == ProviderRejected || res.Status == ProviderFailed):
		a.settlePreauth(sctx, act, ActionFailed, res.Reason, res.Message)
		return Order{}, &Error{Code: EInvalid, Message: fmt.Sprintf("PlacetoPay rejected the %s: %s: %s", action, res.Reason, res.Message)}
	case errors.As(callErr, &perr) && perr.Refused:
		a.settlePreauth(sctx, act, ActionFailed, perr.Reason, perr.Message)
		return Order{}, &Error{Code: EInvalid, Message: fmt.Sprintf("PlacetoPay refused the %s: %s: %s", action, perr.Reason, perr.Message)}
	}
	// Unknown outcome: never sent again. The action stays unknown and blocks the next one
	// until it is resolved.
	a.log.Warn("preauthorization action outcome unknown", zap.String("action", action),
		zap.String("order", orderID.String()), zap.NamedError("cause", callErr))
	a.settlePreauth(sctx, act, ActionUnknown, "outcome_unknown", "PlacetoPay did not confirm the "+action)
	return Order{}, Errorf(EUnavailable, "PlacetoPay did not confirm the %s of order %s; its outcome is unknown and it is not retried", action, orderID)
}

// preauthAmount is what an action on hold sends: the amount asked (the held amount when
// none is), nothing for a release.
func preauthAmount(action string, hold Payment, amount *Money) (Money, error) {
	held := hold.held()
	switch action {
	case PreauthRelease:
		return Money{Currency: held.Currency}, nil
	case PreauthCapture, PreauthReauthorize:
		money := held
		if amount != nil {
			if amount.Currency != held.Currency {
				// PlacetoPay keeps the checkin's currency for the whole flow.
				return Money{}, invalidField("amount.currency", "must be %s, the currency of the preauthorization", held.Currency)
			}
			if amount.Minor <= 0 {
				return Money{}, invalidField("amount.total", "must be more than zero (release lets the hold go)")
			}
			money = *amount
		}
		if action == PreauthCapture && money.Minor > held.Minor {
			return Money{}, invalidField("amount.total", "%s exceeds the %s held; reauthorize first", money, held)
		}
		return money, nil
	}
	return Money{}, Errorf(EInvalid, "unknown preauthorization action %q", action)
}

// recordPreauth applies an approved action under the order's lock: PlacetoPay's answer, the
// session query's, or an operator's settle of an unknown action, alike. An action settled
// meanwhile (another replica's query, an operator) is not applied twice: errActionSettled.
func (a *Actions) recordPreauth(ctx context.Context, act preauthAction, hold Payment, res ProviderPayment) error {
	return a.store.inTx(ctx, func(tx pgx.Tx) error {
		o, err := a.store.lockOrder(ctx, tx, act.OrderID)
		if err != nil {
			return err
		}
		if err := a.store.lockOpenAction(ctx, tx, "preauthorization", act.ID); err != nil {
			return err
		}
		before := auditState(o)
		if err := a.applyPreauth(ctx, tx, &o, act, hold, res); err != nil {
			return err
		}
		// Only an operator's settle of an unknown action reaches here with an audit hook
		// left to call: the action's request wrote its audit row already.
		return audit(ctx, tx, AuditChange{OrderID: o.ID, Target: "preauthorization action " + act.ID.String(), Before: before,
			After: map[string]any{"order": auditState(o), "action": act.Action, "outcome": string(ActionSucceeded)}})
	})
}

// applyPreauth applies an approved action to o, locked in tx.
func (a *Actions) applyPreauth(ctx context.Context, tx pgx.Tx, o *Order, act preauthAction, hold Payment, res ProviderPayment) error {
	if err := a.store.settlePreauthAction(ctx, tx, act.ID, ActionSucceeded, nonZero(res.InternalReference), res.Reason, res.Message); err != nil {
		return err
	}
	from := o.Status
	switch act.Action {
	case PreauthReauthorize:
		if err := a.store.reauthorized(ctx, tx, hold, act.Amount, res); err != nil {
			return err
		}
		return a.store.record(ctx, tx, o, Change{
			Reason: fmt.Sprintf("preauthorization now holds %s (was %s)", act.Amount, hold.held())})
	case PreauthRelease:
		if err := a.store.released(ctx, tx, hold); err != nil {
			return err
		}
		if err := a.store.record(ctx, tx, o, Change{To: StatusCancelled, Reason: "preauthorization released: nothing was taken"}); err != nil {
			return err
		}
		a.metrics.moved(from, o)
		return nil
	}
	// Capture: the checkout transaction is an approved payment of its own, which refunds act on.
	if err := a.store.captured(ctx, tx, hold, act.Amount, res); err != nil {
		return err
	}
	if err := a.store.setPaid(ctx, tx, o, act.Amount.Minor); err != nil {
		return err
	}
	ref := res.InternalReference
	if ref == 0 {
		ref = hold.InternalReference
	}
	reason := "captured " + act.Amount.String()
	capture := map[string]any{"internalReference": ref, "amount": moneyData(act.Amount)}
	if previous := o.Amount; act.Amount.Minor != previous.Minor {
		// The order's amount follows the capture, said so, so that paidAmount never
		// exceeds it silently (a reauthorization may hold more than the order).
		if err := a.store.setAmount(ctx, tx, o, act.Amount.Minor); err != nil {
			return err
		}
		reason = fmt.Sprintf("captured %s of an order of %s (held %s): the order's amount is now %s, what was captured",
			act.Amount, previous, hold.held(), o.Amount)
		capture["previousAmount"] = moneyData(previous)
	}
	if err := a.store.record(ctx, tx, o, Change{To: StatusPaid, Reason: reason, Data: map[string]any{"capture": capture}}); err != nil {
		return err
	}
	a.metrics.moved(from, o)
	// A capture's answer is the approval, so there is no time from approval to paid.
	a.metrics.approvedAmount.WithLabelValues(o.Amount.Currency).Add(float64(o.PaidMinor))
	return nil
}

// settlePreauth records an action's outcome other than success; a failure to record it is
// logged, and the action stays as it was.
func (a *Actions) settlePreauth(ctx context.Context, act preauthAction, state ActionState, reason, message string) {
	a.metrics.preauthActions.WithLabelValues(act.Action, string(state)).Inc()
	if err := a.store.settlePreauthAction(ctx, a.store.pool, act.ID, state, nil, reason, message); err != nil {
		a.log.Error("record preauthorization action outcome", zap.String("action", act.ID.String()), zap.Error(err))
	}
}
