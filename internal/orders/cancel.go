package orders

import (
	"context"
	"errors"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
)

// Cancel cancels an unpaid order and, first, its open PlacetoPay session, so that no payment
// can land after the cancel. When PlacetoPay says the session is no longer pending, the
// gateway queries it and applies what it finds: an order that turns out paid is not
// cancelled.
func (c *Checkouts) Cancel(ctx context.Context, orderID uuid.UUID) (Order, error) {
	var (
		requestID *int64
		site      string
	)
	err := c.store.inTx(ctx, func(tx pgx.Tx) error {
		o, err := c.store.lockOrder(ctx, tx, orderID)
		if err != nil {
			return err
		}
		site = o.Site
		if o.Status == StatusAuthorized {
			// The hold is on the shopper's card: only a release lets it go at PlacetoPay.
			return Errorf(EConflict, "order %s is authorized: money is held on the card; use POST /v1/orders/%s/release to let the hold go and cancel the order", orderID, orderID)
		}
		if !o.Status.CanTransition(StatusCancelled) {
			return Errorf(EConflict, "order %s is %s and cannot be cancelled", orderID, o.Status)
		}
		if err := refuseUnknownCollect(ctx, c.store, tx, o); err != nil {
			return err
		}
		cur, ok, err := c.store.openSession(ctx, tx, orderID)
		switch {
		case err != nil:
			return err
		case !ok:
		case cur.Attempt == AttemptCreating:
			return busyf(5, "a checkout for order %s is being opened; retry in a few seconds", orderID)
		default:
			requestID = cur.RequestID
		}
		return nil
	})
	if err != nil {
		return Order{}, wrap("cancel", orderID, err)
	}
	cancelledThere := false
	var unknown *SessionUnknownError // PlacetoPay says the session does not exist
	if requestID != nil {
		err := providerOf(c.provider, site).CancelSession(ctx, *requestID)
		var perr *ProviderError
		switch {
		case err == nil:
			cancelledThere = true
		case errors.As(err, &unknown):
			// Nothing to cancel there: the session is flagged and stays checked, so that a
			// payment found on it later goes to review (session_unknown.go).
		case errors.As(err, &perr) && perr.Refused:
			// Not cancellable at PlacetoPay: find out what happened, with a query of our own
			// (not one shared with a caller who started before the refusal).
			if err := c.reconciler.reconcile(ctx, *requestID); err != nil {
				return Order{}, Errorf(EUnavailable, "PlacetoPay could not be queried; the order was not cancelled")
			}
		default:
			return Order{}, Errorf(EUnavailable, "PlacetoPay could not cancel the open session; the order was not cancelled")
		}
	}
	var o Order
	err = c.store.inTx(ctx, func(tx pgx.Tx) error {
		var err error
		if o, err = c.store.lockOrder(ctx, tx, orderID); err != nil {
			return err
		}
		switch {
		case requestID == nil:
		case unknown != nil:
			if _, err := flagUnknown(ctx, c.store, tx, *requestID, unknown, c.cfg.Clock()); err != nil {
				return err
			}
		default:
			if err := c.closeCancelled(ctx, tx, orderID, *requestID, cancelledThere); err != nil {
				return err
			}
		}
		before := auditState(o)
		if err := c.store.record(ctx, tx, &o, Change{To: StatusCancelled, Reason: "cancelled by the merchant"}); err != nil {
			return err
		}
		return audit(ctx, tx, AuditChange{OrderID: o.ID, Before: before, After: auditState(o)})
	})
	if err != nil {
		return Order{}, wrap("cancel", orderID, err)
	}
	c.waker.Wake()
	return o, nil
}

// closeCancelled takes the session PlacetoPay cancelled (or settled) out of the open slot and
// makes it due once more: PlacetoPay now reports it REJECTED (MC), or what was paid on it.
func (c *Checkouts) closeCancelled(ctx context.Context, tx pgx.Tx, orderID uuid.UUID, requestID int64, cancelledThere bool) error {
	sess, err := c.store.lockSession(ctx, tx, requestID)
	if err != nil {
		return err
	}
	if cur, ok, err := c.store.openSession(ctx, tx, orderID); err != nil {
		return err
	} else if ok && cur.ID != sess.ID {
		return Errorf(EConflict, "a new checkout was opened for order %s meanwhile; cancel again", orderID)
	}
	if !cancelledThere && !sess.Status.final() {
		return busyf(30, "PlacetoPay still reports the session of order %s as %s; retry later", orderID, sess.Status)
	}
	if sess.Attempt != AttemptAbandoned {
		sess.Attempt = AttemptClosed
	}
	return c.store.setSession(ctx, tx, sess, ptr(c.cfg.Clock()))
}
