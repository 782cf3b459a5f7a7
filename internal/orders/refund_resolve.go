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

// Unknown refunds are resolved by querying the session of the refunded payment, never by
// sending the refund again: the query shows the payment refunded (refunded: true or status
// REFUNDED) once PlacetoPay has refunded all of it.
//
//   - refunded: the refund happened (and everything the payment had left is refunded);
//   - not refunded, and the refund was for everything the payment had left: it did not
//     happen, so it failed;
//   - not refunded, and the refund was partial: the query cannot tell (PlacetoPay does not
//     show partial refunds in a session); it stays unknown and is checked again, more slowly.

// resolveRefundsBatch is how many unknown refunds one sweep claims.
const resolveRefundsBatch = 10

// ResolveUnknownRefunds claims unknown refunds that are due and resolves each with a session
// query; it returns how many it looked at. The probe runs it on every sweep.
func (p *Payments) ResolveUnknownRefunds(ctx context.Context) int {
	ids, err := p.store.q.ClaimUnknownRefunds(ctx, p.store.pool, ordersdb.ClaimUnknownRefundsParams{
		LeaseSeconds: claimLease.Seconds(), MaxRows: resolveRefundsBatch,
	})
	if err != nil {
		if ctx.Err() == nil {
			p.log.Warn("claim unknown refunds", zap.Error(err))
		}
		return 0
	}
	for _, id := range ids {
		if err := p.ResolveRefund(ctx, id); err != nil && ctx.Err() == nil {
			p.log.Warn("resolve unknown refund; retrying later", zap.String("refund", id.String()), zap.Error(err))
			p.recheckRefund(ctx, id, min(failedRetry, p.cfg.ProbeInterval))
		}
	}
	return len(ids)
}

// ResolveRefund settles one unknown refund from a query of its payment's session.
func (p *Payments) ResolveRefund(ctx context.Context, id uuid.UUID) error {
	r, err := p.store.q.GetRefundForUpdate(ctx, p.store.pool, id)
	if err != nil {
		return fmt.Errorf("orders: resolve refund %s: %w", id, err)
	}
	if r.Status != RefundUnknown {
		return nil
	}
	pay, err := p.store.q.GetPayment(ctx, p.store.pool, r.PaymentID)
	if err != nil {
		return fmt.Errorf("orders: resolve refund %s: %w", id, err)
	}
	if pay.SessionID == nil {
		return fmt.Errorf("orders: resolve refund %s: payment %d has no session to query", id, pay.InternalReference)
	}
	sess, err := p.store.q.GetSession(ctx, p.store.pool, *pay.SessionID)
	if err != nil || sess.RequestID == nil {
		return fmt.Errorf("orders: resolve refund %s: session of payment %d: %v", id, pay.InternalReference, err)
	}
	info, err := p.provider.QuerySession(ctx, *sess.RequestID)
	if err != nil {
		return fmt.Errorf("orders: resolve refund %s: query session %d: %w", id, *sess.RequestID, err)
	}
	var seen *ProviderPayment
	for i := range info.Payments {
		if info.Payments[i].InternalReference == pay.InternalReference {
			seen = &info.Payments[i]
		}
	}
	whole := r.AmountMinor == pay.AmountMinor-pay.RefundedMinor
	switch {
	case seen != nil && (seen.Refunded || seen.Status == "REFUNDED") && !whole:
		// The payment is refunded in full, more than this partial refund asked: the ledger
		// records what was asked, and the rest (refunded outside the gateway, e.g. in
		// PlacetoPay's console) is for a person to look at.
		left := Money{Minor: pay.AmountMinor - pay.RefundedMinor - r.AmountMinor, Currency: r.Currency}
		_, err = p.recordRefundReview(ctx, id, r.AmountMinor, nil, "resolved_by_query",
			"the session query shows the payment refunded in full; recorded the amount asked",
			fmt.Sprintf("PlacetoPay shows payment %d refunded in full: %s more than the gateway's refunds of it", pay.InternalReference, left))
		if err == nil {
			p.log.Warn("unknown partial refund resolved: the payment shows refunded in full; the order is in review", zap.String("refund", id.String()))
		}
		return err
	case seen != nil && (seen.Refunded || seen.Status == "REFUNDED"):
		_, err = p.recordRefund(ctx, id, -1, nil, "resolved_by_query", "the session query shows the payment refunded")
		if err == nil {
			p.log.Info("unknown refund resolved: refunded", zap.String("refund", id.String()))
		}
		return err
	case seen != nil && seen.Status == "APPROVED" && whole:
		if _, err := p.failRefund(ctx, id, "resolved_by_query", "the session query shows the payment not refunded: the refund did not happen"); err != nil {
			return err
		}
		p.log.Info("unknown refund resolved: not refunded", zap.String("refund", id.String()))
		return nil
	}
	// A partial refund PlacetoPay's session cannot show, or a payment the query does not list
	// (a capture): look again later, and say so.
	p.log.Warn("unknown refund still unresolved: the session query cannot show a partial refund; check it in PlacetoPay's console",
		zap.String("refund", id.String()), zap.Int64("internalReference", pay.InternalReference))
	p.recheckRefund(ctx, id, min(max(p.cfg.ProbeInterval, time.Minute)*10, time.Hour))
	return nil
}

func (p *Payments) recheckRefund(ctx context.Context, id uuid.UUID, after time.Duration) {
	cur, err := p.store.q.GetRefundForUpdate(ctx, p.store.pool, id)
	if err != nil || cur.Status != RefundUnknown {
		return
	}
	next := p.cfg.Clock().Add(after)
	_, err = p.store.q.SettleRefund(ctx, p.store.pool, ordersdb.SettleRefundParams{
		ID: id, Status: RefundUnknown, AmountMinor: cur.AmountMinor, InternalReference: cur.InternalReference,
		Reason: cur.Reason, Message: cur.Message, NextCheckAt: &next,
	})
	if err != nil && !errors.Is(err, pgx.ErrNoRows) && ctx.Err() == nil {
		p.log.Warn("reschedule unknown refund", zap.Error(err))
	}
}
