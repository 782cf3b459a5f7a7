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

// The confirmation flow (API-NOTES §4.4): a session opened with requiresConfirmation keeps an
// approved card payment in PENDING_CONFIRMATION until the merchant confirms or cancels it,
// within a window after which PlacetoPay rejects it.

// defaultConfirmationWindow is PlacetoPay's window when PaymentsConfig does not say.
const defaultConfirmationWindow = 30 * time.Minute

// ConfirmPayment confirms (action ActionConfirm) or cancels (ActionCancel) the order's
// payment awaiting confirmation, then queries its session: the order becomes paid (or
// failed) only from that query, through the normal reconciliation. Whatever PlacetoPay
// answers, including nothing, the action is never sent twice.
func (p *Payments) ConfirmPayment(ctx context.Context, orderID uuid.UUID, internalReference int64, action string) (Order, error) {
	if action != ActionConfirm && action != ActionCancel {
		return Order{}, Errorf(EInvalid, "unknown action %q", action)
	}
	if _, err := p.store.q.GetOrder(ctx, p.store.pool, orderID); errors.Is(err, pgx.ErrNoRows) {
		return Order{}, &Error{Code: ENotFound, Field: "id", Message: fmt.Sprintf("order %s does not exist", orderID)}
	} else if err != nil {
		return Order{}, p.wrap(action, orderID, err)
	}
	pay, err := p.store.q.GetOrderPayment(ctx, p.store.pool, ordersdb.GetOrderPaymentParams{OrderID: orderID, InternalReference: internalReference})
	if errors.Is(err, pgx.ErrNoRows) {
		return Order{}, &Error{Code: ENotFound, Field: "internalReference", Message: fmt.Sprintf("order %s has no payment %d", orderID, internalReference)}
	} else if err != nil {
		return Order{}, p.wrap(action, orderID, err)
	}
	if pay.Status == "REJECTED" && strings.Contains(strings.ToLower(deref(pay.Message)), "expired") {
		return Order{}, Errorf(EConflict, "the confirmation window of payment %d has closed: PlacetoPay rejected it (%s); it cannot be confirmed or cancelled", internalReference, deref(pay.Message))
	}
	if pay.Status != "PENDING_CONFIRMATION" {
		return Order{}, Errorf(EConflict, "payment %d is %s; only a payment awaiting confirmation (PENDING_CONFIRMATION) can be confirmed or cancelled", internalReference, pay.Status)
	}
	if pay.SessionID == nil {
		return Order{}, Errorf(EConflict, "payment %d has no session", internalReference)
	}
	sess, err := p.store.q.GetSession(ctx, p.store.pool, *pay.SessionID)
	if err != nil || sess.RequestID == nil {
		return Order{}, p.wrap(action, orderID, fmt.Errorf("session of payment %d: %v", internalReference, err))
	}
	_, callErr := p.provider.TransactionAction(ctx, internalReference, action, nil)
	qerr := p.Reconcile(ctx, *sess.RequestID)
	var perr *ProviderError
	switch {
	case callErr == nil:
	case errors.As(callErr, &perr) && (perr.Reason == "transaction_request_error" || strings.Contains(strings.ToLower(perr.Message), "expired")):
		return Order{}, Errorf(EConflict, "the confirmation window of payment %d has closed: PlacetoPay says %q; the payment is rejected and cannot be confirmed", internalReference, perr.Message)
	case errors.As(callErr, &perr) && perr.Refused:
		return Order{}, &Error{Code: EInvalid, Message: fmt.Sprintf("PlacetoPay refused to %s payment %d: %s: %s", action, internalReference, perr.Reason, perr.Message)}
	default:
		p.log.Warn("confirmation action outcome unknown; the session query decides", zap.String("action", action),
			zap.Int64("internalReference", internalReference), zap.NamedError("cause", callErr))
		if qerr != nil {
			return Order{}, Errorf(EUnavailable, "PlacetoPay did not answer the %s of payment %d and could not be queried; the probe will apply the outcome", action, internalReference)
		}
	}
	if qerr != nil {
		p.log.Warn("query after a confirmation action failed; the probe will apply it", zap.Error(qerr))
	}
	return p.orderView(ctx, orderID)
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
