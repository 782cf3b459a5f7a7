package orders

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"go.uber.org/zap"
)

// Refunds made outside the gateway (in PlacetoPay's panel, or by PlacetoPay itself) send no
// notification, and a paid session is final, so no query would ever show them. Every session
// that took money is therefore queried again on a slow, bounded schedule after payment
// (Config.RefundChecks). A payment the answer shows refunded that the refund ledger does not
// already cover is entered in the ledger as an external refund of what it had left, and the
// order moves to partially_refunded or refunded with its order.refunded event, exactly once:
// the check runs under the order's lock and the ledger is what says what is covered.
//
// PlacetoPay's refunded is a boolean: a payment refunded in part in its panel still reads
// refunded: false, so only a payment refunded in full is found.

const (
	refundChecksBatch = 10               // checks one sweep claims
	refundCheckRetry  = 15 * time.Minute // after a failed query, times the failures in a row
	refundCheckTries  = 5                // failed queries in a row before a step is given up
)

// The outcomes of one refund check, the values of gateway_refund_checks_total's label.
const (
	CheckUnchanged = "unchanged"       // PlacetoPay reports nothing the ledger does not hold
	CheckExternal  = "external_refund" // an external refund was entered in the ledger
	CheckDeferred  = "deferred"        // a refund by the gateway is being settled: look again soon
	CheckStopped   = "stopped"         // the order needs no more checks (refunded, or holds no money)
	CheckFailed    = "failed"          // the query or its application failed
)

var refundCheckOutcomes = []string{CheckUnchanged, CheckExternal, CheckDeferred, CheckStopped, CheckFailed}

// refundCheck is one session on the schedule, as claimed.
type refundCheck struct {
	sessionID, orderID uuid.UUID
	requestID          *int64
	paidAt             time.Time
	step, failures     int
}

// nextRefundCheck returns the first check of steps after now for a session paid at paidAt:
// its index and when it is due; ok is false when the schedule is over. Checks a stopped
// gateway missed are not made up one by one: the check made now covers them.
func nextRefundCheck(steps []time.Duration, paidAt, now time.Time) (step int, at time.Time, ok bool) {
	for i, d := range steps {
		if at := paidAt.Add(d); at.After(now) {
			return i, at, true
		}
	}
	return len(steps), time.Time{}, false
}

// watchedForRefunds reports whether an order in status s may still have a payment refunded
// outside the gateway that is not in its ledger.
func watchedForRefunds(s Status) bool {
	switch s {
	case StatusPaid, StatusPartiallyPaid, StatusPartiallyRefunded, StatusReview:
		return true
	}
	return false
}

// enrollRefundChecks puts sess on the refund checks' schedule, once, when PlacetoPay's answer
// info shows it took money: the first check is due the first step after now.
func (r *Reconciler) enrollRefundChecks(ctx context.Context, tx pgx.Tx, o *Order, sess Session, info ProviderSession, now time.Time) error {
	steps := r.cfg.RefundChecks
	if len(steps) == 0 || sess.Kind != KindPayment || !slices.ContainsFunc(info.Payments, func(p ProviderPayment) bool {
		return p.Status == ProviderApproved
	}) {
		return nil
	}
	return r.store.enrollRefundCheck(ctx, tx, sess.ID, o.ID, now, now.Add(steps[0]))
}

// CheckRefunds claims the refund checks that are due and makes each; it returns how many it
// made. It does nothing when Config.RefundChecks is empty.
func (a *Actions) CheckRefunds(ctx context.Context) int {
	if len(a.cfg.RefundChecks) == 0 {
		return 0
	}
	due, err := a.store.claimRefundChecks(ctx, a.cfg.Clock(), claimLease, refundChecksBatch)
	if err != nil {
		if ctx.Err() == nil {
			a.log.Warn("claim refund checks", zap.Error(err))
		}
		return 0
	}
	for _, c := range due {
		outcome := a.checkRefunds(ctx, c)
		a.metrics.refundChecks.WithLabelValues(outcome).Inc()
	}
	return len(due)
}

// checkRefunds makes one check of c's session, then writes when the next is due, and
// returns its outcome.
func (a *Actions) checkRefunds(ctx context.Context, c refundCheck) string {
	outcome, refunded, err := a.lookForExternalRefunds(ctx, c)
	now := a.cfg.Clock()
	var next refundCheckSchedule
	switch {
	case refunded || outcome == CheckStopped:
		// Nothing is left to refund: the schedule ends, whatever this check found.
		next.step = len(a.cfg.RefundChecks)
	case outcome == CheckFailed:
		if ctx.Err() != nil {
			return outcome // the lease brings it back
		}
		a.log.Warn("refund check failed; retrying later", zap.Int64("requestId", deref64(c.requestID)), zap.Error(err))
		next.failures = c.failures + 1
		if next.failures < refundCheckTries {
			next.step, next.at = -1, ptr(now.Add(time.Duration(next.failures)*refundCheckRetry))
			break
		}
		next.failures = 0
		fallthrough
	case outcome == CheckUnchanged || outcome == CheckExternal:
		if step, at, ok := nextRefundCheck(a.cfg.RefundChecks, c.paidAt, now); ok {
			next.step, next.at = step, &at
		} else {
			next.step = step
		}
	case outcome == CheckDeferred:
		// The gateway's own refund of the payment settles first (refund_resolve.go); what
		// PlacetoPay shows beyond it is looked at once it has.
		next.step, next.at = -1, ptr(now.Add(max(a.cfg.ProbeInterval, time.Minute)))
	}
	if next.step < 0 {
		next.step = c.step
	}
	if err := a.store.scheduleRefundCheck(ctx, c.sessionID, next, now); err != nil && ctx.Err() == nil {
		a.log.Warn("schedule the next refund check", zap.Error(err))
	}
	return outcome
}

// refundCheckSchedule is when a session is next checked: step -1 keeps the step it is at,
// a nil at never again.
type refundCheckSchedule struct {
	step, failures int
	at             *time.Time
}

// lookForExternalRefunds queries c's session and enters what PlacetoPay shows refunded
// beyond the ledger; refunded reports an order refunded in full after it.
func (a *Actions) lookForExternalRefunds(ctx context.Context, c refundCheck) (outcome string, refunded bool, err error) {
	o, err := a.store.order(ctx, c.orderID)
	if err != nil {
		return CheckFailed, false, err
	}
	if !watchedForRefunds(o.Status) || c.requestID == nil {
		return CheckStopped, false, nil
	}
	info, err := providerOf(a.provider, o.Site).QuerySession(ctx, *c.requestID)
	if err != nil {
		return CheckFailed, false, fmt.Errorf("query session %d: %w", *c.requestID, err)
	}
	var (
		found  []Refund
		status Status
	)
	err = a.store.inTx(ctx, func(tx pgx.Tx) error {
		outcome, found = CheckUnchanged, nil
		o, err := a.store.lockOrder(ctx, tx, c.orderID)
		if err != nil {
			return err
		}
		if !watchedForRefunds(o.Status) {
			outcome = CheckStopped
			return nil
		}
		if outcome, found, err = a.enterExternalRefunds(ctx, tx, &o, c, info); err != nil {
			return err
		}
		status = o.Status
		return nil
	})
	if err != nil {
		return CheckFailed, false, fmt.Errorf("enter external refunds of session %d: %w", *c.requestID, err)
	}
	for _, r := range found {
		a.metrics.externalRefunds.WithLabelValues(string(status)).Inc()
		a.log.Warn("a refund made outside the gateway was entered in the ledger", zap.String("order", r.OrderID.String()),
			zap.Int64("internalReference", r.PaymentInternalReference), zap.String("amount", r.Amount.String()), zap.String("status", string(status)))
	}
	return outcome, status == StatusRefunded, nil
}

// enterExternalRefunds enters, inside tx and under o's lock, every payment of c's session
// that info shows refunded and the ledger does not cover, as an external refund of what it
// has left, and moves o. A payment with a refund of the gateway's in flight or unknown is
// left to that refund's settlement (the outcome is then CheckDeferred).
func (a *Actions) enterExternalRefunds(ctx context.Context, tx pgx.Tx, o *Order, c refundCheck, info ProviderSession) (string, []Refund, error) {
	payments, err := a.store.payments(ctx, tx, o.ID)
	if err != nil {
		return "", nil, err
	}
	refunding, err := a.store.refunding(ctx, tx, o.ID)
	if err != nil {
		return "", nil, err
	}
	outcome := CheckUnchanged
	var found []Refund
	for _, seen := range info.Payments {
		if !seen.Refunded && seen.Status != ProviderRefunded {
			continue
		}
		i := slices.IndexFunc(payments, func(p Payment) bool { return p.InternalReference == seen.InternalReference })
		if i < 0 || !externallyRefundable(payments[i], c.sessionID, o) {
			continue
		}
		pay := payments[i]
		if slices.Contains(refunding, pay.ID) {
			outcome = CheckDeferred
			continue
		}
		amount := min(pay.Amount.Minor-pay.RefundedMinor, o.PaidMinor-o.RefundedMinor)
		if amount <= 0 {
			continue // the ledger covers it already
		}
		r, err := a.store.insertExternalRefund(ctx, tx, pay, amount, "external",
			fmt.Sprintf("PlacetoPay reports payment %d refunded; the gateway did not make this refund (PlacetoPay's panel, or PlacetoPay)", pay.InternalReference))
		if err != nil {
			return "", nil, err
		}
		if err := a.store.addRefund(ctx, tx, o, pay, amount); err != nil {
			return "", nil, err
		}
		if err := a.announceRefund(ctx, tx, o, r, ""); err != nil {
			return "", nil, err
		}
		found = append(found, r)
	}
	if len(found) > 0 && outcome != CheckDeferred {
		outcome = CheckExternal
	}
	return outcome, found, nil
}

// externallyRefundable reports whether pay, of the session checked, is money the order
// counts that an external refund can give back: not a capture, a recurring charge or a
// payment only a notification told of (none of them is in the order's paid amount), and in
// the order's currency.
func externallyRefundable(pay Payment, sessionID uuid.UUID, o *Order) bool {
	return pay.SessionID != nil && *pay.SessionID == sessionID && pay.ParentID == nil && pay.Kind == PaymentOfSession &&
		!pay.Unconfirmed && (pay.Status == ProviderApproved || pay.Status == ProviderRefunded) &&
		pay.Amount.Currency == o.Amount.Currency
}
