package orders

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"go.uber.org/zap"
)

// The probe is the gateway's durable reconciliation queue: each session row carries when it
// is next due (next_check_at). Notifications and returns make a session due now; every
// replica claims due sessions with FOR UPDATE SKIP LOCKED and a lease, so each check runs on
// one replica, and a replica that dies mid-check only delays it by the lease. PlacetoPay
// sends each notification once and never retries it, so this is what guarantees that no
// approved payment goes unseen.

// A claim's lease outlasts one query and its application (reconcileTimeout, 45 s): a round of
// probeJobs sessions always ends within it.
const (
	claimLease  = 60 * time.Second
	claimBatch  = 20 // sessions one ProbeDue handles, in rounds of probeJobs
	probeJobs   = 4  // concurrent provider queries per replica
	failedRetry = 10 * time.Second
	// staleAttempt is how long an attempt may stay unanswered before it is abandoned: well
	// over the PlacetoPay client's timeout.
	staleAttempt = 2 * time.Minute
)

// Waker tells the prober that something is due now (a notification, an action whose
// outcome is unknown), so that it does not wait for its next sweep.
type Waker struct{ ch chan struct{} }

// NewWaker returns a Waker.
func NewWaker() *Waker { return &Waker{ch: make(chan struct{}, 1)} }

// Wake asks the prober to look for due work now. It never blocks.
func (w *Waker) Wake() {
	select {
	case w.ch <- struct{}{}:
	default:
	}
}

// Prober checks due sessions with the reconciliation, and runs the sweeps of the
// transaction actions after them.
type Prober struct {
	store      *Store
	reconciler *Reconciler
	metrics    *Metrics
	sweeps     []func(context.Context) int
	waker      *Waker
	cfg        Config
	log        *zap.Logger
}

// NewProber returns the probe of store's sessions. Every sweep runs after the sessions'
// checks (Actions.Sweep resolves unknown refunds and warns of closing confirmation windows).
func NewProber(store *Store, reconciler *Reconciler, waker *Waker, cfg Config, log *zap.Logger, metrics *Metrics, sweeps ...func(context.Context) int) *Prober {
	if store == nil || reconciler == nil || waker == nil || log == nil || metrics == nil {
		panic("orders: NewProber needs a store, a reconciler, a waker, a logger and metrics")
	}
	return &Prober{store: store, reconciler: reconciler, metrics: metrics, sweeps: sweeps, waker: waker, cfg: cfg.withDefaults(), log: log}
}

// Run checks due sessions until ctx ends: every quarter probe interval, and at once after a
// Wake. A full batch means more may be due: it goes on without waiting, so a backlog is
// worked off at full speed.
func (p *Prober) Run(ctx context.Context) {
	tick := time.NewTicker(p.cfg.sweepEvery())
	defer tick.Stop()
	for {
		for ctx.Err() == nil {
			if p.ProbeDue(ctx) < claimBatch {
				break
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		case <-p.waker.ch:
		}
	}
}

// ProbeDue claims due sessions and reconciles them, first those a notification asked about,
// then those due for a routine check, up to claimBatch, and returns how many it claimed.
// It claims only what it can run within the claim's lease (probeJobs at a time, each query
// bounded by reconcileTimeout): a session claimed but not yet reached when PlacetoPay is slow
// would see its lease end and another replica query it too.
func (p *Prober) ProbeDue(ctx context.Context) int {
	if err := p.store.abandonStaleAttempts(ctx, p.cfg.Clock().Add(-staleAttempt)); err != nil && ctx.Err() == nil {
		p.log.Warn("abandon stale checkout attempts", zap.Error(err))
	}
	claimed := 0
	for claimed < claimBatch && ctx.Err() == nil {
		ids, err := p.store.claimDue(ctx, claimLease, probeJobs)
		if err != nil && len(ids) == 0 {
			if ctx.Err() == nil {
				p.log.Warn("claim due sessions", zap.Error(err))
			}
			break
		}
		var wg sync.WaitGroup
		for _, id := range ids {
			wg.Go(func() {
				if err := p.reconciler.Reconcile(ctx, id); err != nil && ctx.Err() == nil {
					p.log.Warn("probe: reconcile failed; retrying later", zap.Int64("requestId", id), zap.Error(err))
					p.retryLater(ctx, id, err)
				}
			})
		}
		wg.Wait()
		claimed += len(ids)
		if len(ids) < probeJobs {
			break
		}
	}
	for _, sweep := range p.sweeps {
		sweep(ctx)
	}
	return claimed
}

// failuresToReport is how many failed queries of a session in a row are said on its order's
// timeline (once) and counted as a session PlacetoPay cannot be asked about.
const failuresToReport = 5

// unreadableToReview is how many answers in a row about a session PlacetoPay may give that
// the gateway cannot read before the session's order goes to review: about an hour and a
// half of them at the backoff below. A PlacetoPay that cannot be reached is waited for
// however long it takes; one that answers what the gateway cannot read may be reporting a
// payment nobody will ever see, and asking again only helps if it changes what it sends.
const unreadableToReview = 10

// retryLater brings a check that failed with cause forward from the claim lease, backing off:
// the first retry comes after min(10 s, the probe interval), each next one twice as late, up
// to an hour. The unreadableToReview-th unreadable answer in a row puts the order in review.
func (p *Prober) retryLater(ctx context.Context, requestID int64, cause error) {
	now := p.cfg.Clock()
	var unreadableErr *UnreadableAnswerError
	unreadable := errors.As(cause, &unreadableErr)
	sess, failures, ok, err := p.store.checkFailed(ctx, requestID, unreadable, min(failedRetry, p.cfg.ProbeInterval), now)
	if err != nil || !ok {
		if err != nil && ctx.Err() == nil {
			p.log.Warn("probe: reschedule", zap.Error(err))
		}
		return
	}
	p.metrics.queryFailures.Inc()
	var unknown *SessionUnknownError
	if errors.As(cause, &unknown) {
		p.sessionUnknown(ctx, requestID, unknown)
		return
	}
	if unreadable && failures.unreadable == unreadableToReview {
		if err := p.reviewUnreadable(ctx, sess, failures.unreadable); err != nil && ctx.Err() == nil {
			p.log.Error("probe: put an order in review for unreadable answers", zap.Int64("requestId", requestID), zap.Error(err))
		}
	}
	if failures.all != failuresToReport {
		return
	}
	msg := fmt.Sprintf("PlacetoPay could not be queried about session %d %d times in a row; the gateway keeps asking, less and less often (next at %s)",
		requestID, failures.all, sess.NextCheckAt.UTC().Format(time.RFC3339))
	if err := p.store.note(ctx, p.store.pool, sess.OrderID, &sess.ID, "query_failing", msg); err != nil {
		p.log.Warn("note failing queries", zap.Error(err))
	}
	p.log.Error("session queries keep failing", zap.Int64("requestId", requestID), zap.Int("failures", failures.all))
}

// tailLimit is how long after its expiry a session whose transaction PlacetoPay still reports
// pending is checked: then the probe gives up on it, says so on the order's timeline, and it
// stays counted in gateway_pending_sessions_past_expiry, whose alert asks a person to look.
const tailLimit = 7 * 24 * time.Hour

// schedule says whether sess stays open and when to look at it next, given PlacetoPay's
// answer info. While a transaction is pending, every probe interval until the expiry plus a
// grace; while nothing is, checks spread out with the session's age up to its expiry, then
// one after the grace (probe_spacing.go: at most abandonedBudget queries for a session nobody
// pays). Past the grace, on a slower tail while PlacetoPay still reports it open or a
// transaction pending, up to tailLimit after its expiry (then gaveUp); never once it is
// final with nothing pending.
func schedule(cfg Config, sess Session, info ProviderSession, now time.Time) (attempt Attempt, next *time.Time, gaveUp bool) {
	pending := false
	for _, pay := range info.Payments {
		pending = pending || pay.Status.pending()
	}
	attempt = sess.Attempt
	if info.Status.final() {
		attempt = AttemptClosed
		if !pending {
			return attempt, nil, false
		}
	}
	interval := cfg.ProbeInterval
	graceEnd := sess.ExpiresAt.Add(cfg.expiryGrace())
	var due time.Time
	switch {
	case pending && now.Before(graceEnd):
		// Due one sweep early, so that the check itself happens within one interval.
		due = now.Add(interval - cfg.checkEarly())
	case now.Before(sess.ExpiresAt):
		due = spacedCheck(cfg, sess, now)
	case now.Before(graceEnd):
		due = graceEnd
	case now.After(sess.ExpiresAt.Add(tailLimit)):
		return AttemptClosed, nil, true
	default:
		// The tail: a quarter of the time since expiry, between one interval and an hour.
		due = now.Add(min(max(now.Sub(sess.ExpiresAt)/4, interval), time.Hour))
	}
	return attempt, &due, false
}
