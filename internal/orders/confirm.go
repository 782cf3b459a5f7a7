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

	"github.com/placetopay-gateway/gateway/internal/orders/ordersdb"
)

// The confirmation flow (docs/placetopay.md#confirmation-flow): a session opened with requiresConfirmation keeps an
// approved card payment in PENDING_CONFIRMATION until the merchant confirms or cancels it,
// within a window after which PlacetoPay rejects it.

// defaultConfirmationWindow is PlacetoPay's window when PaymentsConfig does not say.
const defaultConfirmationWindow = 30 * time.Minute

// ConfirmPayment confirms (action ActionConfirm) or cancels (ActionCancel) the order's
// payment awaiting confirmation, then queries its session: the order becomes paid (or
// failed) only from that query, through the normal reconciliation. The action is written
// (confirm_actions, 'requested') under the order's lock before PlacetoPay is called, one per
// payment: a confirm and a cancel racing on two replicas cannot both be sent, and whatever
// PlacetoPay answers, including nothing, the action is never sent twice. An unknown outcome
// is settled by the session query: a payment no longer PENDING_CONFIRMATION was acted on.
func (p *Payments) ConfirmPayment(ctx context.Context, orderID uuid.UUID, internalReference int64, action string) (Order, error) {
	if action != ActionConfirm && action != ActionCancel {
		return Order{}, Errorf(EInvalid, "unknown action %q", action)
	}
	var (
		row       ordersdb.ConfirmAction
		requestID int64
		settled   *ordersdb.Payment // the payment, when it is no longer awaiting confirmation
	)
	err := p.store.inTx(ctx, func(tx pgx.Tx) error {
		o, err := p.lockOrder(ctx, tx, orderID)
		if err != nil {
			return err
		}
		pay, err := p.store.q.GetOrderPayment(ctx, tx, ordersdb.GetOrderPaymentParams{OrderID: o.ID, InternalReference: internalReference})
		if errors.Is(err, pgx.ErrNoRows) {
			return &Error{Code: ENotFound, Field: "internalReference", Message: fmt.Sprintf("order %s has no payment %d", orderID, internalReference)}
		} else if err != nil {
			return err
		}
		if pay.Status != "PENDING_CONFIRMATION" {
			settled = &pay
		}
		if pay.Status == "REJECTED" && strings.Contains(strings.ToLower(deref(pay.Message)), "expired") {
			return Errorf(EConflict, "the confirmation window of payment %d has closed: PlacetoPay rejected it (%s); it cannot be confirmed or cancelled", internalReference, deref(pay.Message))
		}
		if pay.Status != "PENDING_CONFIRMATION" {
			return Errorf(EConflict, "payment %d is %s; only a payment awaiting confirmation (PENDING_CONFIRMATION) can be confirmed or cancelled", internalReference, pay.Status)
		}
		if pay.SessionID == nil {
			return Errorf(EConflict, "payment %d has no session", internalReference)
		}
		sess, err := p.store.q.GetSession(ctx, tx, *pay.SessionID)
		if err != nil {
			return err
		}
		if sess.RequestID == nil {
			return fmt.Errorf("session of payment %d has no requestId", internalReference)
		}
		requestID = *sess.RequestID
		row, err = p.store.q.InsertConfirmAction(ctx, tx, ordersdb.InsertConfirmActionParams{
			ID: uuid.Must(uuid.NewV7()), OrderID: o.ID, PaymentID: pay.ID, Action: action,
		})
		if c, ok := uniqueViolation(err); ok && c == "confirm_actions_one_per_payment" {
			return Errorf(EConflict, "payment %d was already confirmed or cancelled, or an action on it is in flight or has an unknown outcome", internalReference)
		}
		return err
	})
	if settled != nil {
		// The payment has left PENDING_CONFIRMATION: an earlier action whose outcome was
		// unknown happened (or the window closed). Recorded whatever this request answers.
		if serr := p.store.q.SettleUnknownConfirmActions(ctx, p.store.pool, ordersdb.SettleUnknownConfirmActionsParams{
			PaymentID: settled.ID, Message: ptr("the session query shows the payment " + settled.Status),
		}); serr != nil {
			p.log.Error("settle unknown confirmation actions", zap.Int64("internalReference", internalReference), zap.Error(serr))
		}
	}
	if err != nil {
		return Order{}, p.wrap(action, orderID, err)
	}

	res, callErr := p.provider.TransactionAction(ctx, internalReference, action, nil)
	// PlacetoPay has answered (or not): record it even if the caller hangs up now.
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 45*time.Second)
	defer cancel()
	qerr := p.Reconcile(sctx, requestID)
	if qerr != nil {
		p.log.Warn("query after a confirmation action failed; the probe will apply it", zap.Error(qerr))
	}
	var perr *ProviderError
	switch {
	case callErr == nil && res.Status == "FAILED":
		p.settleConfirm(sctx, row.ID, "failed", res.Reason, res.Message)
		return Order{}, &Error{Code: EInvalid, Message: fmt.Sprintf("PlacetoPay could not %s payment %d: %s: %s", action, internalReference, res.Reason, res.Message)}
	case callErr == nil:
		p.settleConfirm(sctx, row.ID, "succeeded", res.Reason, res.Message)
	case errors.As(callErr, &perr) && (perr.Reason == "transaction_request_error" || strings.Contains(strings.ToLower(perr.Message), "expired")):
		p.settleConfirm(sctx, row.ID, "failed", perr.Reason, perr.Message)
		return Order{}, Errorf(EConflict, "the confirmation window of payment %d has closed: PlacetoPay says %q; the payment is rejected and cannot be confirmed", internalReference, perr.Message)
	case errors.As(callErr, &perr) && perr.Refused:
		p.settleConfirm(sctx, row.ID, "failed", perr.Reason, perr.Message)
		return Order{}, &Error{Code: EInvalid, Message: fmt.Sprintf("PlacetoPay refused to %s payment %d: %s: %s", action, internalReference, perr.Reason, perr.Message)}
	default:
		p.log.Warn("confirmation action outcome unknown; the session query decides", zap.String("action", action),
			zap.Int64("internalReference", internalReference), zap.NamedError("cause", callErr))
		status := ""
		if qerr == nil {
			pay, err := p.store.q.GetOrderPayment(sctx, p.store.pool, ordersdb.GetOrderPaymentParams{OrderID: orderID, InternalReference: internalReference})
			if err == nil {
				status = pay.Status
			}
		}
		if status == "" || status == "PENDING_CONFIRMATION" {
			p.settleConfirm(sctx, row.ID, "unknown", "outcome_unknown", "PlacetoPay did not confirm the "+action)
			return Order{}, Errorf(EUnavailable, "PlacetoPay did not answer the %s of payment %d and the session does not show it yet; it is not sent again, and the session query settles it", action, internalReference)
		}
		p.settleConfirm(sctx, row.ID, "succeeded", "resolved_by_query", "the session query shows the payment "+status)
	}
	return p.orderView(sctx, orderID)
}

func (p *Payments) settleConfirm(ctx context.Context, id uuid.UUID, status, reason, message string) {
	if err := p.store.q.SettleConfirmAction(ctx, p.store.pool, ordersdb.SettleConfirmActionParams{
		ID: id, Status: status, Reason: nullable(reason), Message: nullable(message),
	}); err != nil {
		p.log.Error("record confirmation action outcome", zap.String("action", id.String()), zap.Error(err))
	}
}

// WarnConfirmationDeadlines notes on the timeline, counts in
// gateway_confirmation_deadline_warnings_total and logs every payment awaiting confirmation
// whose window closes within the warning margin, once per payment. It returns how many.
func (p *Payments) WarnConfirmationDeadlines(ctx context.Context) int {
	window := p.cfg.ConfirmationWindow
	if window <= 0 {
		window = defaultConfirmationWindow
	}
	warnBefore := min(window/2, 5*time.Minute)
	now := p.cfg.Clock()
	enteredBefore := now.Add(-(window - warnBefore))
	rows, err := p.store.q.ClaimConfirmationWarnings(ctx, p.store.pool, enteredBefore)
	if err != nil {
		if ctx.Err() == nil {
			p.log.Warn("claim confirmation warnings", zap.Error(err))
		}
		return 0
	}
	for _, pay := range rows {
		deadline := pay.ProviderDate.Add(window)
		msg := fmt.Sprintf("payment %d awaits the merchant's confirmation; its window closes at %s: confirm or cancel it before then",
			pay.InternalReference, deadline.UTC().Format(time.RFC3339))
		if err := p.store.q.InsertTimeline(ctx, p.store.pool, ordersdb.InsertTimelineParams{
			OrderID: pay.OrderID, SessionID: pay.SessionID, Kind: "note", Reason: ptr("confirmation_deadline"), Message: &msg,
		}); err != nil {
			p.log.Warn("note confirmation deadline", zap.Error(err))
		}
		p.metrics.confirmWarnings.Inc()
		p.log.Warn("confirmation window closing", zap.String("order", pay.OrderID.String()),
			zap.Int64("internalReference", pay.InternalReference), zap.Time("deadline", deadline))
	}
	return len(rows)
}
