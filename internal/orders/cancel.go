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
		if st := Status(row.Status); !st.CanTransition(StatusCancelled) {
			return Errorf(EConflict, "order %s is %s and cannot be cancelled", orderID, st)
		}
		cur, err := p.store.q.GetOpenSession(ctx, tx, orderID)
		switch {
		case errors.Is(err, pgx.ErrNoRows):
		case err != nil:
			return err
		case cur.Attempt == "creating":
			return Errorf(EConflict, "a checkout for order %s is being opened; retry in a few seconds", orderID)
		default:
			requestID = cur.RequestID
		}
		return nil
	})
	if err != nil {
		return Order{}, p.wrap("cancel", orderID, err)
	}
	if requestID != nil {
		err := p.provider.CancelSession(ctx, *requestID)
		var perr *ProviderError
		switch {
		case errors.As(err, &perr) && perr.Refused:
			// No longer pending at PlacetoPay: find out what happened before cancelling.
			if err := p.Reconcile(ctx, *requestID); err != nil {
				return Order{}, Errorf(EUnavailable, "PlacetoPay could not be queried; the order was not cancelled")
			}
		case err != nil:
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
			// PlacetoPay rejected the session (MC); the probe records that on its next look.
			if _, err := p.store.q.MarkSessionDue(ctx, tx, requestID); err != nil {
				return err
			}
			if err := p.closeOpenSession(ctx, tx, orderID); err != nil {
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

// closeOpenSession frees the order's open slot inside tx, leaving the session probed.
func (p *Payments) closeOpenSession(ctx context.Context, tx pgx.Tx, orderID uuid.UUID) error {
	cur, err := p.store.q.GetOpenSession(ctx, tx, orderID)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil
	}
	if err != nil {
		return err
	}
	return p.store.q.UpdateSessionState(ctx, tx, ordersdb.UpdateSessionStateParams{
		ID: cur.ID, Status: cur.Status, Reason: cur.Reason, Message: cur.Message,
		Attempt: "closed", NextCheckAt: ptr(p.cfg.Clock()),
	})
}
