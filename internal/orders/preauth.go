package orders

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"go.uber.org/zap"

	"github.com/placetopay-gateway/gateway/internal/orders/ordersdb"
)

// The preauthorization actions on an authorized order (a checkin approved by PlacetoPay).
const (
	PreauthCapture     = "capture"     // checkout with the final amount: the order becomes paid
	PreauthReauthorize = "reauthorize" // reauthorization: a new held amount, still authorized
	PreauthRelease     = "release"     // checkout with 0: nothing is taken, the order is cancelled
)

// Capture closes the order's preauthorization taking amount (the held amount when nil). The
// order becomes paid with paidAmount = the captured amount, which may differ from the order's
// total (a hotel bill is rarely the deposit held); the timeline says so.
func (p *Payments) Capture(ctx context.Context, orderID uuid.UUID, amount *Money) (Order, error) {
	return p.preauthAction(ctx, orderID, PreauthCapture, amount)
}

// Reauthorize changes the amount the order's preauthorization holds; the order stays
// authorized.
func (p *Payments) Reauthorize(ctx context.Context, orderID uuid.UUID, amount Money) (Order, error) {
	return p.preauthAction(ctx, orderID, PreauthReauthorize, &amount)
}

// Release lets the order's preauthorization go without taking anything; the order is
// cancelled.
func (p *Payments) Release(ctx context.Context, orderID uuid.UUID) (Order, error) {
	return p.preauthAction(ctx, orderID, PreauthRelease, nil)
}

func (p *Payments) preauthAction(ctx context.Context, orderID uuid.UUID, action string, amount *Money) (Order, error) {
	var (
		row   ordersdb.PreauthAction
		hold  ordersdb.Payment
		money Money
	)
	err := p.store.inTx(ctx, func(tx pgx.Tx) error {
		o, err := p.lockOrder(ctx, tx, orderID)
		if err != nil {
			return err
		}
		if o.Status != StatusAuthorized {
			return Errorf(EConflict, "order %s is %s; %s needs an authorized order (a preauthorization)", o.ID, o.Status, action)
		}
		if hold, err = p.store.q.GetOpenCheckin(ctx, tx, o.ID); errors.Is(err, pgx.ErrNoRows) {
			return Errorf(EConflict, "order %s has no open preauthorization", o.ID)
		} else if err != nil {
			return err
		}
		held := hold.AmountMinor
		if hold.HeldMinor != nil {
			held = *hold.HeldMinor
		}
		money = Money{Minor: held, Currency: hold.Currency}
		switch action {
		case PreauthRelease:
			money.Minor = 0
		case PreauthCapture, PreauthReauthorize:
			if amount != nil {
				if amount.Currency != hold.Currency {
					// PlacetoPay keeps the checkin's currency for the whole flow.
					return invalidField("amount.currency", "must be %s, the currency of the preauthorization", hold.Currency)
				}
				if amount.Minor <= 0 {
					return invalidField("amount.total", "must be more than zero (release lets the hold go)")
				}
				money = *amount
			}
			if action == PreauthCapture && money.Minor > held {
				return invalidField("amount.total", "%s exceeds the %s held; reauthorize first", money, Money{Minor: held, Currency: hold.Currency})
			}
		}
		row, err = p.store.q.InsertPreauthAction(ctx, tx, ordersdb.InsertPreauthActionParams{
			ID: uuid.Must(uuid.NewV7()), OrderID: o.ID, PaymentID: hold.ID, Action: action,
			Currency: money.Currency, AmountMinor: money.Minor,
		})
		if c, ok := uniqueViolation(err); ok && c == "preauth_actions_one_in_flight" {
			return Errorf(EConflict, "a preauthorization action on order %s is in flight or its outcome is unknown", o.ID)
		}
		return err
	})
	if err != nil {
		return Order{}, p.wrap(action, orderID, err)
	}

	wire := ActionCheckout
	if action == PreauthReauthorize {
		wire = ActionReauthorization
	}
	res, callErr := p.provider.TransactionAction(ctx, hold.InternalReference, wire, &money)
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 15*time.Second)
	defer cancel()
	var perr *ProviderError
	switch {
	case callErr == nil && res.Status == "APPROVED":
		if err := p.recordPreauth(sctx, row, hold, res); err != nil {
			return Order{}, err
		}
		p.metrics.preauthActions.WithLabelValues(action, "succeeded").Inc()
		return p.orderView(sctx, orderID)
	case callErr == nil && (res.Status == "REJECTED" || res.Status == "FAILED"):
		p.settlePreauth(sctx, row.ID, "failed", nil, res.Reason, res.Message)
		p.metrics.preauthActions.WithLabelValues(action, "failed").Inc()
		return Order{}, &Error{Code: EInvalid, Message: fmt.Sprintf("PlacetoPay rejected the %s: %s: %s", action, res.Reason, res.Message)}
	case errors.As(callErr, &perr) && perr.Refused:
		p.settlePreauth(sctx, row.ID, "failed", nil, perr.Reason, perr.Message)
		p.metrics.preauthActions.WithLabelValues(action, "failed").Inc()
		return Order{}, &Error{Code: EInvalid, Message: fmt.Sprintf("PlacetoPay refused the %s: %s: %s", action, perr.Reason, perr.Message)}
	}
	// Unknown outcome: never sent again. The action stays unknown and blocks the next one
	// until it is resolved.
	p.log.Warn("preauthorization action outcome unknown", zap.String("action", action),
		zap.String("order", orderID.String()), zap.NamedError("cause", callErr))
	p.settlePreauth(sctx, row.ID, "unknown", nil, "outcome_unknown", "PlacetoPay did not confirm the "+action)
	p.metrics.preauthActions.WithLabelValues(action, "unknown").Inc()
	return Order{}, Errorf(EUnavailable, "PlacetoPay did not confirm the %s of order %s; its outcome is unknown and it is not retried", action, orderID)
}

// recordPreauth applies an approved action under the order's lock.
func (p *Payments) recordPreauth(ctx context.Context, row ordersdb.PreauthAction, hold ordersdb.Payment, res ProviderPayment) error {
	return p.store.inTx(ctx, func(tx pgx.Tx) error {
		o, err := p.lockOrder(ctx, tx, row.OrderID)
		if err != nil {
			return err
		}
		if err := p.store.q.SettlePreauthAction(ctx, tx, ordersdb.SettlePreauthActionParams{
			ID: row.ID, Status: "succeeded", InternalReference: nonZero(res.InternalReference),
			Reason: nullable(res.Reason), Message: nullable(res.Message),
		}); err != nil {
			return err
		}
		amount := Money{Minor: row.AmountMinor, Currency: row.Currency}
		held := hold.AmountMinor
		if hold.HeldMinor != nil {
			held = *hold.HeldMinor
		}
		switch row.Action {
		case PreauthReauthorize:
			if err := p.store.q.SetPaymentHeld(ctx, tx, ordersdb.SetPaymentHeldParams{ID: hold.ID, HeldMinor: &row.AmountMinor}); err != nil {
				return err
			}
			return p.move(ctx, tx, &o, StatusAuthorized, fmt.Sprintf("preauthorization now holds %s (was %s)", amount, Money{Minor: held, Currency: row.Currency}), nil, false)
		case PreauthRelease:
			if err := p.store.q.SetPaymentSettled(ctx, tx, ordersdb.SetPaymentSettledParams{ID: hold.ID, Settled: ptr("released")}); err != nil {
				return err
			}
			return p.moveWithData(ctx, tx, &o, StatusCancelled, "preauthorization released: nothing was taken", nil)
		}
		// Capture: the checkout transaction is an approved payment of its own, which refunds act on.
		ref := res.InternalReference
		if ref == 0 {
			ref = hold.InternalReference
		}
		if err := p.store.q.SetPaymentSettled(ctx, tx, ordersdb.SetPaymentSettledParams{ID: hold.ID, Settled: ptr("captured")}); err != nil {
			return err
		}
		if ref == hold.InternalReference {
			if err := p.store.q.SetCheckinCaptured(ctx, tx, ordersdb.SetCheckinCapturedParams{ID: hold.ID, AmountMinor: row.AmountMinor}); err != nil {
				return err
			}
		} else {
			if err := p.store.q.InsertCapture(ctx, tx, ordersdb.InsertCaptureParams{
				ID: uuid.Must(uuid.NewV7()), OrderID: o.ID, SessionID: hold.SessionID, InternalReference: ref,
				Reference: res.Reference, Reason: nullable(res.Reason), Message: nullable(res.Message),
				AuthorizationCode: nullable(res.Authorization), Receipt: nullable(res.Receipt), Franchise: nullable(res.Franchise),
				PaymentMethod: nullable(res.PaymentMethod), Currency: row.Currency, AmountMinor: row.AmountMinor,
				ParentID: &hold.ID, ProviderDate: timeOrNil(res.Date),
			}); err != nil {
				return err
			}
		}
		if err := p.store.q.SetOrderPaid(ctx, tx, ordersdb.SetOrderPaidParams{ID: o.ID, PaidMinor: row.AmountMinor}); err != nil {
			return err
		}
		o.PaidMinor = row.AmountMinor
		reason := "captured " + amount.String()
		if row.AmountMinor != o.Amount.Minor {
			reason = fmt.Sprintf("captured %s of an order of %s (held %s): paidAmount is what was captured", amount, o.Amount, Money{Minor: held, Currency: row.Currency})
		}
		return p.moveWithData(ctx, tx, &o, StatusPaid, reason, map[string]any{
			"capture": map[string]any{"internalReference": ref, "amount": map[string]string{"currency": amount.Currency, "total": amount.Decimal()}},
		})
	})
}

func (p *Payments) settlePreauth(ctx context.Context, id uuid.UUID, status string, ref *int64, reason, message string) {
	if err := p.store.q.SettlePreauthAction(ctx, p.store.pool, ordersdb.SettlePreauthActionParams{
		ID: id, Status: status, InternalReference: ref, Reason: nullable(reason), Message: nullable(message),
	}); err != nil {
		p.log.Error("record preauthorization action outcome", zap.String("action", id.String()), zap.Error(err))
	}
}

// orderView reads the order as the merchant API shows it.
func (p *Payments) orderView(ctx context.Context, id uuid.UUID) (Order, error) {
	return NewService(p.store, p.log).Get(ctx, id)
}

// preauthInFlight returns the internalReference of the order's checkin while a
// preauthorization action on it is being sent (0 when none is): a session query's other
// transactions are then that action's, which recordPreauth records once it is answered.
func (p *Payments) preauthInFlight(ctx context.Context, tx pgx.Tx, orderID uuid.UUID) (int64, error) {
	ref, err := p.store.q.GetPreauthActionInFlight(ctx, tx, orderID)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, nil
	}
	return ref, err
}
