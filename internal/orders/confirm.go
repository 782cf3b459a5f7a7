package orders

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"go.uber.org/zap"
)

// The confirmation flow (docs/placetopay.md#confirmation-flow): a session opened with requiresConfirmation keeps an
// approved card payment in PENDING_CONFIRMATION until the merchant confirms or cancels it,
// within a window after which PlacetoPay rejects it.

// announceConfirmations writes, for each of the order's payments that entered
// PENDING_CONFIRMATION and was not announced yet, a timeline note and an
// order.confirmation_required event with the payment and its deadline: the payment's date
// plus the confirmation window, after which PlacetoPay rejects it. Once per payment.
func (r *Reconciler) announceConfirmations(ctx context.Context, tx pgx.Tx, o *Order, sess Session) error {
	waiting, err := r.store.claimConfirmationAnnouncements(ctx, tx, o.ID)
	if err != nil {
		return err
	}
	for _, pay := range waiting {
		entered := r.cfg.Clock()
		if pay.ProviderDate != nil {
			entered = *pay.ProviderDate
		}
		deadline := entered.Add(r.cfg.ConfirmationWindow).UTC().Truncate(time.Second)
		reason := fmt.Sprintf("payment %d of %s awaits the merchant's confirmation: confirm or cancel it before %s",
			pay.InternalReference, pay.Amount, deadline.Format(time.RFC3339))
		err := r.store.record(ctx, tx, o, Change{Reason: reason, Session: &sess.ID, Event: EventConfirmationRequired,
			Data: map[string]any{"confirmation": map[string]any{
				"internalReference": pay.InternalReference, "amount": moneyData(pay.Amount), "deadline": deadline.Format(time.RFC3339),
			}}})
		if err != nil {
			return err
		}
	}
	return nil
}

// ConfirmPayment confirms (action ActionConfirm) or cancels (ActionCancel) the order's
// payment awaiting confirmation, then queries its session: the order becomes paid (or
// failed) only from that query, through the normal reconciliation. The action is written
// (confirm_actions, 'requested') under the order's lock before PlacetoPay is called, one per
// payment: a confirm and a cancel racing on two replicas cannot both be sent, and whatever
// PlacetoPay answers, including nothing, the action is never sent twice. An unknown outcome
// is settled by the session query: a payment no longer PENDING_CONFIRMATION was acted on.
func (a *Actions) ConfirmPayment(ctx context.Context, orderID uuid.UUID, internalReference int64, action string) (Order, error) {
	if action != ActionConfirm && action != ActionCancel {
		return Order{}, Errorf(EInvalid, "unknown action %q", action)
	}
	var (
		actionID  uuid.UUID
		requestID int64
		site      string
		settled   *Payment // the payment, when it is no longer awaiting confirmation
	)
	err := a.store.inTx(ctx, func(tx pgx.Tx) error {
		o, err := a.store.lockOrder(ctx, tx, orderID)
		if err != nil {
			return err
		}
		pay, ok, err := a.store.orderPayment(ctx, tx, o.ID, internalReference)
		if err != nil {
			return err
		} else if !ok {
			return &Error{Code: ENotFound, Field: "internalReference", Message: fmt.Sprintf("order %s has no payment %d", orderID, internalReference)}
		}
		if pay.Status != ProviderPendingConfirmation {
			settled = &pay
		}
		if pay.Status == ProviderRejected && strings.Contains(strings.ToLower(pay.Message), "expired") {
			return Errorf(EConflict, "the confirmation window of payment %d has closed: PlacetoPay rejected it (%s); it cannot be confirmed or cancelled", internalReference, pay.Message)
		}
		if pay.Status != ProviderPendingConfirmation {
			return Errorf(EConflict, "payment %d is %s; only a payment awaiting confirmation (PENDING_CONFIRMATION) can be confirmed or cancelled", internalReference, pay.Status)
		}
		if pay.SessionID == nil {
			return Errorf(EConflict, "payment %d has no session", internalReference)
		}
		sess, err := a.store.session(ctx, tx, *pay.SessionID)
		if err != nil {
			return err
		}
		if sess.RequestID == nil {
			return fmt.Errorf("session of payment %d has no requestId", internalReference)
		}
		requestID, site = *sess.RequestID, sess.Site
		actionID, err = a.store.insertConfirmAction(ctx, tx, pay, action)
		return err
	})
	if settled != nil {
		// The payment has left PENDING_CONFIRMATION: an earlier action whose outcome was
		// unknown happened (or the window closed). Recorded whatever this request answers.
		if serr := a.store.settleUnknownConfirmActions(ctx, settled.ID, "the session query shows the payment "+string(settled.Status)); serr != nil {
			a.log.Error("settle unknown confirmation actions", zap.Int64("internalReference", internalReference), zap.Error(serr))
		}
	}
	if err != nil {
		return Order{}, wrap(action, orderID, err)
	}

	res, callErr := providerOf(a.provider, site).TransactionAction(ctx, internalReference, action, nil)
	// PlacetoPay has answered (or not): record it even if the caller hangs up now.
	sctx, cancel := afterCall(ctx, 45*time.Second)
	defer cancel()
	qerr := a.reconciler.Reconcile(sctx, requestID)
	if qerr != nil {
		a.log.Warn("query after a confirmation action failed; the probe will apply it", zap.Error(qerr))
	}
	var perr *ProviderError
	switch {
	case callErr == nil && res.Status == ProviderFailed:
		a.settleConfirm(sctx, actionID, ActionFailed, res.Reason, res.Message)
		return Order{}, &Error{Code: EInvalid, Message: fmt.Sprintf("PlacetoPay could not %s payment %d: %s: %s", action, internalReference, res.Reason, res.Message)}
	case callErr == nil:
		a.settleConfirm(sctx, actionID, ActionSucceeded, res.Reason, res.Message)
	case errors.As(callErr, &perr) && (perr.Reason == "transaction_request_error" || strings.Contains(strings.ToLower(perr.Message), "expired")):
		a.settleConfirm(sctx, actionID, ActionFailed, perr.Reason, perr.Message)
		return Order{}, Errorf(EConflict, "the confirmation window of payment %d has closed: PlacetoPay says %q; the payment is rejected and cannot be confirmed", internalReference, perr.Message)
	case errors.As(callErr, &perr) && perr.Refused:
		a.settleConfirm(sctx, actionID, ActionFailed, perr.Reason, perr.Message)
		return Order{}, &Error{Code: EInvalid, Message: fmt.Sprintf("PlacetoPay refused to %s payment %d: %s: %s", action, internalReference, perr.Reason, perr.Message)}
	default:
		a.log.Warn("confirmation action outcome unknown; the session query decides", zap.String("action", action),
			zap.Int64("internalReference", internalReference), zap.NamedError("cause", callErr))
		var status ProviderStatus
		if qerr == nil {
			if pay, ok, err := a.store.orderPayment(sctx, a.store.pool, orderID, internalReference); err == nil && ok {
				status = pay.Status
			}
		}
		if status == "" || status == ProviderPendingConfirmation {
			a.settleConfirm(sctx, actionID, ActionUnknown, "outcome_unknown", "PlacetoPay did not confirm the "+action)
			return Order{}, Errorf(EUnavailable, "PlacetoPay did not answer the %s of payment %d and the session does not show it yet; it is not sent again, and the session query settles it", action, internalReference)
		}
		a.settleConfirm(sctx, actionID, ActionSucceeded, "resolved_by_query", "the session query shows the payment "+string(status))
	}
	return a.store.orderView(sctx, orderID)
}

func (a *Actions) settleConfirm(ctx context.Context, id uuid.UUID, state ActionState, reason, message string) {
	if err := a.store.settleConfirmAction(ctx, a.store.pool, id, state, reason, message); err != nil {
		a.log.Error("record confirmation action outcome", zap.String("action", id.String()), zap.Error(err))
	}
}

// WarnConfirmationDeadlines notes on the timeline, counts in
// gateway_confirmation_deadline_warnings_total and logs every payment awaiting confirmation
// whose window closes within the warning margin, once per payment. It returns how many.
func (a *Actions) WarnConfirmationDeadlines(ctx context.Context) int {
	window := a.cfg.ConfirmationWindow
	warnBefore := min(window/2, 5*time.Minute)
	now := a.cfg.Clock()
	payments, err := a.store.claimConfirmationWarnings(ctx, now.Add(-(window - warnBefore)))
	if err != nil {
		if ctx.Err() == nil {
			a.log.Warn("claim confirmation warnings", zap.Error(err))
		}
		return 0
	}
	for _, pay := range payments {
		deadline := pay.ProviderDate.Add(window)
		msg := fmt.Sprintf("payment %d awaits the merchant's confirmation; its window closes at %s: confirm or cancel it before then",
			pay.InternalReference, deadline.UTC().Format(time.RFC3339))
		if err := a.store.note(ctx, a.store.pool, pay.OrderID, pay.SessionID, "confirmation_deadline", msg); err != nil {
			a.log.Warn("note confirmation deadline", zap.Error(err))
		}
		a.metrics.confirmWarnings.Inc()
		a.log.Warn("confirmation window closing", zap.String("order", pay.OrderID.String()),
			zap.Int64("internalReference", pay.InternalReference), zap.Time("deadline", deadline))
	}
	return len(payments)
}
