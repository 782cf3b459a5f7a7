package orders

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"go.uber.org/zap"

	"github.com/placetopay-gateway/gateway/internal/orders/ordersdb"
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
)

// RunProber checks due sessions until ctx ends: every quarter probe interval, and at once
// after Wake. A full batch means more may be due: it goes on without waiting, so a backlog
// is worked off at full speed.
func (p *Payments) RunProber(ctx context.Context) {
	tick := time.NewTicker(p.sweepEvery())
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
		case <-p.wake:
		}
	}
}

// sweepEvery is how often the prober looks for due sessions: a quarter of the probe
// interval, between 50 ms and 5 s.
func (p *Payments) sweepEvery() time.Duration {
	return min(max(p.cfg.ProbeInterval/4, 50*time.Millisecond), 5*time.Second)
}

// Wake asks the prober to look for due sessions now.
func (p *Payments) Wake() {
	select {
	case p.wake <- struct{}{}:
	default:
	}
}

// ProbeDue claims up to claimBatch sessions and reconciles them: first those a
// notification asked about, then those due for a routine check. It returns how many it
// claimed.
func (p *Payments) ProbeDue(ctx context.Context) int {
	if _, err := p.store.q.AbandonStaleAttempts(ctx, p.store.pool, p.cfg.Clock().Add(-staleAttempt)); err != nil && ctx.Err() == nil {
		p.log.Warn("abandon stale checkout attempts", zap.Error(err))
	}
	ids, err := p.store.q.ClaimNotifiedSessions(ctx, p.store.pool, ordersdb.ClaimNotifiedSessionsParams{
		LeaseSeconds: claimLease.Seconds(), MaxRows: claimBatch,
	})
	if err == nil && len(ids) < claimBatch {
		var due []*int64
		due, err = p.store.q.ClaimDueSessions(ctx, p.store.pool, ordersdb.ClaimDueSessionsParams{
			LeaseSeconds: claimLease.Seconds(), MaxRows: int32(claimBatch - len(ids)),
		})
		ids = append(ids, due...)
	}
	if err != nil && len(ids) == 0 {
		if ctx.Err() == nil {
			p.log.Warn("claim due sessions", zap.Error(err))
		}
		return 0
	}
	sem := make(chan struct{}, probeJobs)
	var wg sync.WaitGroup
	for _, id := range ids {
		if id == nil {
			continue
		}
		wg.Add(1)
		sem <- struct{}{}
		go func(requestID int64) {
			defer func() { <-sem; wg.Done() }()
			if err := p.Reconcile(ctx, requestID); err != nil && ctx.Err() == nil {
				p.log.Warn("probe: reconcile failed; retrying later", zap.Int64("requestId", requestID), zap.Error(err))
				p.retryLater(ctx, requestID)
			}
		}(*id)
	}
	wg.Wait()
	// The transaction actions' jobs ride on the same sweep, after the sessions.
	p.ResolveUnknownRefunds(ctx)
	p.WarnConfirmationDeadlines(ctx)
	return len(ids)
}

// retryLater brings a failed check forward from the claim lease to a short retry.
func (p *Payments) retryLater(ctx context.Context, requestID int64) {
	err := p.store.inTx(ctx, func(tx pgx.Tx) error {
		s, err := p.store.q.GetSessionByRequestIDForUpdate(ctx, tx, &requestID)
		if err != nil {
			return err
		}
		next := p.cfg.Clock().Add(min(failedRetry, p.cfg.ProbeInterval))
		return p.store.q.UpdateSessionState(ctx, tx, ordersdb.UpdateSessionStateParams{
			ID: s.ID, Status: s.Status, Reason: s.Reason, Message: s.Message, Attempt: s.Attempt, NextCheckAt: &next,
		})
	})
	if err != nil && !errors.Is(err, pgx.ErrNoRows) && ctx.Err() == nil {
		p.log.Warn("probe: reschedule", zap.Error(err))
	}
}

// RefreshOrder queries every session of the order that may still change, now, sharing the
// query with concurrent callers: the browser return and GET ?refresh=true.
func (p *Payments) RefreshOrder(ctx context.Context, orderID uuid.UUID) error {
	ids, err := p.store.q.ListOrderSessionsForCheck(ctx, p.store.pool, orderID)
	if err != nil {
		return err
	}
	var errs []error
	for _, id := range ids {
		if id != nil {
			errs = append(errs, p.Reconcile(ctx, *id))
		}
	}
	return errors.Join(errs...)
}

// Notification is a verified PlacetoPay notification as the inbox stores it.
type Notification struct {
	Kind              string // checkout or recurring
	RequestID         int64
	InternalReference int64
	Reference         string
	Status            string
	Algorithm         string // sha1 or sha256
	DedupeKey         []byte
	Body              []byte
}

// AcceptNotification stores a verified notification raw and, in the same statement, makes
// its session due for a check; the query decides, never the body. duplicate reports a
// notification seen before.
func (p *Payments) AcceptNotification(ctx context.Context, n Notification) (duplicate bool, err error) {
	inserted, err := p.store.q.AcceptNotification(ctx, p.store.pool, ordersdb.AcceptNotificationParams{
		Kind: n.Kind, RequestID: nonZero(n.RequestID), InternalReference: nonZero(n.InternalReference),
		Reference: nullable(n.Reference), Status: n.Status, SignatureAlgorithm: n.Algorithm,
		DedupeKey: n.DedupeKey, Body: n.Body,
	})
	if err != nil {
		return false, fmt.Errorf("orders: accept notification: %w", err)
	}
	p.Wake()
	return !inserted, nil
}

func nonZero(v int64) *int64 {
	if v == 0 {
		return nil
	}
	return &v
}
