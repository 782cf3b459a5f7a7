package orders

import (
	"context"
	"errors"
	"fmt"

	"github.com/google/uuid"
	"go.uber.org/zap"
)

// ResolveUnknownPreauthActions claims unknown preauthorization actions that are due and
// resolves each with a query of its checkin session; it returns how many it looked at.
func (a *Actions) ResolveUnknownPreauthActions(ctx context.Context) int {
	ids, err := a.store.claimUnknownPreauthActions(ctx, claimLease, resolveActionsBatch)
	if err != nil {
		if ctx.Err() == nil {
			a.log.Warn("claim unknown preauthorization actions", zap.Error(err))
		}
		return 0
	}
	for _, id := range ids {
		if err := a.ResolvePreauthAction(ctx, id); err != nil && ctx.Err() == nil {
			a.log.Warn("resolve an unknown preauthorization action; retrying later", zap.String("action", id.String()), zap.Error(err))
			if _, _, err := a.store.recheck(ctx, "preauthorization", id, min(failedRetry, a.cfg.ProbeInterval)); err != nil {
				a.log.Warn("reschedule an unknown preauthorization action", zap.Error(err))
			}
		}
	}
	return len(ids)
}

// ResolvePreauthAction settles one unknown capture or reauthorization from a query of its
// checkin session: a transaction of the action's amount that the session lists besides the
// hold, and that no payment of the order records yet, is the action's, which then happened.
// A release, which no query shows, and an action the query does not show wait for a person.
func (a *Actions) ResolvePreauthAction(ctx context.Context, id uuid.UUID) error {
	act, state, hold, err := a.store.preauthActionWithHold(ctx, id)
	if err != nil {
		return fmt.Errorf("orders: resolve preauthorization action %s: %w", id, err)
	}
	if state != ActionUnknown {
		return nil
	}
	what := "the " + act.Action + " of " + act.Amount.String()
	if act.Action == PreauthRelease || hold.SessionID == nil {
		a.unsettled(ctx, "preauthorization", id, act.OrderID, what)
		return nil
	}
	sess, err := a.store.session(ctx, a.store.pool, *hold.SessionID)
	if err != nil || sess.RequestID == nil {
		return fmt.Errorf("orders: resolve preauthorization action %s: session: %v", id, err)
	}
	info, err := providerOf(a.provider, sess.Site).QuerySession(ctx, *sess.RequestID)
	if err != nil {
		return fmt.Errorf("orders: resolve preauthorization action %s: query session %d: %w", id, *sess.RequestID, err)
	}
	for _, t := range info.Payments {
		if t.InternalReference == hold.InternalReference || t.Status != ProviderApproved || !t.AmountOK ||
			t.Currency != act.Amount.Currency || t.AmountMinor != act.Amount.Minor {
			continue
		}
		if _, recorded, err := a.store.orderPayment(ctx, a.store.pool, act.OrderID, t.InternalReference); err != nil {
			return err
		} else if recorded {
			continue // an earlier action's transaction
		}
		t.Reason, t.Message = "resolved_by_query", "the session query shows the "+act.Action
		if err := a.recordPreauth(ctx, act, hold, t); errors.Is(err, errActionSettled) {
			return nil // settled meanwhile, by another replica's query or an operator
		} else if err != nil {
			return err
		}
		a.metrics.preauthActions.WithLabelValues(act.Action, string(ActionSucceeded)).Inc()
		a.log.Info("unknown preauthorization action resolved: it happened", zap.String("action", id.String()))
		return nil
	}
	a.unsettled(ctx, "preauthorization", id, act.OrderID, what)
	return nil
}

// ResolveUnknownConfirmActions claims unknown confirmation actions that are due and resolves
// each with a query of its payment's session; it returns how many it looked at.
func (a *Actions) ResolveUnknownConfirmActions(ctx context.Context) int {
	ids, err := a.store.claimUnknownConfirmActions(ctx, claimLease, resolveActionsBatch)
	if err != nil {
		if ctx.Err() == nil {
			a.log.Warn("claim unknown confirmation actions", zap.Error(err))
		}
		return 0
	}
	for _, id := range ids {
		if err := a.ResolveConfirmAction(ctx, id); err != nil && ctx.Err() == nil {
			a.log.Warn("resolve an unknown confirmation action; retrying later", zap.String("action", id.String()), zap.Error(err))
			if _, _, err := a.store.recheck(ctx, "confirmation", id, min(failedRetry, a.cfg.ProbeInterval)); err != nil {
				a.log.Warn("reschedule an unknown confirmation action", zap.Error(err))
			}
		}
	}
	return len(ids)
}

// ResolveConfirmAction settles one unknown confirm or cancel: the session is queried (and
// the answer applied); a payment no longer PENDING_CONFIRMATION was acted on.
func (a *Actions) ResolveConfirmAction(ctx context.Context, id uuid.UUID) error {
	action, state, pay, err := a.store.confirmActionWithPayment(ctx, id)
	if err != nil {
		return fmt.Errorf("orders: resolve confirmation action %s: %w", id, err)
	}
	if state != ActionUnknown {
		return nil
	}
	if pay.SessionID == nil {
		a.unsettled(ctx, "confirmation", id, pay.OrderID, "the "+action+" of payment "+fmt.Sprint(pay.InternalReference))
		return nil
	}
	sess, err := a.store.session(ctx, a.store.pool, *pay.SessionID)
	if err != nil || sess.RequestID == nil {
		return fmt.Errorf("orders: resolve confirmation action %s: session: %v", id, err)
	}
	if err := a.reconciler.Reconcile(ctx, *sess.RequestID); err != nil {
		return err
	}
	now, ok, err := a.store.orderPayment(ctx, a.store.pool, pay.OrderID, pay.InternalReference)
	if err != nil || !ok {
		return fmt.Errorf("orders: resolve confirmation action %s: payment: %v", id, err)
	}
	if now.Status == ProviderPendingConfirmation {
		a.unsettled(ctx, "confirmation", id, pay.OrderID, "the "+action+" of payment "+fmt.Sprint(pay.InternalReference))
		return nil
	}
	a.settleConfirm(ctx, id, ActionSucceeded, "resolved_by_query", "the session query shows the payment "+string(now.Status))
	a.log.Info("unknown confirmation action resolved", zap.String("action", id.String()), zap.String("payment", string(now.Status)))
	return nil
}
