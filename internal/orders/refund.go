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
)

// Refund is one refund of an order's payment, from the gateway's ledger: PlacetoPay's session
// stays APPROVED after a refund, so this ledger is what says how much was refunded.
type Refund struct {
	ID                       uuid.UUID
	OrderID                  uuid.UUID
	PaymentID                uuid.UUID
	PaymentInternalReference int64
	Amount                   Money
	Status                   ActionState
	// InternalReference is PlacetoPay's reversal transaction, when it answered with one.
	InternalReference *int64
	Reason, Message   string
	// Source says who made it: the gateway, or someone outside it (PlacetoPay's panel),
	// found afterwards by the refund checks.
	Source    RefundSource
	CreatedAt time.Time
	UpdatedAt time.Time
}

// RefundSource is who made a refund; the refunds.source values.
type RefundSource string

// The refund sources.
const (
	RefundByGateway RefundSource = "gateway"  // asked of PlacetoPay by the gateway
	RefundExternal  RefundSource = "external" // made outside the gateway, found by a refund check
)

// Refund refunds amount of the order's approved payments through PlacetoPay (reverse), or
// everything still refundable when amount is nil. The refund is written as requested before
// PlacetoPay is called, under the order's lock, and only one refund per order may be in
// flight or unknown at a time, so refunds can never add up to more than was paid. A refund
// whose outcome is unknown is returned with status unknown and resolved later by querying
// the session; it is never retried. A request that runs again (WithRequestKey) gets the
// refund it made, not another one.
func (a *Actions) Refund(ctx context.Context, orderID uuid.UUID, amount *Money) (Refund, error) {
	var (
		r    Refund
		pay  Payment
		site string
	)
	again := false
	err := a.store.inTx(ctx, func(tx pgx.Tx) error {
		o, err := a.store.lockOrder(ctx, tx, orderID)
		if err != nil {
			return err
		}
		if r, again, err = a.store.requestedRefund(ctx, tx, o.ID); err != nil || again {
			return err
		}
		site = o.Site
		want, err := a.refundable(ctx, tx, o, amount)
		if err != nil {
			return err
		}
		payments, err := a.store.refundablePayments(ctx, tx, o.ID)
		if err != nil {
			return err
		}
		var most int64
		found := false
		for _, c := range payments {
			if c.Amount.Currency != o.Amount.Currency {
				continue
			}
			left := c.Amount.Minor - c.RefundedMinor
			most = max(most, left)
			if left >= want {
				pay, found = c, true
				break
			}
		}
		if !found {
			return invalidField("amount.total", "a refund applies to one payment; at most %s can be refunded at once", o.minor(most))
		}
		if r, err = a.store.insertRefund(ctx, tx, pay, o.minor(want)); err != nil {
			return err
		}
		return auditRefund(ctx, tx, o, r)
	})
	if err != nil {
		return Refund{}, wrap("refund", orderID, err)
	}
	if again {
		return r, nil // the refund this request made already
	}
	return a.sendRefund(ctx, r, pay, site)
}

// RefundPayment refunds amount of the order's payment internalReference, or everything it
// has left when amount is nil. It is how the extra payment of an order in review is given
// back (a shopper who paid twice): it is allowed on orders in review, which stay there, and
// on every order Refund allows. Like Refund it is written before PlacetoPay is called, one
// refund per order at a time.
func (a *Actions) RefundPayment(ctx context.Context, orderID uuid.UUID, internalReference int64, amount *Money) (Refund, error) {
	var (
		r    Refund
		pay  Payment
		site string
	)
	again := false
	err := a.store.inTx(ctx, func(tx pgx.Tx) error {
		o, err := a.store.lockOrder(ctx, tx, orderID)
		if err != nil {
			return err
		}
		if r, again, err = a.store.requestedRefund(ctx, tx, o.ID); err != nil || again {
			return err
		}
		site = o.Site
		if pay, err = a.namedRefundable(ctx, tx, o, internalReference); err != nil {
			return err
		}
		want := pay.Amount.Minor - pay.RefundedMinor
		if amount != nil {
			switch {
			case amount.Currency != pay.Amount.Currency:
				return invalidField("amount.currency", "must be %s, the payment's currency", pay.Amount.Currency)
			case amount.Minor <= 0:
				return invalidField("amount.total", "must be more than zero")
			case amount.Minor > want:
				return invalidField("amount.total", "%s exceeds the %s payment %d has left to refund", amount, pay.Amount.withMinor(want), internalReference)
			}
			want = amount.Minor
		}
		if r, err = a.store.insertRefund(ctx, tx, pay, pay.Amount.withMinor(want)); err != nil {
			return err
		}
		return auditRefund(ctx, tx, o, r)
	})
	if err != nil {
		return Refund{}, wrap("refund", orderID, err)
	}
	if again {
		return r, nil // the refund this request made already
	}
	return a.sendRefund(ctx, r, pay, site)
}

// auditRefund writes the audit row of a refund request, beside it.
func auditRefund(ctx context.Context, tx pgx.Tx, o Order, r Refund) error {
	return audit(ctx, tx, AuditChange{OrderID: o.ID, Target: fmt.Sprintf("payment %d", r.PaymentInternalReference),
		Before: auditState(o), After: map[string]any{"refund": r.ID.String(), "amount": r.Amount.String(), "status": string(r.Status)}})
}

// namedRefundable returns the order's payment internalReference when it can be refunded now.
func (a *Actions) namedRefundable(ctx context.Context, tx pgx.Tx, o Order, internalReference int64) (Payment, error) {
	switch o.Status {
	case StatusPaid, StatusPartiallyPaid, StatusPartiallyRefunded, StatusReview:
	default:
		return Payment{}, Errorf(EConflict, "order %s is %s; only a paid, partially paid, partially refunded or in-review order can be refunded", o.ID, o.Status)
	}
	if n, err := a.store.refundsInFlight(ctx, tx, o.ID); err != nil {
		return Payment{}, err
	} else if n > 0 {
		return Payment{}, Errorf(EConflict, "a refund of order %s is in flight or its outcome is still being checked with PlacetoPay; retry once it is settled", o.ID)
	}
	payments, err := a.store.refundablePayments(ctx, tx, o.ID)
	if err != nil {
		return Payment{}, err
	}
	for _, p := range payments {
		if p.InternalReference == internalReference {
			return p, nil
		}
	}
	if _, ok, err := a.store.orderPayment(ctx, tx, o.ID, internalReference); err != nil {
		return Payment{}, err
	} else if !ok {
		return Payment{}, &Error{Code: ENotFound, Field: "internalReference", Message: fmt.Sprintf("order %s has no payment %d", o.ID, internalReference)}
	}
	return Payment{}, &Error{Code: EConflict, Field: "internalReference", Message: fmt.Sprintf(
		"payment %d of order %s cannot be refunded: only an approved payment with money left, not a preauthorization's hold or a recurring charge, is refunded here", internalReference, o.ID)}
}

// sendRefund sends the requested refund r of pay to PlacetoPay's site and records its outcome.
func (a *Actions) sendRefund(ctx context.Context, r Refund, pay Payment, site string) (Refund, error) {

	// A full refund of an untouched payment is sent without an amount (PlacetoPay's full
	// reverse); anything else names the amount (a partial refund).
	var amt *Money
	if r.Amount.Minor != pay.Amount.Minor || pay.RefundedMinor != 0 {
		amt = &r.Amount
	}
	res, callErr := providerOf(a.provider, site).TransactionAction(ctx, pay.InternalReference, ActionReverse, amt)
	// PlacetoPay has answered (or not): record it even if the storefront hangs up now.
	sctx, cancel := afterCall(ctx, 15*time.Second)
	defer cancel()
	var perr *ProviderError
	switch {
	case callErr == nil && res.Status == ProviderApproved:
		// What PlacetoPay says it refunded, when that is less than asked (a full reverse of a
		// payment partly refunded in PlacetoPay's console refunds only what was left).
		refunded := r.Amount.Minor
		if res.AmountOK && res.Currency == r.Amount.Currency && res.AmountMinor > 0 && res.AmountMinor < refunded {
			refunded = res.AmountMinor
		}
		return a.recordRefund(sctx, r.ID, refundResult{amount: refunded, reversal: nonZero(res.InternalReference), message: "refunded by PlacetoPay"})
	case callErr == nil && (res.Status == ProviderRejected || res.Status == ProviderFailed):
		if err := a.failRefund(sctx, r.ID, res.Reason, res.Message); err != nil {
			return Refund{}, err
		}
		return Refund{}, &Error{Code: EInvalid, Message: fmt.Sprintf("PlacetoPay rejected the refund: %s: %s", res.Reason, res.Message)}
	case errors.As(callErr, &perr) && alreadyRefunded(perr):
		// PlacetoPay says the payment is refunded already (through its console, or a refund
		// whose answer was lost): the ledger matches it instead of reporting a failure.
		return a.recordRefund(sctx, r.ID, refundResult{amount: -1, reason: "already_refunded",
			message: "PlacetoPay reports the payment already refunded: " + perr.Message})
	case errors.As(callErr, &perr) && perr.Refused:
		if err := a.failRefund(sctx, r.ID, perr.Reason, perr.Message); err != nil {
			return Refund{}, err
		}
		return Refund{}, &Error{Code: EInvalid, Message: fmt.Sprintf("PlacetoPay refused the refund: %s: %s", perr.Reason, perr.Message)}
	}
	// A timeout, a lost connection, PlacetoPay failing, or an answer still pending: the money
	// may or may not have moved. Never retried; the session query settles it.
	a.log.Warn("refund outcome unknown; it will be resolved by querying the session",
		zap.String("refund", r.ID.String()), zap.Int64("internalReference", pay.InternalReference), zap.NamedError("cause", callErr))
	a.metrics.refunds.WithLabelValues(string(ActionUnknown)).Inc()
	r, err := a.store.settleRefund(sctx, a.store.pool, r, refundOutcome{
		state: ActionUnknown, amountMinor: r.Amount.Minor, reason: "outcome_unknown",
		message: "PlacetoPay did not confirm the refund; it is being checked", next: ptr(a.cfg.Clock().Add(a.cfg.sweepEvery())),
	})
	if err != nil {
		return Refund{}, fmt.Errorf("orders: refund %s: record unknown outcome: %w", r.ID, err)
	}
	a.waker.Wake()
	return r, nil
}

// refundable checks that o can be refunded now and returns how much to refund: amount, or
// everything still refundable when amount is nil.
func (a *Actions) refundable(ctx context.Context, tx pgx.Tx, o Order, amount *Money) (int64, error) {
	switch o.Status {
	case StatusPaid, StatusPartiallyPaid, StatusPartiallyRefunded:
	default:
		return 0, Errorf(EConflict, "order %s is %s; only a paid, partially paid or partially refunded order can be refunded", o.ID, o.Status)
	}
	if o.Status == StatusPartiallyPaid {
		// PlacetoPay does not cancel a session with an approved payment: while the partial
		// session is open the shopper may still pay the rest, after the refund.
		if cur, open, err := a.store.openSession(ctx, tx, o.ID); err != nil {
			return 0, err
		} else if open {
			return 0, Errorf(EConflict, "order %s is partially_paid and its partial session is still open (until %s): the shopper may still pay the rest; refund once the session is paid or has expired",
				o.ID, cur.ExpiresAt.UTC().Format(time.RFC3339))
		}
	}
	if n, err := a.store.refundsInFlight(ctx, tx, o.ID); err != nil {
		return 0, err
	} else if n > 0 {
		return 0, Errorf(EConflict, "a refund of order %s is in flight or its outcome is still being checked with PlacetoPay; retry once it is settled", o.ID)
	}
	refundable := o.PaidMinor - o.RefundedMinor
	if amount == nil {
		if refundable <= 0 {
			return 0, Errorf(EConflict, "order %s has nothing left to refund", o.ID)
		}
		return refundable, nil
	}
	switch {
	case amount.Currency != o.Amount.Currency:
		return 0, invalidField("amount.currency", "must be %s, the order's currency", o.Amount.Currency)
	case amount.Minor <= 0:
		return 0, invalidField("amount.total", "must be more than zero")
	case amount.Minor > refundable:
		return 0, invalidField("amount.total", "%s exceeds the %s that can still be refunded", amount, o.minor(refundable))
	}
	return amount.Minor, nil
}

// alreadyRefunded recognises PlacetoPay's answer to a reverse of a transaction refunded
// before (docs/placetopay.md#refunds), in the current and the legacy wording.
func alreadyRefunded(e *ProviderError) bool {
	m := strings.ToLower(e.Message)
	return e.Refused && (strings.Contains(m, "already refunded") || strings.Contains(m, "already been refunded") ||
		strings.Contains(m, "already been reversed") || strings.Contains(m, "ya ha sido reembolsada") ||
		strings.Contains(m, "ya ha sido reversada"))
}

// Refunds lists the order's refunds, oldest first.
func (a *Actions) Refunds(ctx context.Context, orderID uuid.UUID) ([]Refund, error) {
	if _, err := a.store.order(ctx, orderID); err != nil {
		return nil, wrap("refunds of", orderID, err)
	}
	out, err := a.store.refunds(ctx, orderID)
	if err != nil {
		return nil, fmt.Errorf("orders: refunds of %s: %w", orderID, err)
	}
	return out, nil
}
