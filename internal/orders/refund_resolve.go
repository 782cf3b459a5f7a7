package orders

import (
	"context"
	"fmt"

	"github.com/google/uuid"
	"go.uber.org/zap"
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
// query; it returns how many it looked at.
func (a *Actions) ResolveUnknownRefunds(ctx context.Context) int {
	ids, err := a.store.claimUnknownRefunds(ctx, claimLease, resolveRefundsBatch)
	if err != nil {
		if ctx.Err() == nil {
			a.log.Warn("claim unknown refunds", zap.Error(err))
		}
		return 0
	}
	for _, id := range ids {
		if err := a.ResolveRefund(ctx, id); err != nil && ctx.Err() == nil {
			a.log.Warn("resolve unknown refund; retrying later", zap.String("refund", id.String()), zap.Error(err))
			if _, _, err := a.store.recheck(ctx, "refund", id, min(failedRetry, a.cfg.ProbeInterval)); err != nil && ctx.Err() == nil {
				a.log.Warn("reschedule unknown refund", zap.Error(err))
			}
		}
	}
	return len(ids)
}

// ResolveRefund settles one unknown refund from a query of its payment's session.
func (a *Actions) ResolveRefund(ctx context.Context, id uuid.UUID) error {
	r, err := a.store.lockRefund(ctx, a.store.pool, id)
	if err != nil {
		return fmt.Errorf("orders: resolve refund %s: %w", id, err)
	}
	if r.Status != ActionUnknown {
		return nil
	}
	pay, err := a.store.payment(ctx, a.store.pool, r.PaymentID)
	if err != nil {
		return fmt.Errorf("orders: resolve refund %s: %w", id, err)
	}
	if pay.SessionID == nil {
		return fmt.Errorf("orders: resolve refund %s: payment %d has no session to query", id, pay.InternalReference)
	}
	sess, err := a.store.session(ctx, a.store.pool, *pay.SessionID)
	if err != nil || sess.RequestID == nil {
		return fmt.Errorf("orders: resolve refund %s: session of payment %d: %v", id, pay.InternalReference, err)
	}
	info, err := providerOf(a.provider, sess.Site).QuerySession(ctx, *sess.RequestID)
	if err != nil {
		return fmt.Errorf("orders: resolve refund %s: query session %d: %w", id, *sess.RequestID, err)
	}
	seen := info.payment(pay.InternalReference)
	refunded := seen != nil && (seen.Refunded || seen.Status == ProviderRefunded)
	whole := r.Amount.Minor == pay.Amount.Minor-pay.RefundedMinor
	switch {
	case refunded && !whole:
		// The payment is refunded in full, more than this partial refund asked: the ledger
		// records what was asked, and the rest (refunded outside the gateway, e.g. in
		// PlacetoPay's console) is for a person to look at.
		left := Money{Minor: pay.Amount.Minor - pay.RefundedMinor - r.Amount.Minor, Currency: r.Amount.Currency}
		_, err = a.recordRefund(ctx, id, refundResult{amount: r.Amount.Minor, reason: "resolved_by_query",
			message: "the session query shows the payment refunded in full; recorded the amount asked",
			review:  fmt.Sprintf("PlacetoPay shows payment %d refunded in full: %s more than the gateway's refunds of it", pay.InternalReference, left)})
		if err == nil {
			a.log.Warn("unknown partial refund resolved: the payment shows refunded in full; the order is in review", zap.String("refund", id.String()))
		}
		return err
	case refunded:
		_, err = a.recordRefund(ctx, id, refundResult{amount: -1, reason: "resolved_by_query", message: "the session query shows the payment refunded"})
		if err == nil {
			a.log.Info("unknown refund resolved: refunded", zap.String("refund", id.String()))
		}
		return err
	case seen != nil && seen.Status == ProviderApproved && whole:
		if err := a.failRefund(ctx, id, "resolved_by_query", "the session query shows the payment not refunded: the refund did not happen"); err != nil {
			return err
		}
		a.log.Info("unknown refund resolved: not refunded", zap.String("refund", id.String()))
		return nil
	}
	// A partial refund PlacetoPay's session cannot show, or a payment the query does not list
	// (a capture): look again later, and say so.
	a.log.Warn("unknown refund still unresolved: the session query cannot show a partial refund; check it in PlacetoPay's console",
		zap.String("refund", id.String()), zap.Int64("internalReference", pay.InternalReference))
	a.unsettled(ctx, "refund", id, r.OrderID, "the refund of "+r.Amount.String()+" of payment "+fmt.Sprint(pay.InternalReference))
	return nil
}
