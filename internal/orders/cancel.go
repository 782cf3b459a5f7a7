package orders

import (
	"context"
	"errors"
	"fmt"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/placetopay-gateway/gateway/internal/orders/ordersdb"
)

// Cancel cancels an unpaid order and, first, its open PlacetoPay session, so that no payment
// can land after the cancel. When PlacetoPay says the session is no longer pending, the
// gateway queries it and applies what it finds: an order that turns out paid is not
// cancelled.
func (p *Payments) Cancel(ctx context.Context, orderID uuid.UUID) (Order, error) {
	var requestID *int64
	err := p.store.inTx(ctx, func(tx pgx.Tx) error {
		row, err := p.store.q.GetOrderForUpdate(ctx, tx, orderID)
		if errors.Is(err, pgx.ErrNoRows) {
			return &Error{Code: ENotFound, Field: "id", Message: fmt.Sprintf("order %s does not exist", orderID)}
		}
		if err != nil {
			return err
		}
		if Status(row.Status) == StatusAuthorized {
			// The hold is on the shopper's card: only a release lets it go at PlacetoPay.
			return Errorf(EConflict, "order %s is authorized: money is held on the card; use POST /v1/orders/%s/release to let the hold go and cancel the order", orderID, orderID)
		}
		if st := Status(row.Status); !st.CanTransition(StatusCancelled) {
			return Errorf(EConflict, "order %s is %s and cannot be cancelled", orderID, st)
		}
		if err := p.refuseUnknownCollect(ctx, tx, orderID, Status(row.Status)); err != nil {
			return err
		}
		cur, err := p.store.q.GetOpenSession(ctx, tx, orderID)
		switch {
		case errors.Is(err, pgx.ErrNoRows):
		case err != nil:
			return err
		case cur.Attempt == "creating":
			return busyf(5, "a checkout for order %s is being opened; retry in a few seconds", orderID)
		default:
			requestID = cur.RequestID
		}
		return nil
	})
	if err != nil {
		return Order{}, p.wrap("cancel", orderID, err)
	}
	cancelledThere := false
	if requestID != nil {
		err := p.provider.CancelSession(ctx, *requestID)
		var perr *ProviderError
		switch {
		case err == nil:
			cancelledThere = true
		case errors.As(err, &perr) && perr.Refused:
			// Not cancellable at PlacetoPay: find out what happened, with a query of our own
			// (not one shared with a caller who started before the refusal).
			if err := p.reconcile(ctx, *requestID); err != nil {
				return Order{}, Errorf(EUnavailable, "PlacetoPay could not be queried; the order was not cancelled")
			}
		default:
			return Order{}, Errorf(EUnavailable, "PlacetoPay could not cancel the open session; the order was not cancelled")
		}
	}
	var o Order
	err = p.store.inTx(ctx, func(tx pgx.Tx) error {
		row, err := p.store.q.GetOrderForUpdate(ctx, tx, orderID)
		if err != nil {
			return err
		}
		if o, err = orderFromRow(row); err != nil {
			return err
		}
		if requestID != nil {
			sess, err := p.store.q.GetSessionByRequestIDForUpdate(ctx, tx, requestID)
			if err != nil {
				return err
			}
			if cur, err := p.store.q.GetOpenSession(ctx, tx, orderID); err == nil && cur.ID != sess.ID {
				return Errorf(EConflict, "a new checkout was opened for order %s meanwhile; cancel again", orderID)
			} else if err != nil && !errors.Is(err, pgx.ErrNoRows) {
				return err
			}
			if !cancelledThere && sess.Status != "REJECTED" && sess.Status != "APPROVED" && sess.Status != "PARTIAL_EXPIRED" {
				return busyf(30, "PlacetoPay still reports the session of order %s as %s; retry later", orderID, sess.Status)
			}
			// Leave the slot and look once more: PlacetoPay now reports it REJECTED (MC).
			if err := p.store.q.UpdateSessionState(ctx, tx, ordersdb.UpdateSessionStateParams{
				ID: sess.ID, Status: sess.Status, Reason: sess.Reason, Message: sess.Message,
				Attempt: closedUnlessAbandoned(sess.Attempt), NextCheckAt: ptr(p.cfg.Clock()),
			}); err != nil {
				return err
			}
		}
		return p.store.transition(ctx, tx, &o, StatusCancelled, "cancelled by the merchant", nil)
	})
	if err != nil {
		return Order{}, p.wrap("cancel", orderID, err)
	}
	p.Wake()
	return o, nil
}

func closedUnlessAbandoned(attempt string) string {
	if attempt == "abandoned" {
		return attempt
	}
	return "closed"
}
