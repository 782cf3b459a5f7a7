package orders

import (
	"context"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"go.uber.org/zap"
)

// The probe is the gateway's durable reconciliation queue: each session row carries when it
// is next due (next_check_at). Notifications and returns make a session due now; every
// replica claims due sessions with FOR UPDATE SKIP LOCKED and a lease, so each check runs on
// one replica, and a replica that dies mid-check only delays it by the lease. PlacetoPay
// sends each notification once and never retries it, so this is what guarantees that no
// approved payment goes unseen.

const (
	claimLease  = 60 * time.Second
	claimBatch  = 20
	probeJobs   = 4 // concurrent provider queries per replica
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
	sweeps     []func(context.Context) int
	waker      *Waker
	cfg        Config
	log        *zap.Logger
}

// NewProber returns the probe of store's sessions. Every sweep runs after the sessions'
// checks (Actions.Sweep resolves unknown refunds and warns of closing confirmation windows).
func NewProber(store *Store, reconciler *Reconciler, waker *Waker, cfg Config, log *zap.Logger, sweeps ...func(context.Context) int) *Prober {
	if store == nil || reconciler == nil || waker == nil || log == nil {
		panic("orders: NewProber needs a store, a reconciler, a waker and a logger")
	}
	return &Prober{store: store, reconciler: reconciler, sweeps: sweeps, waker: waker, cfg: cfg.withDefaults(), log: log}
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

// ProbeDue claims up to claimBatch sessions and reconciles them: first those a
// notification asked about, then those due for a routine check. It returns how many it
// claimed.
func (p *Prober) ProbeDue(ctx context.Context) int {
	if err := p.store.abandonStaleAttempts(ctx, p.cfg.Clock().Add(-staleAttempt)); err != nil && ctx.Err() == nil {
		p.log.Warn("abandon stale checkout attempts", zap.Error(err))
	}
	ids, err := p.store.claimDue(ctx, claimLease, claimBatch)
	if err != nil && len(ids) == 0 {
		if ctx.Err() == nil {
			p.log.Warn("claim due sessions", zap.Error(err))
		}
		return 0
	}
	sem := make(chan struct{}, probeJobs)
	var wg sync.WaitGroup
	for _, id := range ids {
		wg.Add(1)
		sem <- struct{}{}
		go func(requestID int64) {
			defer func() { <-sem; wg.Done() }()
			if err := p.reconciler.Reconcile(ctx, requestID); err != nil && ctx.Err() == nil {
				p.log.Warn("probe: reconcile failed; retrying later", zap.Int64("requestId", requestID), zap.Error(err))
				p.retryLater(ctx, requestID)
			}
		}(id)
	}
	wg.Wait()
	for _, sweep := range p.sweeps {
		sweep(ctx)
	}
	return len(ids)
}

// retryLater brings a failed check forward from the claim lease to a short retry.
func (p *Prober) retryLater(ctx context.Context, requestID int64) {
	err := p.store.inTx(ctx, func(tx pgx.Tx) error {
		s, err := p.store.lockSession(ctx, tx, requestID)
		if err != nil {
			return err
		}
		return p.store.setSession(ctx, tx, s, ptr(p.cfg.Clock().Add(min(failedRetry, p.cfg.ProbeInterval))))
	})
	if ok, err := found(err); !ok && err != nil && ctx.Err() == nil {
		p.log.Warn("probe: reschedule", zap.Error(err))
	}
}

// schedule says whether sess stays open and when to look at it next, given PlacetoPay's
// answer info: every probe interval until it expires (plus a grace), then on a slower tail
// while PlacetoPay still reports a pending transaction, and never once it is final with
// nothing pending.
func schedule(cfg Config, sess Session, info ProviderSession, now time.Time) (Attempt, *time.Time) {
	pending := false
	for _, pay := range info.Payments {
		pending = pending || pay.Status.pending()
	}
	attempt := sess.Attempt
	if info.Status.final() {
		attempt = AttemptClosed
		if !pending {
			return attempt, nil
		}
	}
	interval := cfg.ProbeInterval
	grace := max(5*time.Minute, 2*interval)
	if now.Before(sess.ExpiresAt.Add(grace)) {
		// Due one sweep early, so that the check itself happens within one interval.
		next := now.Add(max(interval-cfg.sweepEvery(), interval/2))
		return attempt, &next
	}
	// The tail: a quarter of the time since expiry, between one interval and an hour.
	wait := min(max(now.Sub(sess.ExpiresAt)/4, interval), time.Hour)
	next := now.Add(wait)
	return attempt, &next
}
