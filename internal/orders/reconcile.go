package orders

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"go.uber.org/zap"
	"golang.org/x/sync/singleflight"
)

// Reconciler applies what PlacetoPay says about a session: it is the only path by which an
// order becomes paid, authorized, partially paid or failed, and every notification, browser
// return, refresh and probe ends here.
type Reconciler struct {
	store    *Store
	provider Provider
	sealer   Sealer // stores the cards subscription and subscribe sessions tokenize; none when nil
	cfg      Config
	log      *zap.Logger
	metrics  *Metrics
	flight   singleflight.Group // one provider query at a time per session, per process
}

// NewReconciler returns the reconciliation on store and provider. sealer may be nil, and
// then the cards sessions tokenize are not stored.
func NewReconciler(store *Store, provider Provider, sealer Sealer, cfg Config, log *zap.Logger, metrics *Metrics) *Reconciler {
	if store == nil || provider == nil || log == nil || metrics == nil {
		panic("orders: NewReconciler needs a store, a provider, a logger and metrics")
	}
	return &Reconciler{store: store, provider: provider, sealer: sealer, cfg: cfg.withDefaults(), log: log, metrics: metrics}
}

// reconcileTimeout bounds one query-and-apply, retries of the query included.
const reconcileTimeout = 45 * time.Second

// Reconcile queries PlacetoPay for the session and applies the answer in one transaction:
// the session's status, every transaction, the order's status, a timeline entry and the
// outbox event. Concurrent calls for the same session (notifications, returns, refreshes,
// the probe, on any replica) serialise on the order's row lock and are guarded, so one
// change gives one transition and one event. Calls in this process share one query.
func (r *Reconciler) Reconcile(ctx context.Context, requestID int64) error {
	// The shared work must not die with the first caller (a browser that hangs up): it runs
	// detached from its cancellation, bounded by its own timeout; each caller still stops
	// waiting when its own context ends.
	ch := r.flight.DoChan(strconv.FormatInt(requestID, 10), func() (any, error) {
		wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), reconcileTimeout)
		defer cancel()
		return nil, r.reconcile(wctx, requestID)
	})
	select {
	case res := <-ch:
		return res.Err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// RefreshOrder queries every session of the order that may still change, now, sharing the
// query with concurrent callers: GET ?refresh=true with the API key.
func (r *Reconciler) RefreshOrder(ctx context.Context, orderID uuid.UUID) error {
	ids, err := r.store.sessionsToCheck(ctx, orderID)
	if err != nil {
		return err
	}
	return r.reconcileAll(ctx, ids)
}

// RefreshOrderIfStale is RefreshOrder for the triggers anyone with the order's id or client
// secret can pull, the browser return and GET ?refresh=true with X-Client-Secret: it queries
// only the sessions nobody checked in the last Config.BrowserRefreshEvery, and claims them in
// Postgres first, so that however many such requests arrive, on however many replicas,
// PlacetoPay is asked about a session at most once in that span. Notifications and the probe
// are not spaced: they call Reconcile.
func (r *Reconciler) RefreshOrderIfStale(ctx context.Context, orderID uuid.UUID) error {
	ids, err := r.store.claimStaleSessions(ctx, orderID, r.cfg.BrowserRefreshEvery)
	if err != nil {
		return err
	}
	return r.reconcileAll(ctx, ids)
}

// reconcileAll reconciles each session in turn.
func (r *Reconciler) reconcileAll(ctx context.Context, ids []int64) error {
	var errs []error
	for _, id := range ids {
		errs = append(errs, r.Reconcile(ctx, id))
	}
	return errors.Join(errs...)
}

// reconcile is Reconcile with a query of its own, not shared with other callers.
func (r *Reconciler) reconcile(ctx context.Context, requestID int64) error {
	sess, ok, err := r.store.sessionByRequestID(ctx, requestID)
	if err != nil {
		return fmt.Errorf("orders: reconcile %d: %w", requestID, err)
	}
	if !ok {
		return Errorf(ENotFound, "no session with requestId %d", requestID)
	}
	info, err := providerOf(r.provider, sess.Site).QuerySession(ctx, requestID)
	if err != nil {
		r.metrics.reconciles.WithLabelValues("query_failed").Inc()
		return fmt.Errorf("orders: reconcile %d: query: %w", requestID, err)
	}
	if touched, err := r.touchIfUnchanged(ctx, sess, info); err != nil || touched {
		if err != nil {
			return fmt.Errorf("orders: reconcile %d: %w", requestID, err)
		}
		r.metrics.reconciles.WithLabelValues("ok").Inc()
		return nil
	}
	var superseded *int64 // another open session of the order, which this one's payment closed
	err = r.store.inTx(ctx, func(tx pgx.Tx) error {
		// Lock order: the order, then its session, as Checkout does.
		o, err := r.store.lockOrder(ctx, tx, sess.OrderID)
		if err != nil {
			return err
		}
		if sess, err = r.store.lockSession(ctx, tx, requestID); err != nil {
			return err
		}
		superseded, err = r.apply(ctx, tx, &o, sess, info)
		return err
	})
	if err != nil {
		r.metrics.reconciles.WithLabelValues("apply_failed").Inc()
		return fmt.Errorf("orders: reconcile %d: %w", requestID, err)
	}
	r.metrics.reconciles.WithLabelValues("ok").Inc()
	if superseded != nil {
		// Closed here already; cancelled there so that nobody pays it. A payment that lands
		// anyway is found by its probe and goes to review.
		if err := providerOf(r.provider, sess.Site).CancelSession(ctx, *superseded); err != nil {
			r.log.Warn("cancel a session the order no longer needs", zap.Int64("requestId", *superseded), zap.Error(err))
		}
	}
	return nil
}

// touchIfUnchanged is the routine check of a payment session that PlacetoPay still reports
// pending with no transaction, as it was: apply would change nothing but the schedule, so
// only the schedule is written, in one guarded statement without the order's lock (most of
// the probe's work when many shoppers leave their checkout open). It reports false, having
// written nothing, whenever the guard does not hold; the caller then applies the answer.
func (r *Reconciler) touchIfUnchanged(ctx context.Context, sess Session, info ProviderSession) (bool, error) {
	if sess.Kind != KindPayment || sess.Attempt != AttemptOpen || sess.Status != ProviderPending ||
		info.Status != ProviderPending || len(info.Payments) != 0 || info.Reason != sess.Reason {
		return false, nil
	}
	attempt, next, _ := schedule(r.cfg, sess, info, r.cfg.Clock())
	if attempt != sess.Attempt || next == nil {
		return false, nil
	}
	return r.store.touchPending(ctx, sess.ID, info.Reason, *next)
}

// apply writes what PlacetoPay said about sess into the order, inside tx. When the answer
// takes money for the order while another of its sessions is open, that session is closed
// here, and its requestId returned to be cancelled at PlacetoPay once this commits.
func (r *Reconciler) apply(ctx context.Context, tx pgx.Tx, o *Order, sess Session, info ProviderSession) (superseded *int64, err error) {
	now := r.cfg.Clock()
	if sess.Status.final() && !info.Status.final() {
		// An answer older than one already applied (another replica queried later and
		// committed first): final session states never go back. Look again soon.
		return nil, r.store.setSession(ctx, tx, sess, ptr(now.Add(r.cfg.sweepEvery())))
	}
	changed, elsewhere, err := r.recordTransactions(ctx, tx, o, sess, info)
	if err != nil {
		return nil, err
	}
	if changed {
		if err := r.store.providerAnswer(ctx, tx, o.ID, &sess.ID, info.Status, info.Reason, info.Message, info.Payload); err != nil {
			return nil, err
		}
	}
	if err := r.storeInstrument(ctx, tx, sess, info); err != nil {
		return nil, err
	}

	f := facts{order: *o, kind: sess.Kind, session: info.Status}
	if f.payments, err = r.store.payments(ctx, tx, o.ID); err != nil {
		return nil, err
	}
	if f.refunding, err = r.store.refunding(ctx, tx, o.ID); err != nil {
		return nil, err
	}
	other, open, err := r.store.openSession(ctx, tx, o.ID)
	if err != nil {
		return nil, err
	}
	f.otherOpen = open && other.ID != sess.ID
	d := decide(f)
	if len(elsewhere) > 0 {
		if d, err = r.misplacedReview(ctx, tx, o, sess, elsewhere, d); err != nil {
			return nil, err
		}
	}

	before := *o
	if d.paidMinor != o.PaidMinor {
		if err := r.store.setPaid(ctx, tx, o, d.paidMinor); err != nil {
			return nil, err
		}
	}
	if err := r.move(ctx, tx, o, sess, info, d, now); err != nil {
		return nil, err
	}
	if err := r.partialEvents(ctx, tx, &before, o, sess, info); err != nil {
		return nil, err
	}
	if err := r.announceConfirmations(ctx, tx, o, sess); err != nil {
		return nil, err
	}
	if err := r.enrollRefundChecks(ctx, tx, o, sess, info, now); err != nil {
		return nil, err
	}
	if o.Status != before.Status && o.Status.holdsMoney() && f.otherOpen && other.Attempt == AttemptOpen {
		if err := r.closeSuperseded(ctx, tx, o, sess, other, now); err != nil {
			return nil, err
		}
		superseded = other.RequestID
	}
	attempt, next, gaveUp := schedule(r.cfg, sess, info, now)
	if gaveUp {
		msg := fmt.Sprintf("the gateway stopped checking session %d: %s after its expiry PlacetoPay still reports a transaction pending; look it up in PlacetoPay's panel",
			deref64(sess.RequestID), tailLimit)
		if err := r.store.note(ctx, tx, o.ID, &sess.ID, "probe_gave_up", msg); err != nil {
			return nil, err
		}
		r.log.Error("probe gave up on a session still pending", zap.Int64("requestId", deref64(sess.RequestID)))
	}
	sess.Attempt, sess.Status, sess.Reason, sess.Message = attempt, info.Status.sessionState(), info.Reason, info.Message
	return superseded, r.store.setSession(ctx, tx, sess, next)
}

// recordTransactions stores every transaction of the answer; changed reports an answer that
// differs from what the session row held. Transactions that belong to another order are
// left as they are and returned.
func (r *Reconciler) recordTransactions(ctx context.Context, tx pgx.Tx, o *Order, sess Session, info ProviderSession) (changed bool, elsewhere []misplaced, err error) {
	changed = info.Status != sess.Status || info.Reason != sess.Reason
	var holdRef int64 // a checkin with a preauthorization action in flight
	if sess.Kind == KindCheckin {
		if holdRef, err = r.store.preauthInFlight(ctx, tx, o.ID); err != nil {
			return false, nil, err
		}
	}
	for _, pay := range info.Payments {
		if holdRef != 0 && pay.InternalReference != holdRef {
			continue // the action's transaction (a capture): recordPreauth records it
		}
		if !pay.Status.transaction() {
			r.log.Warn("unknown PlacetoPay transaction status", zap.String("status", string(pay.Status)), zap.Int64("internalReference", pay.InternalReference))
			continue
		}
		inserted, other, err := r.store.recordTransaction(ctx, tx, o.ID, sess.ID, paymentKind(sess.Kind), pay)
		if err != nil {
			return false, nil, fmt.Errorf("payment %d: %w", pay.InternalReference, err)
		}
		if other != uuid.Nil {
			elsewhere = append(elsewhere, misplaced{internalReference: pay.InternalReference, order: other})
		}
		changed = changed || inserted
	}
	return changed, elsewhere, nil
}

// move carries out d's status, if the status machine allows it.
func (r *Reconciler) move(ctx context.Context, tx pgx.Tx, o *Order, sess Session, info ProviderSession, d decision, now time.Time) error {
	from := o.Status
	if d.status == "" || d.status == from {
		return nil
	}
	if !from.CanTransition(d.status) {
		r.log.Info("provider state does not move the order", zap.String("order", o.ID.String()),
			zap.String("from", string(from)), zap.String("to", string(d.status)))
		return nil
	}
	if err := r.store.record(ctx, tx, o, Change{To: d.status, Reason: d.reason, Session: &sess.ID}); err != nil {
		return err
	}
	r.metrics.moved(from, o)
	switch d.status {
	case StatusPaid:
		return r.countPaid(ctx, tx, o, sess, info, now)
	case StatusReview:
		r.log.Warn("order put in review", zap.String("order", o.ID.String()), zap.String("reason", d.reason))
	}
	return nil
}

var currencyRE = regexp.MustCompile(`^[A-Z]{3}$`)
