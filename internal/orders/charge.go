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
	pm, token, err := w.getToken(ctx, w.store.pool, cp.PaymentMethodID, cp.CustomerReference, false)
	if err != nil {
		return uuid.Nil, wrap("charge", cp.PaymentMethodID, err)
	}
	if sites, ok := w.provider.(*Sites); ok {
		if _, err := sites.Choose(pm.Site, cp.Amount.Currency); err != nil {
			return uuid.Nil, err
		}
	}
	o, attempt, err := w.startCharge(ctx, cp, pm)
	if err != nil {
		return uuid.Nil, wrap("charge", cp.PaymentMethodID, err)
	}
	res, err := tokensOf(w.provider, pm.Site).Collect(ctx, CollectRequest{
		Reference: o.Reference, Description: o.Description, Amount: o.Amount, Token: token,
		Installments: cp.Installments, Payer: *cp.Payer, IPAddress: cp.IPAddress, UserAgent: cp.UserAgent,
	})
	// PlacetoPay has answered (or not): record it even if the merchant hangs up now.
	ctx, cancel := afterCall(ctx, reconcileTimeout)
	defer cancel()
	if err != nil {
		return o.ID, w.collectFailed(ctx, &o, attempt.ID, err)
	}
	if _, err := w.store.opened(ctx, w.store.pool, attempt.ID, res.RequestID, "", w.cfg.Clock().Add(w.cfg.firstCheck())); err != nil {
		w.log.Error("record collect", zap.String("order", o.ID.String()), zap.Int64("requestId", res.RequestID), zap.Error(err))
		return o.ID, Errorf(EUnavailable, "the charge of order %s (reference %s) was sent but could not be recorded; repeat it with the same reference", o.ID, o.Reference)
	}
	// The collect's answer has the shape of a session query; the gateway applies its own
	// query of it, as for every session. If that fails, the probe applies it later.
	if err := w.reconciler.Reconcile(ctx, res.RequestID); err != nil {
		w.log.Warn("query collect", zap.String("order", o.ID.String()), zap.Int64("requestId", res.RequestID), zap.Error(err))
	}
	return o.ID, nil
}

// startCharge creates the order and its collect attempt in one transaction, or, for a
// reference already used, resumes a charge whose outcome is unknown.
func (w *Wallet) startCharge(ctx context.Context, cp ChargeParams, pm PaymentMethod) (Order, Session, error) {
	now := w.cfg.Clock()
	req, _ := json.Marshal(map[string]any{"paymentMethodId": pm.ID, "installments": cp.Installments})
	attempt := newAttempt{kind: KindCollect, amount: cp.Amount, request: req, expiresAt: now.Add(defaultExpiry).Truncate(time.Second),
		customerReference: cp.CustomerReference, paymentMethodID: &pm.ID}
	var (
		o    Order
		sess Session
	)
	_, secretHash := newClientSecret()
	n := newOrder{Order: Order{ID: uuid.Must(uuid.NewV7()), Reference: cp.Reference, Description: cp.Description,
		Amount: cp.Amount, Buyer: cp.Payer, Site: pm.Site}, secretHash: secretHash, note: "charge of payment method " + pm.ID.String()}
	err := w.store.inTx(ctx, func(tx pgx.Tx) error {
		var err error
		if o, err = w.store.insertOrder(ctx, tx, n); err != nil {
			return err
		}
		attempt.orderID = o.ID
		sess, err = w.store.insertAttempt(ctx, tx, attempt)
		return err
	})
	if ErrorCode(err) != EConflict {
		return o, sess, err
	}

	// The reference is taken: the same charge again, or another order's reference.
	var refused *Error
	err = w.store.inTx(ctx, func(tx pgx.Tx) error {
		var err error
		if o, _, err = w.store.lockOrderByReference(ctx, tx, cp.Reference); err != nil {
			return err
		}
		taken := &Error{Code: EConflict, Field: "reference", Message: fmt.Sprintf(
			"reference %q is already used by order %s (%s): a second charge with the same reference is never sent", cp.Reference, o.ID, o.Status)}
		last, ok, err := w.store.latestCollect(ctx, tx, o.ID)
		if err != nil {
			return err
		}
		same := ok && last.PaymentMethodID != nil && *last.PaymentMethodID == pm.ID && o.Amount == cp.Amount && o.Status == StatusPending
		switch {
		case !same || last.RequestID != nil:
			return taken
		case now.Sub(o.CreatedAt) > resendWindow:
			// PlacetoPay's protection against a second charge lasts 24 hours from the first
			// collect: past it, sending the charge again could charge the card twice. The
			// review commits; the caller gets the refusal after.
			refused, err = w.tooLateToResend(ctx, tx, &o, last, now)
			return err
		case last.Attempt == AttemptCreating && last.CreatedAt.After(now.Add(-staleAttempt)):
			return busyf(5, "a charge with reference %q (order %s) is in progress; retry in a few seconds", cp.Reference, o.ID)
		case last.Attempt == AttemptCreating:
			if err := w.store.abandon(ctx, tx, last.ID, "", "the attempt did not complete"); err != nil {
				return err
			}
		}
		// The earlier collect's outcome is unknown: send it again.
		w.log.Info("repeating a charge whose outcome is unknown", zap.String("order", o.ID.String()))
		attempt.orderID = o.ID
		sess, err = w.store.insertAttempt(ctx, tx, attempt)
		return err
	})
	if err == nil && refused != nil {
		return o, sess, refused
	}
	return o, sess, err
}

// resendWindow is how long after a charge's first collect the same collect may be sent again:
// PlacetoPay charges the same reference, amount and currency once within 24 hours, and the
// hour's margin covers the clocks and a collect that took long to arrive.
const resendWindow = 23 * time.Hour

// tooLateToResend refuses to send again a charge whose first collect was sent more than
// resendWindow ago with its outcome unknown: the order goes to review, with the first
// attempt's details, for a person to find out at PlacetoPay whether the card was charged.
func (w *Wallet) tooLateToResend(ctx context.Context, tx pgx.Tx, o *Order, last Session, now time.Time) (*Error, error) {
	reason := fmt.Sprintf("the charge with reference %q was first sent at %s and its outcome is unknown; %s later PlacetoPay no longer protects a repeat from charging twice, so it is not sent again: check the reference in PlacetoPay's panel (last attempt %s, payment method %s)",
		o.Reference, o.CreatedAt.UTC().Format(time.RFC3339), now.Sub(o.CreatedAt).Round(time.Minute), last.ID, derefUUID(last.PaymentMethodID))
	if err := w.store.record(ctx, tx, o, Change{To: StatusReview, Reason: reason, Session: &last.ID}); err != nil {
		return nil, err
	}
	w.log.Warn("order put in review", zap.String("order", o.ID.String()), zap.String("reason", "charge outcome unknown past the resend window"))
	return &Error{Code: EConflict, Field: "reference", Message: fmt.Sprintf(
		"the charge of order %s (reference %q) was first sent more than 23 hours ago and its outcome is unknown: it is not sent again, and the order is in review", o.ID, o.Reference)}, nil
}

// collectFailed settles a collect PlacetoPay did not accept. A refusal (an invalid token,
// a request it rejects) fails the order; a failure or no answer leaves the order pending
// with an abandoned attempt, to be settled by repeating the charge.
func (w *Wallet) collectFailed(ctx context.Context, o *Order, attemptID uuid.UUID, err error) error {
	var perr *ProviderError
	if errors.As(err, &perr) && perr.Refused {
		reason := fmt.Sprintf("PlacetoPay refused the charge: %s: %s", perr.Reason, perr.Message)
		txErr := w.store.inTx(ctx, func(tx pgx.Tx) error {
			if err := w.store.abandon(ctx, tx, attemptID, perr.Reason, perr.Message); err != nil {
				return err
			}
			cur, err := w.store.lockOrder(ctx, tx, o.ID)
			if err != nil || cur.Status != StatusPending {
				return err
			}
			return w.store.record(ctx, tx, &cur, Change{To: StatusFailed, Reason: reason, Session: &attemptID})
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
	if aerr := w.store.abandon(ctx, w.store.pool, attemptID, "", "PlacetoPay did not answer the collect"); aerr != nil {
		w.log.Error("abandon collect attempt", zap.Error(aerr))
	}
	var verr *Error
	if errors.As(err, &verr) {
		return verr
	}
	w.log.Warn("PlacetoPay collect failed", zap.String("order", o.ID.String()), zap.Error(err))
	return Errorf(EUnavailable, "PlacetoPay did not confirm the charge of order %s; its outcome is unknown: repeat it with the same reference %q, which PlacetoPay never charges twice within 24 hours", o.ID, o.Reference)
}

// refuseUnknownCollect refuses, inside tx, a cancel or a checkout of a pending order whose
// latest collect has an unknown outcome (PlacetoPay failed or did not answer, or the process
// died after sending it): that collect may have charged the card, so cancelling the order or
// letting it be paid another way could take the money on a cancelled order or twice.
// Repeating the charge with the same reference settles it.
func refuseUnknownCollect(ctx context.Context, store *Store, tx pgx.Tx, o Order) error {
	if o.Status != StatusPending {
		return nil
	}
	last, ok, err := store.latestCollect(ctx, tx, o.ID)
	if err != nil || !ok {
		return err
	}
	if last.RequestID == nil && (last.Attempt == AttemptAbandoned || last.Attempt == AttemptCreating) {
		return Errorf(EConflict, "the charge of order %s has an unknown outcome and may have charged the card: repeat the charge (POST /v1/charges) with the same reference to learn its outcome", o.ID)
	}
	return nil
}
