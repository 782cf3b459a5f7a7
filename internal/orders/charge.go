package orders

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"go.uber.org/zap"

	"github.com/placetopay-gateway/gateway/internal/orders/ordersdb"
)

// ChargeParams is a charge of a stored payment method, with no shopper present.
type ChargeParams struct {
	CustomerReference string
	PaymentMethodID   uuid.UUID
	// Reference is required: it is the PlacetoPay payment reference, which PlacetoPay
	// charges at most once per amount and currency within 24 hours, so repeating a charge
	// whose outcome is unknown with the same reference can never charge twice.
	Reference    string
	Description  string
	Amount       Money
	Payer        *Person
	Installments int
	IPAddress    string
	UserAgent    string
}

func (c *ChargeParams) validate() error {
	if err := ValidateCustomerReference("customerReference", c.CustomerReference); err != nil {
		return err
	}
	if c.PaymentMethodID == uuid.Nil {
		return invalidField("paymentMethodId", "is required")
	}
	if c.Reference == "" {
		return invalidField("reference", "is required for a charge: repeating a charge with the same reference never charges twice")
	}
	op := CreateParams{Reference: c.Reference, Description: c.Description, Amount: c.Amount}
	if err := op.Validate(); err != nil {
		return err
	}
	if c.Payer == nil {
		return invalidField("payer", "is required: PlacetoPay needs the card holder of a charge")
	}
	if err := c.Payer.validate("payer"); err != nil {
		return err
	}
	switch {
	case c.Installments < 0 || c.Installments > 60:
		return invalidField("installments", "must be between 1 and 60")
	case c.IPAddress == "" || len(c.IPAddress) > 46:
		return invalidField("ipAddress", "is required and at most 46 characters")
	}
	if len(c.UserAgent) > 255 {
		c.UserAgent = c.UserAgent[:255]
	}
	if c.UserAgent == "" {
		c.UserAgent = "unknown"
	}
	return nil
}

// Charge charges a stored payment method through PlacetoPay's collect and records it as an
// order with a collect session and payment: the order becomes paid only from what
// PlacetoPay reports for the collect, queried like a session (a pending collect is probed).
//
// The order's reference is the payment reference. A second charge with a reference already
// used is a conflict naming the existing order, and nothing is sent to PlacetoPay; except
// when the earlier charge's outcome is unknown (PlacetoPay failed or did not answer): then
// the same collect is sent again, and PlacetoPay's 24-hour protection (same reference,
// amount and currency) answers with the first charge instead of charging twice.
//
// A charge PlacetoPay refuses (an invalid token, XN) leaves the order failed and is an
// EInvalid error. It returns the order's id.
func (w *Wallet) Charge(ctx context.Context, cp ChargeParams) (uuid.UUID, error) {
	if err := cp.validate(); err != nil {
		return uuid.Nil, err
	}
	p := w.payments
	pm, token, err := w.getToken(ctx, p.store.pool, cp.PaymentMethodID, cp.CustomerReference, false)
	if err != nil {
		return uuid.Nil, p.wrap("charge", cp.PaymentMethodID, err)
	}
	o, attempt, err := w.startCharge(ctx, cp, pm)
	if err != nil {
		return uuid.Nil, p.wrap("charge", cp.PaymentMethodID, err)
	}
	res, err := w.provider.Collect(ctx, CollectRequest{
		Reference: o.Reference, Description: o.Description, Amount: o.Amount, Token: token,
		Installments: cp.Installments, Payer: *cp.Payer, IPAddress: cp.IPAddress, UserAgent: cp.UserAgent,
	})
	// PlacetoPay has answered (or not): record it even if the merchant hangs up now.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), reconcileTimeout)
	defer cancel()
	if err != nil {
		return o.ID, w.collectFailed(ctx, &o, attempt.ID, err)
	}
	row, err := p.store.q.OpenSession(ctx, p.store.pool, ordersdb.OpenSessionParams{
		ID: attempt.ID, RequestID: &res.RequestID, NextCheckAt: ptr(p.cfg.Clock().Add(p.cfg.ProbeInterval)),
	})
	if err != nil {
		w.log.Error("record collect", zap.String("order", o.ID.String()), zap.Int64("requestId", res.RequestID), zap.Error(err))
		return o.ID, Errorf(EUnavailable, "the charge of order %s (reference %s) was sent but could not be recorded; repeat it with the same reference", o.ID, o.Reference)
	}
	// The collect's answer has the shape of a session query; the gateway applies its own
	// query of it, as for every session. If that fails, the probe applies it later.
	if err := p.Reconcile(ctx, *row.RequestID); err != nil {
		w.log.Warn("query collect", zap.String("order", o.ID.String()), zap.Int64("requestId", res.RequestID), zap.Error(err))
	}
	return o.ID, nil
}

// startCharge creates the order and its collect attempt in one transaction, or, for a
// reference already used, resumes a charge whose outcome is unknown.
func (w *Wallet) startCharge(ctx context.Context, cp ChargeParams, pm ordersdb.PaymentMethod) (Order, ordersdb.CheckoutSession, error) {
	p := w.payments
	now := p.cfg.Clock()
	req, _ := json.Marshal(map[string]any{"paymentMethodId": pm.ID, "installments": cp.Installments})
	newAttempt := func(tx pgx.Tx, orderID uuid.UUID) (ordersdb.CheckoutSession, error) {
		return p.store.q.InsertCollectAttempt(ctx, tx, ordersdb.InsertCollectAttemptParams{
			ID: uuid.Must(uuid.NewV7()), OrderID: orderID, Currency: cp.Amount.Currency, TotalMinor: cp.Amount.Minor,
			Request: req, ExpiresAt: now.Add(defaultExpiry).Truncate(time.Second),
			CustomerReference: &cp.CustomerReference, PaymentMethodID: &pm.ID,
		})
	}
	var (
		o       Order
		attempt ordersdb.CheckoutSession
	)
	buyer, _ := json.Marshal(cp.Payer)
	_, secretHash := newClientSecret()
	err := p.store.inTx(ctx, func(tx pgx.Tx) error {
		row, err := p.store.q.InsertOrder(ctx, tx, ordersdb.InsertOrderParams{
			ID: uuid.Must(uuid.NewV7()), Reference: cp.Reference, Description: cp.Description,
			Currency: cp.Amount.Currency, TotalMinor: cp.Amount.Minor, Buyer: buyer, Items: []byte("[]"),
			ClientSecretHash: secretHash,
		})
		if err != nil {
			return err
		}
		if o, err = orderFromRow(row); err != nil {
			return err
		}
		if err := p.store.q.InsertTimeline(ctx, tx, ordersdb.InsertTimelineParams{
			OrderID: o.ID, Kind: "created", ToStatus: ptr(string(StatusPending)),
			Message: ptr("charge of payment method " + pm.ID.String()),
		}); err != nil {
			return err
		}
		attempt, err = newAttempt(tx, o.ID)
		return err
	})
	if c, ok := uniqueViolation(err); !ok || c != "orders_reference_key" {
		return o, attempt, err
	}

	// The reference is taken: the same charge again, or another order's reference.
	err = p.store.inTx(ctx, func(tx pgx.Tx) error {
		row, err := p.store.q.GetOrderByReferenceForUpdate(ctx, tx, cp.Reference)
		if err != nil {
			return err
		}
		if o, err = orderFromRow(row); err != nil {
			return err
		}
		taken := &Error{Code: EConflict, Field: "reference", Message: fmt.Sprintf(
			"reference %q is already used by order %s (%s): a second charge with the same reference is never sent", cp.Reference, o.ID, o.Status)}
		last, err := p.store.q.LatestCollectSession(ctx, tx, o.ID)
		if errors.Is(err, pgx.ErrNoRows) {
			return taken
		}
		if err != nil {
			return err
		}
		same := last.PaymentMethodID != nil && *last.PaymentMethodID == pm.ID && o.Amount == cp.Amount && o.Status == StatusPending
		switch {
		case !same || last.RequestID != nil:
			return taken
		case last.Attempt == "creating" && last.CreatedAt.After(now.Add(-staleAttempt)):
			return busyf(5, "a charge with reference %q (order %s) is in progress; retry in a few seconds", cp.Reference, o.ID)
		case last.Attempt == "creating":
			if err := p.store.q.AbandonSession(ctx, tx, ordersdb.AbandonSessionParams{
				ID: last.ID, Message: ptr("the attempt did not complete"),
			}); err != nil {
				return err
			}
		}
		// The earlier collect's outcome is unknown: send it again.
		w.log.Info("repeating a charge whose outcome is unknown", zap.String("order", o.ID.String()))
		attempt, err = newAttempt(tx, o.ID)
		return err
	})
	return o, attempt, err
}

// collectFailed settles a collect PlacetoPay did not accept. A refusal (an invalid token,
// a request it rejects) fails the order; a failure or no answer leaves the order pending
// with an abandoned attempt, to be settled by repeating the charge.
func (w *Wallet) collectFailed(ctx context.Context, o *Order, attemptID uuid.UUID, err error) error {
	p := w.payments
	var perr *ProviderError
	if errors.As(err, &perr) && perr.Refused {
		reason := fmt.Sprintf("PlacetoPay refused the charge: %s: %s", perr.Reason, perr.Message)
		txErr := p.store.inTx(ctx, func(tx pgx.Tx) error {
			if err := p.store.q.AbandonSession(ctx, tx, ordersdb.AbandonSessionParams{
				ID: attemptID, Reason: nullable(perr.Reason), Message: nullable(perr.Message),
			}); err != nil {
				return err
			}
			row, err := p.store.q.GetOrderForUpdate(ctx, tx, o.ID)
			if err != nil {
				return err
			}
			cur, err := orderFromRow(row)
			if err != nil || cur.Status != StatusPending {
				return err
			}
			return p.store.transition(ctx, tx, &cur, StatusFailed, reason, &attemptID)
		})
		if txErr != nil {
			return fmt.Errorf("orders: charge %s: %w", o.ID, txErr)
		}
		msg := fmt.Sprintf("%s; order %s is failed", reason, o.ID)
		if perr.Reason == "XN" {
			msg = fmt.Sprintf("PlacetoPay says the stored token is invalid (XN: %s); order %s is failed. Delete the payment method and ask the customer for a new card", perr.Message, o.ID)
		}
		return &Error{Code: EInvalid, Field: "paymentMethodId", Message: msg}
	}
	if aerr := p.store.q.AbandonSession(ctx, p.store.pool, ordersdb.AbandonSessionParams{
		ID: attemptID, Message: ptr("PlacetoPay did not answer the collect"),
	}); aerr != nil {
		p.log.Error("abandon collect attempt", zap.Error(aerr))
	}
	var verr *Error
	if errors.As(err, &verr) {
		return verr
	}
	p.log.Warn("PlacetoPay collect failed", zap.String("order", o.ID.String()), zap.Error(err))
	return Errorf(EUnavailable, "PlacetoPay did not confirm the charge of order %s; its outcome is unknown: repeat it with the same reference %q, which PlacetoPay never charges twice within 24 hours", o.ID, o.Reference)
}

// refuseUnknownCollect refuses, inside tx, a cancel or a checkout of a pending order whose
// latest collect has an unknown outcome (PlacetoPay failed or did not answer, or the process
// died after sending it): that collect may have charged the card, so cancelling the order or
// letting it be paid another way could take the money on a cancelled order or twice.
// Repeating the charge with the same reference settles it.
func (p *Payments) refuseUnknownCollect(ctx context.Context, tx pgx.Tx, orderID uuid.UUID, status Status) error {
	if status != StatusPending {
		return nil
	}
	last, err := p.store.q.LatestCollectSession(ctx, tx, orderID)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil
	}
	if err != nil {
		return err
	}
	if last.RequestID == nil && (last.Attempt == "abandoned" || last.Attempt == "creating") {
		return Errorf(EConflict, "the charge of order %s has an unknown outcome and may have charged the card: repeat the charge (POST /v1/charges) with the same reference to learn its outcome", orderID)
	}
	return nil
}
