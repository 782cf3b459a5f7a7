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

// Refund statuses.
const (
	RefundRequested = "requested" // written before PlacetoPay is called
	RefundSucceeded = "succeeded"
	RefundFailed    = "failed"  // PlacetoPay refused it: nothing was refunded
	RefundUnknown   = "unknown" // PlacetoPay did not answer: resolved by querying the session
)

// Refund is one refund of an order's payment, from the gateway's ledger: PlacetoPay's session
// stays APPROVED after a refund, so this ledger is what says how much was refunded.
type Refund struct {
	ID                       uuid.UUID
	OrderID                  uuid.UUID
	PaymentInternalReference int64
	Amount                   Money
	Status                   string
	// InternalReference is PlacetoPay's reversal transaction, when it answered with one.
	InternalReference *int64
	Reason, Message   string
	CreatedAt         time.Time
	UpdatedAt         time.Time
}

// Refund refunds amount of the order's approved payments through PlacetoPay (reverse), or
// everything still refundable when amount is nil. The refund is written as requested before
// PlacetoPay is called, under the order's lock, and only one refund per order may be in
// flight or unknown at a time, so refunds can never add up to more than was paid. A refund
// whose outcome is unknown is returned with status unknown and resolved later by querying
// the session; it is never retried.
func (p *Payments) Refund(ctx context.Context, orderID uuid.UUID, amount *Money) (Refund, error) {
	var (
		row ordersdb.Refund
		pay ordersdb.Payment
	)
	err := p.store.inTx(ctx, func(tx pgx.Tx) error {
		o, err := p.lockOrder(ctx, tx, orderID)
		if err != nil {
			return err
		}
		switch o.Status {
		case StatusPaid, StatusPartiallyPaid, StatusPartiallyRefunded:
		default:
			return Errorf(EConflict, "order %s is %s; only a paid, partially paid or partially refunded order can be refunded", o.ID, o.Status)
		}
		if o.Status == StatusPartiallyPaid {
			// PlacetoPay does not cancel a session with an approved payment: while the partial
			// session is open the shopper may still pay the rest, after the refund.
			cur, err := p.store.q.GetOpenSession(ctx, tx, o.ID)
			if err == nil {
				return Errorf(EConflict, "order %s is partially_paid and its partial session is still open (until %s): the shopper may still pay the rest; refund once the session is paid or has expired",
					o.ID, cur.ExpiresAt.UTC().Format(time.RFC3339))
			} else if !errors.Is(err, pgx.ErrNoRows) {
				return err
			}
		}
		if n, err := p.store.q.CountRefundsInFlight(ctx, tx, o.ID); err != nil {
			return err
		} else if n > 0 {
			return Errorf(EConflict, "a refund of order %s is in flight or its outcome is still being checked with PlacetoPay; retry once it is settled", o.ID)
		}
		refundable := o.PaidMinor - o.RefundedMinor
		want := refundable
		if amount != nil {
			switch {
			case amount.Currency != o.Amount.Currency:
				return invalidField("amount.currency", "must be %s, the order's currency", o.Amount.Currency)
			case amount.Minor <= 0:
				return invalidField("amount.total", "must be more than zero")
			case amount.Minor > refundable:
				return invalidField("amount.total", "%s exceeds the %s that can still be refunded", amount, Money{Minor: refundable, Currency: o.Amount.Currency})
			}
			want = amount.Minor
		}
		if want <= 0 {
			return Errorf(EConflict, "order %s has nothing left to refund", o.ID)
		}
		payments, err := p.store.q.ListRefundablePayments(ctx, tx, o.ID)
		if err != nil {
			return err
		}
		var most int64
		found := false
		for _, c := range payments {
			if c.Currency != o.Amount.Currency {
				continue
			}
			left := c.AmountMinor - c.RefundedMinor
			most = max(most, left)
			if left >= want {
				pay, found = c, true
				break
			}
		}
		if !found {
			return invalidField("amount.total", "a refund applies to one payment; at most %s can be refunded at once", Money{Minor: most, Currency: o.Amount.Currency})
		}
		row, err = p.store.q.InsertRefund(ctx, tx, ordersdb.InsertRefundParams{
			ID: uuid.Must(uuid.NewV7()), OrderID: o.ID, PaymentID: pay.ID, Currency: o.Amount.Currency, AmountMinor: want,
		})
		if c, ok := uniqueViolation(err); ok && c == "refunds_one_in_flight" {
			return Errorf(EConflict, "a refund of order %s is already in flight; retry once it is settled", o.ID)
		}
		return err
	})
	if err != nil {
		return Refund{}, p.wrap("refund", orderID, err)
	}

	// A full refund of an untouched payment is sent without an amount (PlacetoPay's full
	// reverse); anything else names the amount (a partial refund).
	var amt *Money
	if row.AmountMinor != pay.AmountMinor || pay.RefundedMinor != 0 {
		amt = &Money{Minor: row.AmountMinor, Currency: row.Currency}
	}
	res, callErr := p.provider.TransactionAction(ctx, pay.InternalReference, ActionReverse, amt)
	// PlacetoPay has answered (or not): record it even if the storefront hangs up now.
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 15*time.Second)
	defer cancel()
	var perr *ProviderError
	switch {
	case callErr == nil && res.Status == "APPROVED":
		// What PlacetoPay says it refunded, when that is less than asked (a full reverse of a
		// payment partly refunded in PlacetoPay's console refunds only what was left).
		refunded := row.AmountMinor
		if res.AmountOK && res.Currency == row.Currency && res.AmountMinor > 0 && res.AmountMinor < refunded {
			refunded = res.AmountMinor
		}
		return p.recordRefund(sctx, row.ID, refunded, nonZero(res.InternalReference), "", "refunded by PlacetoPay")
	case callErr == nil && (res.Status == "REJECTED" || res.Status == "FAILED"):
		if _, err := p.failRefund(sctx, row.ID, res.Reason, res.Message); err != nil {
			return Refund{}, err
		}
		return Refund{}, &Error{Code: EInvalid, Message: fmt.Sprintf("PlacetoPay rejected the refund: %s: %s", res.Reason, res.Message)}
	case errors.As(callErr, &perr) && alreadyRefunded(perr):
		// PlacetoPay says the payment is refunded already (through its console, or a refund
		// whose answer was lost): the ledger matches it instead of reporting a failure.
		return p.recordRefund(sctx, row.ID, -1, nil, "already_refunded", "PlacetoPay reports the payment already refunded: "+perr.Message)
	case errors.As(callErr, &perr) && perr.Refused:
		if _, err := p.failRefund(sctx, row.ID, perr.Reason, perr.Message); err != nil {
			return Refund{}, err
		}
		return Refund{}, &Error{Code: EInvalid, Message: fmt.Sprintf("PlacetoPay refused the refund: %s: %s", perr.Reason, perr.Message)}
	}
	// A timeout, a lost connection, PlacetoPay failing, or an answer still pending: the money
	// may or may not have moved. Never retried; the session query settles it.
	p.log.Warn("refund outcome unknown; it will be resolved by querying the session",
		zap.String("refund", row.ID.String()), zap.Int64("internalReference", pay.InternalReference), zap.NamedError("cause", callErr))
	p.metrics.refunds.WithLabelValues(RefundUnknown).Inc()
	next := p.cfg.Clock().Add(p.sweepEvery())
	r, err := p.store.q.SettleRefund(sctx, p.store.pool, ordersdb.SettleRefundParams{
		ID: row.ID, Status: RefundUnknown, AmountMinor: row.AmountMinor,
		Reason: ptr("outcome_unknown"), Message: ptr("PlacetoPay did not confirm the refund; it is being checked"), NextCheckAt: &next,
	})
	if err != nil {
		return Refund{}, fmt.Errorf("orders: refund %s: record unknown outcome: %w", row.ID, err)
	}
	p.Wake()
	return p.refundView(sctx, r)
}

// alreadyRefunded recognises PlacetoPay's answer to a reverse of a transaction refunded
// before (docs/placetopay.md#refunds), in the current and the legacy wording.
func alreadyRefunded(e *ProviderError) bool {
	m := strings.ToLower(e.Message)
	return e.Refused && (strings.Contains(m, "already refunded") || strings.Contains(m, "already been refunded") ||
		strings.Contains(m, "already been reversed") || strings.Contains(m, "ya ha sido reembolsada") ||
		strings.Contains(m, "ya ha sido reversada"))
}

// recordRefund settles a refund as succeeded, under the order's lock: the payment's and the
// order's refunded amounts, and the order's status with an order.refunded event carrying the
// refund. amount < 0 means everything the payment still had (PlacetoPay reported it
// refunded in full). A refund already settled is returned as it is.
func (p *Payments) recordRefund(ctx context.Context, id uuid.UUID, amount int64, reversal *int64, reason, message string) (Refund, error) {
	return p.recordRefundReview(ctx, id, amount, reversal, reason, message, "")
}

// recordRefundReview is recordRefund; a non-empty review also puts the order in review with
// that reason, in the same transaction (the ledger and PlacetoPay disagree).
func (p *Payments) recordRefundReview(ctx context.Context, id uuid.UUID, amount int64, reversal *int64, reason, message, review string) (Refund, error) {
	var out ordersdb.Refund
	err := p.store.inTx(ctx, func(tx pgx.Tx) error {
		// The order is locked first, as everywhere else; the refund's order never changes.
		cur, err := p.store.q.GetRefundForUpdate(ctx, p.store.pool, id)
		if err != nil {
			return err
		}
		o, err := p.lockOrder(ctx, tx, cur.OrderID)
		if err != nil {
			return err
		}
		if cur, err = p.store.q.GetRefundForUpdate(ctx, tx, id); err != nil {
			return err
		}
		if cur.Status != RefundRequested && cur.Status != RefundUnknown {
			out = cur
			return nil
		}
		pay, err := p.store.q.GetPayment(ctx, tx, cur.PaymentID)
		if err != nil {
			return err
		}
		left := min(pay.AmountMinor-pay.RefundedMinor, o.PaidMinor-o.RefundedMinor)
		if amount < 0 || amount > left {
			amount = left
		}
		if amount <= 0 {
			out, err = p.store.q.SettleRefund(ctx, tx, ordersdb.SettleRefundParams{ID: id, Status: RefundFailed,
				AmountMinor: cur.AmountMinor, Reason: ptr("nothing_left"), Message: ptr("the ledger already holds every refund of this payment")})
			return err
		}
		if out, err = p.store.q.SettleRefund(ctx, tx, ordersdb.SettleRefundParams{
			ID: id, Status: RefundSucceeded, AmountMinor: amount, InternalReference: reversal,
			Reason: nullable(reason), Message: nullable(message),
		}); err != nil {
			return err
		}
		if err := p.store.q.AddPaymentRefund(ctx, tx, ordersdb.AddPaymentRefundParams{ID: pay.ID, AmountMinor: amount}); err != nil {
			return err
		}
		if err := p.store.q.AddOrderRefund(ctx, tx, ordersdb.AddOrderRefundParams{ID: o.ID, AmountMinor: amount}); err != nil {
			return err
		}
		o.RefundedMinor += amount
		to := StatusPartiallyRefunded
		if o.RefundedMinor >= o.PaidMinor {
			to = StatusRefunded
		}
		r := refundFromRow(out, pay.InternalReference)
		note := fmt.Sprintf("refunded %s of payment %d", r.Amount, pay.InternalReference)
		extra := map[string]any{"refund": refundEventData(r)}
		if o.Status == StatusReview {
			// Review is left only by hand: the refund is recorded and announced, the order
			// stays in review.
			if err := p.move(ctx, tx, &o, StatusReview, note, nil, false); err != nil {
				return err
			}
			return p.store.insertEvent(ctx, tx, &o, o.Status, StatusRefunded.EventType(), extra)
		}
		if err := p.moveWithData(ctx, tx, &o, to, note, extra); err != nil || review == "" {
			return err
		}
		if err := p.move(ctx, tx, &o, StatusReview, review, nil, true); err != nil {
			return err
		}
		p.metrics.review.Inc()
		p.log.Warn("order put in review", zap.String("order", o.ID.String()), zap.String("reason", review))
		return nil
	})
	if err != nil {
		return Refund{}, fmt.Errorf("orders: record refund %s: %w", id, err)
	}
	p.metrics.refunds.WithLabelValues(out.Status).Inc()
	return p.refundView(ctx, out)
}

// failRefund settles a refund PlacetoPay refused: nothing else changes.
func (p *Payments) failRefund(ctx context.Context, id uuid.UUID, reason, message string) (Refund, error) {
	cur, err := p.store.q.GetRefundForUpdate(ctx, p.store.pool, id)
	if err != nil {
		return Refund{}, fmt.Errorf("orders: refund %s: %w", id, err)
	}
	r, err := p.store.q.SettleRefund(ctx, p.store.pool, ordersdb.SettleRefundParams{
		ID: id, Status: RefundFailed, AmountMinor: cur.AmountMinor, Reason: nullable(reason), Message: nullable(message),
	})
	if errors.Is(err, pgx.ErrNoRows) {
		r = cur // settled by someone else meanwhile
	} else if err != nil {
		return Refund{}, fmt.Errorf("orders: refund %s: %w", id, err)
	}
	p.metrics.refunds.WithLabelValues(RefundFailed).Inc()
	return p.refundView(ctx, r)
}

// Refunds lists the order's refunds, oldest first.
func (p *Payments) Refunds(ctx context.Context, orderID uuid.UUID) ([]Refund, error) {
	if _, err := p.store.q.GetOrder(ctx, p.store.pool, orderID); errors.Is(err, pgx.ErrNoRows) {
		return nil, &Error{Code: ENotFound, Field: "id", Message: fmt.Sprintf("order %s does not exist", orderID)}
	} else if err != nil {
		return nil, fmt.Errorf("orders: refunds of %s: %w", orderID, err)
	}
	rows, err := p.store.q.ListRefunds(ctx, p.store.pool, orderID)
	if err != nil {
		return nil, fmt.Errorf("orders: refunds of %s: %w", orderID, err)
	}
	out := make([]Refund, 0, len(rows))
	for _, r := range rows {
		out = append(out, refundFromRow(ordersdb.Refund{ID: r.ID, OrderID: r.OrderID, PaymentID: r.PaymentID,
			Currency: r.Currency, AmountMinor: r.AmountMinor, Status: r.Status, InternalReference: r.InternalReference,
			Reason: r.Reason, Message: r.Message, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt}, r.PaymentInternalReference))
	}
	return out, nil
}

func (p *Payments) refundView(ctx context.Context, r ordersdb.Refund) (Refund, error) {
	pay, err := p.store.q.GetPayment(ctx, p.store.pool, r.PaymentID)
	if err != nil {
		return Refund{}, fmt.Errorf("orders: refund %s: payment: %w", r.ID, err)
	}
	return refundFromRow(r, pay.InternalReference), nil
}

func refundFromRow(r ordersdb.Refund, paymentRef int64) Refund {
	return Refund{ID: r.ID, OrderID: r.OrderID, PaymentInternalReference: paymentRef,
		Amount: Money{Minor: r.AmountMinor, Currency: r.Currency}, Status: r.Status, InternalReference: r.InternalReference,
		Reason: deref(r.Reason), Message: deref(r.Message), CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt}
}

func refundEventData(r Refund) map[string]any {
	return map[string]any{"id": r.ID, "paymentInternalReference": r.PaymentInternalReference,
		"amount": map[string]string{"currency": r.Amount.Currency, "total": r.Amount.Decimal()}, "status": r.Status}
}

// lockOrder reads the order FOR UPDATE.
func (p *Payments) lockOrder(ctx context.Context, tx pgx.Tx, id uuid.UUID) (Order, error) {
	row, err := p.store.q.GetOrderForUpdate(ctx, tx, id)
	if errors.Is(err, pgx.ErrNoRows) {
		return Order{}, &Error{Code: ENotFound, Field: "id", Message: fmt.Sprintf("order %s does not exist", id)}
	}
	if err != nil {
		return Order{}, err
	}
	return orderFromRow(row)
}
