package orders

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"go.uber.org/zap"
)

// Checkouts opens PlacetoPay sessions for orders, and cancels orders with their open
// session. What PlacetoPay says of a session afterwards is the Reconciler's.
type Checkouts struct {
	store      *Store
	provider   Provider
	reconciler *Reconciler
	waker      *Waker
	cfg        Config
	log        *zap.Logger

	// afterCreate, when set (tests), runs between PlacetoPay's answer and the database
	// write; an error stands for a crash at that point.
	afterCreate func(CreatedSession) error
}

// NewCheckouts returns the checkouts on store and provider. A cancel that PlacetoPay
// refuses is settled with reconciler's query; waker hears of every cancel.
func NewCheckouts(store *Store, provider Provider, reconciler *Reconciler, waker *Waker, cfg Config, log *zap.Logger) *Checkouts {
	if store == nil || provider == nil || reconciler == nil || waker == nil || log == nil {
		panic("orders: NewCheckouts needs a store, a provider, a reconciler, a waker and a logger")
	}
	return &Checkouts{store: store, provider: provider, reconciler: reconciler, waker: waker, cfg: cfg.withDefaults(), log: log}
}

// Checkout opens a PlacetoPay session for the order, or returns the one still open. The
// attempt is written before PlacetoPay is called and completed after, so a crash in between
// leaves an attempt nobody received a processUrl for, which is abandoned later: never a
// second payable session, never an order stuck. created is false when an open session was
// returned.
func (c *Checkouts) Checkout(ctx context.Context, orderID uuid.UUID, cp CheckoutParams) (s Session, created bool, err error) {
	if err := cp.validate(); err != nil {
		return Session{}, false, err
	}
	o, attempt, open, err := c.startAttempt(ctx, orderID, cp)
	if err != nil {
		return Session{}, false, wrap("checkout", orderID, err)
	}
	if open != nil {
		return *open, false, nil
	}
	cs, err := providerOf(c.provider, o.Site).CreateSession(ctx, SessionRequest{
		Reference: o.Reference, Description: o.Description, Amount: o.Amount, Taxes: o.Taxes, Details: o.Details,
		Buyer: o.Buyer, Items: o.Items,
		Kind: cp.kind(), Subscribe: cp.Subscribe, Locale: cp.Locale, PaymentMethod: cp.PaymentMethod, ExpiresAt: attempt.ExpiresAt,
		ReturnURL: c.returnURL(o.ID), IPAddress: cp.IPAddress, UserAgent: cp.UserAgent,
		RequiresConfirmation: cp.RequiresConfirmation,
		AllowPartial:         cp.AllowPartial, Dispersion: cp.Dispersion, Recurring: cp.Recurring,
		RecurringNotificationURL: c.recurringNotificationURL(cp.Recurring),
		Payer:                    cp.Payer, Fields: cp.Fields, SkipResult: cp.SkipResult, NoBuyerFill: cp.NoBuyerFill, Metadata: cp.Metadata,
	})
	if err != nil {
		return Session{}, false, c.createFailed(attempt.ID, err)
	}
	if c.afterCreate != nil {
		if err := c.afterCreate(cs); err != nil {
			return Session{}, false, err
		}
	}
	// PlacetoPay has answered: record it even if the storefront hangs up now.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 15*time.Second)
	defer cancel()
	s, err = c.completeAttempt(ctx, o, attempt, cs)
	if err != nil {
		return Session{}, false, wrap("checkout", orderID, err)
	}
	return s, true, nil
}

// startAttempt writes the attempt under the order's lock, or finds the open session to hand
// out again (open).
func (c *Checkouts) startAttempt(ctx context.Context, orderID uuid.UUID, cp CheckoutParams) (o Order, attempt Session, open *Session, err error) {
	now := c.cfg.Clock()
	expiry := cp.ExpiresIn
	if expiry == 0 {
		expiry = defaultExpiry
	}
	// PlacetoPay wants the expiration at least 5 minutes after it receives the request,
	// written to the second: the shortest session gets a margin for the trip.
	expiry = max(expiry, minExpiry+expiryMargin)
	err = c.store.inTx(ctx, func(tx pgx.Tx) error {
		if o, err = c.store.lockOrder(ctx, tx, orderID); err != nil {
			return err
		}
		// A partially paid order's open partial session is handed out again (the shopper pays
		// the rest on it); it never gets a new one (partial.go).
		if o.Status != StatusPending && o.Status != StatusFailed && o.Status != StatusPartiallyPaid {
			return Errorf(EConflict, "order %s is %s; a checkout needs a pending or failed order", o.ID, o.Status)
		}
		if err := refuseUnknownCollect(ctx, c.store, tx, o); err != nil {
			return err
		}
		if err := cp.validateOptions(&o, now); err != nil {
			return err
		}
		cur, ok, err := c.store.openSession(ctx, tx, orderID)
		if err != nil {
			return err
		}
		if ok && cur.Attempt == AttemptOpen && cur.ExpiresAt.After(now) {
			if other := cp.otherOption(cur); other != "" {
				return &Error{Code: EConflict, Field: other, Message: fmt.Sprintf("order %s has an open %s session opened with another %s until %s; "+
					"it is handed out again only to a checkout with the same type, subscribe, requiresConfirmation, customerReference, allowPartial, dispersion and recurring",
					o.ID, cur.Kind, other, cur.ExpiresAt.UTC().Format(time.RFC3339))}
			}
			open = &cur
			return nil
		}
		if o.Status == StatusPartiallyPaid {
			return Errorf(EConflict, "order %s is partially_paid and its partial session has ended; no new session is opened for the rest: refund what was paid or settle it with the shopper", o.ID)
		}
		switch {
		case !ok:
		case cur.Attempt == AttemptOpen:
			// Expired here: PlacetoPay refuses payments on it now. It leaves the open slot but
			// stays probed, so a payment still in flight on it is applied when it settles.
			cur.Attempt = AttemptClosed
			if err := c.store.setSession(ctx, tx, cur, &now); err != nil {
				return err
			}
		case cur.CreatedAt.After(now.Add(-staleAttempt)):
			return busyf(5, "a checkout for order %s is being opened; retry in a few seconds", o.ID)
		default:
			if err := c.store.abandon(ctx, tx, cur.ID, "", "the attempt did not complete"); err != nil {
				return err
			}
		}
		opts := cp.optionsJSON()
		req, _ := json.Marshal(map[string]any{"locale": cp.Locale, "paymentMethod": cp.PaymentMethod, "type": cp.Type, "expiresIn": expiry.Seconds(),
			"subscribe": cp.Subscribe, "requiresConfirmation": cp.RequiresConfirmation,
			"skipResult": cp.SkipResult, "noBuyerFill": cp.NoBuyerFill,
			"allowPartial": opts.AllowPartial, "dispersion": opts.Dispersion, "recurring": opts.Recurring})
		amount := o.Amount
		if cp.kind() == KindSubscription {
			amount.Minor = 0 // a subscription session tokenizes a card and charges nothing
		}
		attempt, err = c.store.insertAttempt(ctx, tx, newAttempt{
			orderID: o.ID, kind: cp.kind(), amount: amount, allowPartial: cp.AllowPartial, request: req,
			expiresAt: now.Add(expiry).Truncate(time.Second), customerReference: cp.CustomerReference,
		})
		return err
	})
	return o, attempt, open, err
}

// completeAttempt records PlacetoPay's answer cs: the attempt becomes the open session, due
// for its first probe. When the order moved on while PlacetoPay opened it (a cancel, a
// payment), the session is abandoned here and cancelled there: its processUrl is never
// handed out.
func (c *Checkouts) completeAttempt(ctx context.Context, o Order, attempt Session, cs CreatedSession) (Session, error) {
	var s Session
	moved := false
	err := c.store.inTx(ctx, func(tx pgx.Tx) error {
		cur, err := c.store.lockOrder(ctx, tx, o.ID)
		if err != nil {
			return err
		}
		if cur.Status != StatusPending && cur.Status != StatusFailed {
			moved = true
			return c.store.abandon(ctx, tx, attempt.ID, "", "the order became "+string(cur.Status)+" while the session was opened")
		}
		if s, err = c.store.opened(ctx, tx, attempt.ID, cs.RequestID, cs.ProcessURL, c.cfg.Clock().Add(c.cfg.firstCheck())); err != nil {
			return err
		}
		if cur.Status == StatusFailed {
			return c.store.record(ctx, tx, &cur, Change{To: StatusPending, Reason: "a new checkout was opened", Session: &attempt.ID})
		}
		return nil
	})
	if err == nil && !moved {
		c.log.Info("checkout opened", zap.String("order", o.ID.String()), zap.Int64("requestId", cs.RequestID),
			zap.Time("expiresAt", attempt.ExpiresAt))
	}
	if err != nil || !moved {
		return s, err
	}
	if err := providerOf(c.provider, o.Site).CancelSession(ctx, cs.RequestID); err != nil {
		c.log.Warn("cancel a session opened for an order that moved on", zap.Int64("requestId", cs.RequestID), zap.Error(err))
	}
	return Session{}, Errorf(EConflict, "order %s changed while the session was being opened; no session was opened", o.ID)
}

// createFailed settles an attempt PlacetoPay did not open. A refusal or an outage removes it
// (nothing changed); an unknown outcome (timeout) abandons it, since nobody received its
// processUrl.
func (c *Checkouts) createFailed(attemptID uuid.UUID, err error) error {
	ctx := context.Background()
	var perr *ProviderError
	if errors.As(err, &perr) {
		if derr := c.store.deleteAttempt(ctx, attemptID); derr != nil {
			c.log.Error("delete failed checkout attempt", zap.Error(derr))
		}
		if perr.Refused {
			return &Error{Code: EInvalid, Message: fmt.Sprintf("PlacetoPay refused the session: %s: %s", perr.Reason, perr.Message)}
		}
		return Errorf(EUnavailable, "PlacetoPay failed (HTTP %d: %s); no session was opened, retry later", perr.HTTPStatus, perr.Message)
	}
	if aerr := c.store.abandon(ctx, c.store.pool, attemptID, "", "PlacetoPay did not answer"); aerr != nil {
		c.log.Error("abandon checkout attempt", zap.Error(aerr))
	}
	var verr *Error
	if errors.As(err, &verr) {
		return verr
	}
	c.log.Warn("PlacetoPay create session failed", zap.Error(err))
	return Errorf(EUnavailable, "PlacetoPay did not answer; no session was opened, retry later")
}

func (c *Checkouts) returnURL(orderID uuid.UUID) string {
	return c.cfg.PublicURL + "/return/" + url.PathEscape(orderID.String())
}

// recurringNotificationURL is the notificationUrl sent with a recurrence: the gateway's own
// notification endpoint, so that every recurring charge is recorded against its order.
func (c *Checkouts) recurringNotificationURL(r *Recurring) string {
	if r == nil {
		return ""
	}
	return c.cfg.PublicURL + "/webhooks/placetopay"
}
