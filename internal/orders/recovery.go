package orders

import (
	"context"
	"fmt"

	"github.com/google/uuid"
	"go.uber.org/zap"
)

// A process that dies while PlacetoPay is asked to refund, capture, reauthorize, release,
// confirm or cancel leaves the action requested: PlacetoPay may have done it, and the
// one-action-at-a-time indexes keep every later action of the order waiting. The sweep turns
// such an action, once its call has surely ended, into an unknown one, and unknown actions
// are resolved from the session query, never by sending them again:
//
//   - a refund: the payment the query shows refunded (refund_resolve.go);
//   - a capture or a reauthorization: the transaction of that amount the checkin session
//     now lists besides its hold;
//   - a confirm or a cancel: the payment has left PENDING_CONFIRMATION;
//   - a release: no query shows it.
//
// What the queries cannot settle is said on the order's timeline after a few tries, counted
// in gateway_actions_unknown and alerted on: it waits for a person, who looks it up in
// PlacetoPay's panel.

// needsPersonAfter is how many queries that leave an action unknown are tried before its
// order's timeline says a person must settle it; the queries go on, less often.
const needsPersonAfter = 5

// resolveActionsBatch is how many unknown actions of each kind one sweep claims.
const resolveActionsBatch = 10

// RecoverRequested makes the actions that their process left requested unknown, so that
// they are resolved; it returns how many.
func (a *Actions) RecoverRequested(ctx context.Context) int {
	expired, err := a.store.expireRequested(ctx, a.cfg.Clock().Add(-a.cfg.actionGone()))
	if err != nil && ctx.Err() == nil {
		a.log.Warn("recover requested actions", zap.Error(err))
	}
	for _, e := range expired {
		msg := fmt.Sprintf("the gateway stopped while PlacetoPay was asked to %s (action %s): PlacetoPay may have done it; it is checked with a session query, never sent again", e.kind, e.id)
		if err := a.store.note(ctx, a.store.pool, e.orderID, nil, "outcome_unknown", msg); err != nil {
			a.log.Warn("note an action left requested", zap.Error(err))
		}
		a.metrics.actionsRecovered.WithLabelValues(e.kind).Inc()
		a.log.Warn("an action left requested by a stopped process is now unknown", zap.String("action", e.kind), zap.String("id", e.id.String()))
	}
	return len(expired)
}

// unsettled schedules another query of an unknown action, and after needsPersonAfter of them
// says on the order's timeline that a person must settle it.
func (a *Actions) unsettled(ctx context.Context, kind string, id, orderID uuid.UUID, what string) {
	checks, ok, err := a.store.recheck(ctx, kind, id, min(failedRetry, a.cfg.ProbeInterval)*3)
	if err != nil || !ok {
		if err != nil && ctx.Err() == nil {
			a.log.Warn("reschedule an unknown action", zap.Error(err))
		}
		return
	}
	if checks != needsPersonAfter {
		return
	}
	msg := fmt.Sprintf("%s (action %s): %d session queries could not tell whether PlacetoPay did it; look it up in PlacetoPay's panel and settle it by hand", what, id, checks)
	if err := a.store.note(ctx, a.store.pool, orderID, nil, "needs_operator", msg); err != nil {
		a.log.Warn("note an unknown action", zap.Error(err))
	}
	a.log.Error("an unknown action needs a person", zap.String("kind", kind), zap.String("id", id.String()))
}
