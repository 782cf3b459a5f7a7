package endpoints

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"
	"go.uber.org/zap"

	"github.com/placetopay-gateway/gateway/internal/tokens"
	"github.com/placetopay-gateway/gateway/internal/webhooks"
)

// Delivery settings. Each post must end well within the lease, so that a claim only runs
// out when its replica is gone.
const (
	batchSize     = 16
	claimLease    = time.Minute
	pollInterval  = time.Second
	recordTimeout = 10 * time.Second
	postTimeout   = 15 * time.Second
	// DefaultDisableAfter is how long an endpoint may fail every attempt before the gateway
	// disables it (GATEWAY_ENDPOINT_DISABLE_AFTER).
	DefaultDisableAfter = 72 * time.Hour
)

// DelivererConfig is what a Deliverer needs besides the pool and the key ring.
type DelivererConfig struct {
	Client       *http.Client     // nil: a default client
	Now          func() time.Time // nil: time.Now
	DisableAfter time.Duration    // zero: DefaultDisableAfter
	Log          *zap.Logger
	Metrics      *Metrics // may be nil
	// AllowPrivate lets posts connect to internal addresses (Config.AllowPrivate). Without
	// it every connection is checked as it is made, so a host that resolves to an internal
	// address after the endpoint was created is refused too; the client's Transport must
	// then be an *http.Transport (or nil), and no proxy is used.
	AllowPrivate bool
}

// Deliverer queues new events for the endpoints (FanOut) and posts each endpoint's queue,
// signed per Standard Webhooks with every secret the endpoint has in use. Every replica
// may run one. Each endpoint is delivered on its own: its own claims (FOR UPDATE SKIP
// LOCKED, with a lease, as the default endpoint's deliverer does), its own worker, its own
// back-off, so a slow or failing endpoint never holds back another. Within an endpoint an
// event waits while an earlier event of the same order (or autopay enrolment) is pending
// for it. While an operator has delivery paused (delivery_pauses), nothing is claimed.
type Deliverer struct {
	pool    *pgxpool.Pool
	keys    *tokens.Keyring
	client  *http.Client
	now     func() time.Time
	span    time.Duration
	log     *zap.Logger
	metrics *Metrics

	// Fixed in production; tests shorten them.
	lease   time.Duration
	poll    time.Duration
	timeout time.Duration
	backoff func(attempt int) time.Duration

	mu      sync.Mutex
	running map[uuid.UUID]bool // endpoints with a worker on this replica
}

// NewDeliverer returns a Deliverer.
func NewDeliverer(pool *pgxpool.Pool, keys *tokens.Keyring, cfg DelivererConfig) *Deliverer {
	if pool == nil || keys == nil || cfg.Log == nil {
		panic("endpoints: NewDeliverer needs a pool, a key ring and a logger")
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.DisableAfter == 0 {
		cfg.DisableAfter = DefaultDisableAfter
	}
	client := http.Client{}
	if cfg.Client != nil {
		client = *cfg.Client
	}
	// A redirect is a misconfiguration; following it would resend the event elsewhere.
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	if !cfg.AllowPrivate {
		client.Transport = guardTransport(client.Transport)
	}
	return &Deliverer{pool: pool, keys: keys, client: &client, now: cfg.Now, span: cfg.DisableAfter, log: cfg.Log,
		metrics: cfg.Metrics, lease: claimLease, poll: pollInterval, timeout: postTimeout, backoff: webhooks.Backoff,
		running: map[uuid.UUID]bool{}}
}

// Run fans out and delivers until ctx ends: every poll it queues new events and starts a
// worker for each enabled endpoint that has none on this replica; a worker delivers its
// endpoint's due events batch after batch and ends when a batch comes back short.
func (d *Deliverer) Run(ctx context.Context) {
	var workers sync.WaitGroup
	defer workers.Wait()
	for {
		if err := d.housekeep(ctx); err != nil && ctx.Err() == nil {
			d.log.Warn("webhook endpoints: fan-out failed", zap.Error(err))
		}
		ids, err := d.enabled(ctx)
		if err != nil && ctx.Err() == nil {
			d.log.Warn("webhook endpoints: list failed", zap.Error(err))
		}
		for _, id := range ids {
			d.mu.Lock()
			busy := d.running[id]
			d.running[id] = true
			d.mu.Unlock()
			if busy {
				continue
			}
			workers.Go(func() {
				defer func() { d.mu.Lock(); delete(d.running, id); d.mu.Unlock() }()
				for ctx.Err() == nil {
					n, err := d.deliverEndpoint(ctx, id)
					if err != nil && ctx.Err() == nil {
						d.log.Warn("webhook endpoint delivery pass failed", zap.Stringer("endpoint", id), zap.Error(err))
					}
					if err != nil || n < batchSize {
						return
					}
				}
			})
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(d.poll):
		}
	}
}

// DeliverDue runs one pass: a fan-out, then one batch for every enabled endpoint, the
// endpoints concurrently. It returns how many deliveries it attempted.
func (d *Deliverer) DeliverDue(ctx context.Context) (int, error) {
	if err := d.housekeep(ctx); err != nil {
		return 0, err
	}
	ids, err := d.enabled(ctx)
	if err != nil {
		return 0, err
	}
	counts, errs := make([]int, len(ids)), make([]error, len(ids))
	var wg sync.WaitGroup
	for i, id := range ids {
		wg.Go(func() { counts[i], errs[i] = d.deliverEndpoint(ctx, id) })
	}
	wg.Wait()
	total := 0
	for _, n := range counts {
		total += n
	}
	return total, errors.Join(errs...)
}

// housekeep queues new events and refreshes the auto-disabled gauge.
func (d *Deliverer) housekeep(ctx context.Context) error {
	if _, err := d.FanOut(ctx); err != nil {
		return err
	}
	var n int64
	if err := d.pool.QueryRow(ctx, `SELECT count(*) FROM webhook_endpoints WHERE disabled_auto`).Scan(&n); err != nil {
		return fmt.Errorf("endpoints: count auto-disabled: %w", err)
	}
	d.metrics.setAutoDisabled(n)
	return nil
}

// enabled lists the endpoints events are posted to.
func (d *Deliverer) enabled(ctx context.Context) ([]uuid.UUID, error) {
	rows, err := d.pool.Query(ctx, `SELECT id FROM webhook_endpoints WHERE disabled_at IS NULL ORDER BY created_at, id`)
	if err != nil {
		return nil, fmt.Errorf("endpoints: enabled endpoints: %w", err)
	}
	defer rows.Close()
	var ids []uuid.UUID
	for rows.Next() {
		var id uuid.UUID
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}
