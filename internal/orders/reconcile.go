package orders

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"go.uber.org/zap"

	"github.com/placetopay-gateway/gateway/internal/orders/ordersdb"
)

// Reconcile queries PlacetoPay for the session and applies the answer in one transaction:
// the session's status, every transaction, the order's status, a timeline entry and the
// outbox event. Concurrent calls for the same session (notifications, returns, refreshes,
// the probe, on any replica) serialise on the order's row lock and are guarded, so one
// change gives one transition and one event. Calls in this process share one query.
func (p *Payments) Reconcile(ctx context.Context, requestID int64) error {
	// The shared work must not die with the first caller (a browser that hangs up): it runs
	// detached from its cancellation, bounded by its own timeout; each caller still stops
	// waiting when its own context ends.
	ch := p.flight.DoChan(strconv.FormatInt(requestID, 10), func() (any, error) {
		wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), reconcileTimeout)
		defer cancel()
		return nil, p.reconcile(wctx, requestID)
	})
	select {
	case r := <-ch:
		return r.Err
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (p *Payments) reconcile(ctx context.Context, requestID int64) error {
	sess, err := p.store.q.GetSessionByRequestID(ctx, p.store.pool, &requestID)
	if errors.Is(err, pgx.ErrNoRows) {
		return Errorf(ENotFound, "no session with requestId %d", requestID)
	}
	if err != nil {
		return fmt.Errorf("orders: reconcile %d: %w", requestID, err)
	}
	info, err := p.provider.QuerySession(ctx, requestID)
	if err != nil {
		p.metrics.reconciles.WithLabelValues("query_failed").Inc()
		return fmt.Errorf("orders: reconcile %d: query: %w", requestID, err)
	}
	if touched, err := p.touchIfUnchanged(ctx, sess, info); err != nil || touched {
		if err != nil {
			return fmt.Errorf("orders: reconcile %d: %w", requestID, err)
		}
		p.metrics.reconciles.WithLabelValues("ok").Inc()
		return nil
	}
	err = p.store.inTx(ctx, func(tx pgx.Tx) error {
		// Lock order: the order, then its session, as Checkout does.
		orow, err := p.store.q.GetOrderForUpdate(ctx, tx, sess.OrderID)
		if err != nil {
			return err
		}
		o, err := orderFromRow(orow)
		if err != nil {
			return err
		}
		sess, err = p.store.q.GetSessionByRequestIDForUpdate(ctx, tx, &requestID)
		if err != nil {
			return err
		}
		return p.apply(ctx, tx, &o, sess, info)
	})
	if err != nil {
		p.metrics.reconciles.WithLabelValues("apply_failed").Inc()
		return fmt.Errorf("orders: reconcile %d: %w", requestID, err)
	}
	p.metrics.reconciles.WithLabelValues("ok").Inc()
	return nil
}

// touchIfUnchanged is the routine check of a payment session that PlacetoPay still reports
// pending with no transaction, as it was: apply would change nothing but the schedule, so
// only the schedule is written, in one guarded statement without the order's lock (most of
// the probe's work when many shoppers leave their checkout open). It reports false, having
// written nothing, whenever the guard does not hold; the caller then applies the answer.
func (p *Payments) touchIfUnchanged(ctx context.Context, sess ordersdb.CheckoutSession, info ProviderSession) (bool, error) {
	if sess.Kind != "payment" || sess.Attempt != "open" || sess.Status != "PENDING" || info.Status != "PENDING" ||
		len(info.Payments) != 0 || info.Reason != deref(sess.Reason) {
		return false, nil
	}
	attempt, next := p.schedule(sess, info, p.cfg.Clock())
	if attempt != sess.Attempt || next == nil {
		return false, nil
	}
	n, err := p.store.q.TouchPendingSession(ctx, p.store.pool, ordersdb.TouchPendingSessionParams{
		ID: sess.ID, NextCheckAt: next, Reason: info.Reason,
	})
	return n == 1, err
}

// apply writes what PlacetoPay said about sess into the order, inside tx.
func (p *Payments) apply(ctx context.Context, tx pgx.Tx, o *Order, sess ordersdb.CheckoutSession, info ProviderSession) error {
	now := p.cfg.Clock()
	if finalSession(sess.Status) && !finalSession(info.Status) {
		// An answer older than one already applied (another replica queried later and
		// committed first): final session states never go back. Look again soon.
		next := now.Add(p.sweepEvery())
		return p.store.q.UpdateSessionState(ctx, tx, ordersdb.UpdateSessionStateParams{
			ID: sess.ID, Status: sess.Status, Reason: sess.Reason, Message: sess.Message, Attempt: sess.Attempt, NextCheckAt: &next,
		})
	}
	kind := "payment"
	if sess.Kind == "checkin" || sess.Kind == "collect" {
		kind = sess.Kind
	}
	changed := info.Status != sess.Status || info.Reason != deref(sess.Reason)
	var holdRef int64 // a checkin with a preauthorization action in flight
	if sess.Kind == "checkin" {
		var err error
		if holdRef, err = p.preauthInFlight(ctx, tx, o.ID); err != nil {
			return err
		}
	}
	for _, pay := range info.Payments {
		if holdRef != 0 && pay.InternalReference != holdRef {
			continue // the action's transaction (a capture): recordPreauth records it
		}
		status := pay.Status
		if !paymentStatuses[status] {
			p.log.Warn("unknown PlacetoPay transaction status", zap.String("status", status), zap.Int64("internalReference", pay.InternalReference))
			continue
		}
		currency := pay.Currency
		if !pay.AmountOK || !currencyRE.MatchString(currency) {
			// An amount the gateway cannot read exactly is recorded in ISO 4217's "no
			// currency", which no order uses: an approval of it can only go to review.
			currency = "XXX"
		}
		inserted, err := p.store.q.UpsertPayment(ctx, tx, ordersdb.UpsertPaymentParams{
			ID: uuid.Must(uuid.NewV7()), OrderID: o.ID, SessionID: &sess.ID, InternalReference: pay.InternalReference,
			Kind: kind, Reference: pay.Reference, Status: status, Reason: nullable(pay.Reason), Message: nullable(pay.Message),
			AuthorizationCode: nullable(pay.Authorization), Receipt: nullable(pay.Receipt), Franchise: nullable(pay.Franchise),
			PaymentMethod: nullable(pay.PaymentMethod), PaymentMethodName: nullable(pay.PaymentMethodName),
			IssuerName: nullable(pay.IssuerName), LastDigits: nullable(lastDigits(pay.LastDigits)),
			Currency: currency, AmountMinor: max(pay.AmountMinor, 0), Refunded: pay.Refunded, ProviderDate: timeOrNil(pay.Date),
		})
		if err != nil {
			return fmt.Errorf("payment %d: %w", pay.InternalReference, err)
		}
		changed = changed || inserted
	}
	if changed {
		if err := p.store.q.InsertTimeline(ctx, tx, ordersdb.InsertTimelineParams{
			OrderID: o.ID, SessionID: &sess.ID, Kind: "provider_status", ProviderStatus: &info.Status,
			Reason: nullable(info.Reason), Message: nullable(info.Message), Payload: info.Payload,
		}); err != nil {
			return err
		}
	}

	if p.wallet != nil {
		if err := p.wallet.storeInstrument(ctx, tx, o, sess, info); err != nil {
			return err
		}
	}

	payments, err := p.store.q.ListPayments(ctx, tx, o.ID)
	if err != nil {
		return err
	}
	refunding, err := p.store.q.ListRefundingPayments(ctx, tx, o.ID)
	if err != nil {
		return err
	}
	d := decideWithRefunds(o, sess.Kind, info.Status, payments, refunding)
	if d.status == StatusFailed {
		// Failed means the order's last session failed: a newer one may still be paid.
		other, err := p.store.q.GetOpenSession(ctx, tx, o.ID)
		if err == nil && other.ID != sess.ID {
			d.status = ""
		} else if err != nil && !errors.Is(err, pgx.ErrNoRows) {
			return err
		}
	}
	before := *o
	if d.paidMinor != o.PaidMinor {
		if err := p.store.q.SetOrderPaid(ctx, tx, ordersdb.SetOrderPaidParams{ID: o.ID, PaidMinor: d.paidMinor}); err != nil {
			return err
		}
		o.PaidMinor = d.paidMinor
	}
	if d.status != "" && d.status != o.Status {
		if from := o.Status; from.CanTransition(d.status) {
			if err := p.store.transition(ctx, tx, o, d.status, d.reason, &sess.ID); err != nil {
				return err
			}
			// Counted before commit: a rolled-back transaction overcounts by one, which is
			// the safe side for an alert.
			p.metrics.transitions.WithLabelValues(string(from), string(d.status)).Inc()
			if d.status == StatusPaid {
				if err := p.countPaid(ctx, tx, o, sess, info, now); err != nil {
					return err
				}
			}
			if d.status == StatusReview {
				p.metrics.review.Inc()
				p.log.Warn("order put in review", zap.String("order", o.ID.String()), zap.String("reason", d.reason))
			}
		} else {
			p.log.Info("provider state does not move the order", zap.String("order", o.ID.String()),
				zap.String("from", string(o.Status)), zap.String("to", string(d.status)))
		}
	}

	if err := p.partialEvents(ctx, tx, &before, o, sess, info); err != nil {
		return err
	}

	attempt, next := p.schedule(sess, info, now)
	return p.store.q.UpdateSessionState(ctx, tx, ordersdb.UpdateSessionStateParams{
		ID: sess.ID, Status: sessionStatus(info.Status), Reason: nullable(info.Reason), Message: nullable(info.Message),
		Attempt: attempt, NextCheckAt: next,
	})
}

// decision is where an order should stand given everything PlacetoPay reported.
type decision struct {
	status    Status // "" for no change
	paidMinor int64
	reason    string
}

// decide applies the rule of the contract: paid means the session is APPROVED and the
// approved, not refunded payments equal the order's amount in its currency and carry its
// reference. Anything else approved goes to review; nothing approved and a rejected or
// expired session means failed.
func decide(o *Order, kind, sessionStatus string, payments []ordersdb.Payment) decision {
	return decideWithRefunds(o, kind, sessionStatus, payments, nil)
}

// decideWithRefunds is decide knowing the refund ledger: a payment PlacetoPay reports
// refunded still counts as paid when the gateway refunded it (refunded_minor) or has a refund
// of it in flight (refunding), since the ledger, not the session query, decides
// partially_refunded and refunded. A refund the gateway knows nothing of still goes to
// review. Captures (parent_id) are actions on a checkin, not approvals of the session, and a
// checkin that was captured or released is past what a session query can change.
func decideWithRefunds(o *Order, kind, sessionStatus string, payments []ordersdb.Payment, refunding []uuid.UUID) decision {
	if kind == "subscription" {
		// A subscription session stores a card and charges nothing: the order does not move.
		return decision{paidMinor: o.PaidMinor}
	}
	if kind == "checkin" && checkinSettled(payments) {
		return decision{paidMinor: o.PaidMinor}
	}
	d := decidePayments(o, kind, sessionStatus, payments, refunding)
	if o.Status == StatusReview {
		// Review is sticky: never marked paid (or anything else) automatically, whatever a
		// later query shows; only the amount PlacetoPay reports is kept up to date.
		return decision{paidMinor: d.paidMinor}
	}
	if (o.Status == StatusPartiallyRefunded || o.Status == StatusRefunded) && d.paidMinor > o.PaidMinor {
		// Money approved after refunds were made (a partial session paid further): never
		// absorbed silently.
		amount := func(minor int64) string { return Money{Minor: minor, Currency: o.Amount.Currency}.String() }
		return decision{status: StatusReview, paidMinor: d.paidMinor, reason: fmt.Sprintf(
			"PlacetoPay reports %s approved, more than the %s paid when the order was refunded", amount(d.paidMinor), amount(o.PaidMinor))}
	}
	if d.status == StatusPaid && (o.Status == StatusPartiallyRefunded || o.Status == StatusRefunded) {
		return decision{paidMinor: d.paidMinor}
	}
	return d
}

func checkinSettled(payments []ordersdb.Payment) bool {
	for _, pay := range payments {
		if pay.Settled != nil { // only a checkin is settled; a captured one may be kind payment
			return true
		}
	}
	return false
}

func decidePayments(o *Order, kind, sessionStatus string, payments []ordersdb.Payment, refunding []uuid.UUID) decision {
	var sum int64
	var approved int
	for _, pay := range payments {
		// Captures are actions on a checkin; a recurring charge is money after the order's
		// payment (recurring.go).
		if pay.ParentID != nil || pay.Kind == "recurring" {
			continue
		}
		refunded := pay.Refunded || pay.Status == "REFUNDED"
		if refunded && pay.RefundedMinor == 0 && !slices.Contains(refunding, pay.ID) {
			continue
		}
		if !refunded && pay.Status != "APPROVED" {
			continue
		}
		approved++
		switch {
		case pay.Currency != o.Amount.Currency:
			return decision{status: StatusReview, paidMinor: o.PaidMinor, reason: fmt.Sprintf(
				"payment %d was approved in %s; the order is in %s", pay.InternalReference, pay.Currency, o.Amount.Currency)}
		case pay.Reference != "" && pay.Reference != o.Reference:
			return decision{status: StatusReview, paidMinor: o.PaidMinor, reason: fmt.Sprintf(
				"payment %d was approved for reference %q; the order's is %q", pay.InternalReference, pay.Reference, o.Reference)}
		}
		sum += pay.AmountMinor
	}
	total := o.Amount.Minor
	amount := func(minor int64) string { return Money{Minor: minor, Currency: o.Amount.Currency}.String() }
	switch {
	case approved > 0 && o.Status == StatusCancelled:
		return decision{status: StatusReview, paidMinor: sum, reason: "a payment was approved after the order was cancelled"}
	case sum > total:
		return decision{status: StatusReview, paidMinor: sum, reason: fmt.Sprintf(
			"approved payments of %s exceed the order total of %s", amount(sum), amount(total))}
	case sum == total && sessionStatus == "APPROVED":
		if kind == "checkin" {
			return decision{status: StatusAuthorized, paidMinor: 0, reason: "preauthorization approved"}
		}
		return decision{status: StatusPaid, paidMinor: sum, reason: "PlacetoPay approved " + amount(sum)}
	case sum > 0 && sessionStatus == "APPROVED":
		return decision{status: StatusReview, paidMinor: sum, reason: fmt.Sprintf(
			"PlacetoPay approved %s; the order total is %s", amount(sum), amount(total))}
	case sum > 0 && (sessionStatus == "APPROVED_PARTIAL" || sessionStatus == "PARTIAL_EXPIRED"):
		return decision{status: StatusPartiallyPaid, paidMinor: sum, reason: fmt.Sprintf("%s of %s approved", amount(sum), amount(total))}
	case sum == 0 && sessionStatus == "PARTIAL_EXPIRED":
		// PlacetoPay says payments were made on the session, yet none the gateway can count
		// (a dispersion's part approved, its payment APPROVED_PARTIAL): money may have been
		// taken, so never let the order sit as unpaid.
		return decision{status: StatusReview, paidMinor: 0, reason: "PlacetoPay reports the session PARTIAL_EXPIRED (payments were made) but no approved payment of the order's"}
	case sum == 0 && sessionStatus == "APPROVED":
		return decision{status: StatusReview, paidMinor: 0, reason: "the session is approved but no approved payment was reported"}
	case sum == 0 && sessionStatus == "REJECTED" && o.Status == StatusPending:
		return decision{status: StatusFailed, paidMinor: 0, reason: "the session was rejected or expired with no approved payment"}
	}
	return decision{paidMinor: o.PaidMinor}
}

// schedule says whether sess stays open and when to look at it next: every probe interval
// until it expires (plus a grace), then on a slower tail while PlacetoPay still reports a
// pending transaction, and never once it is final with nothing pending.
func (p *Payments) schedule(sess ordersdb.CheckoutSession, info ProviderSession, now time.Time) (string, *time.Time) {
	pending := false
	for _, pay := range info.Payments {
		if pay.Status == "PENDING" || pay.Status == "PENDING_VALIDATION" || pay.Status == "PENDING_CONFIRMATION" {
			pending = true
		}
	}
	final := finalSession(info.Status)
	attempt := sess.Attempt
	if final {
		attempt = "closed"
	}
	if final && !pending {
		return attempt, nil
	}
	interval := p.cfg.ProbeInterval
	grace := max(5*time.Minute, 2*interval)
	if now.Before(sess.ExpiresAt.Add(grace)) {
		// Due one sweep early, so that the check itself happens within one interval.
		next := now.Add(max(interval-p.sweepEvery(), interval/2))
		return attempt, &next
	}
	// The tail: a quarter of the time since expiry, between one interval and an hour.
	wait := min(max(now.Sub(sess.ExpiresAt)/4, interval), time.Hour)
	next := now.Add(wait)
	return attempt, &next
}

// reconcileTimeout bounds one query-and-apply, retries of the query included.
const reconcileTimeout = 45 * time.Second

var currencyRE = regexp.MustCompile(`^[A-Z]{3}$`)

var paymentStatuses = map[string]bool{
	"APPROVED": true, "PENDING": true, "PENDING_VALIDATION": true, "PENDING_CONFIRMATION": true,
	"REJECTED": true, "FAILED": true, "REFUNDED": true,
}

func finalSession(status string) bool {
	return status == "APPROVED" || status == "REJECTED" || status == "PARTIAL_EXPIRED"
}

func sessionStatus(s string) string {
	switch s {
	case "PENDING", "APPROVED", "REJECTED", "APPROVED_PARTIAL", "PARTIAL_EXPIRED", "FAILED":
		return s
	}
	return "PENDING"
}

func lastDigits(s string) string {
	if len(s) > 4 {
		s = s[len(s)-4:]
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return ""
		}
	}
	return s
}

func timeOrNil(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}
