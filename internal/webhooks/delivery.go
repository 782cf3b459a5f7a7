package webhooks

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
	"go.uber.org/zap"

	"github.com/placetopay-gateway/gateway/internal/webhooks/webhooksdb"
)

// Delivery settings. Each post must end well within the lease, so that a claim only runs
// out when its replica is gone.
const (
	batchSize     = 16               // events claimed, and posted concurrently, per pass
	claimLease    = time.Minute      // how long a claim keeps other replicas off an event
	pollInterval  = time.Second      // pause between passes that found less than a batch
	retryWindow   = 72 * time.Hour   // failed events are retried at least this long after creation
	recordTimeout = 10 * time.Second // writing an attempt's outcome, even during shutdown
)

// Deliverer posts events (about orders and autopay enrolments) to the merchant's webhook URL,
// signed per Standard Webhooks, at least once each. Every replica may run one: passes claim
// events with FOR UPDATE SKIP LOCKED and a lease (see ClaimEvents in queries.sql), so
// concurrent passes never post the same event while its claim holds, and a crashed
// replica's claims are retried when their lease ends. A 2xx answer marks an event delivered; anything else is recorded in
// event_deliveries and retried with capped exponential backoff and jitter, until an attempt
// fails more than three days after the event was created, not counting the time delivery
// was paused: then the event is given up (failed_at). While an operator has delivery paused
// (Pause), no pass claims anything: posts already in flight finish, nothing new is sent, and
// no attempt is spent.
type Deliverer struct {
	pool   *pgxpool.Pool
	q      *webhooksdb.Queries
	url    string
	host   string // the only part of the URL that is logged
	signer *standardwebhooks.Webhook
	client *http.Client
	log    *zap.Logger
	now    func() time.Time
	stats  *DeliveryMetrics

	// Fixed in production; tests shorten them (export_test).
	timeout time.Duration
	lease   time.Duration
	poll    time.Duration
	backoff func(attempt int) time.Duration
}

// Post timeouts. Standard Webhooks recommends giving the receiver 15 to 30 seconds; every
// post must still end well within the claim lease, so that a claim only runs out when its
// replica is gone.
const (
	DefaultTimeout = 15 * time.Second
	MinTimeout     = time.Second
	MaxTimeout     = 30 * time.Second
)

// Endpoint is where events are posted and how: the URL, the signing secret (a Standard
// Webhooks secret, "whsec_" and base64, or otherwise the secret's bytes as the HMAC key) and
// the time one POST may take, connect to body (zero means DefaultTimeout).
type Endpoint struct {
	URL     string
	Secret  string
	Timeout time.Duration
}

// NewDeliverer returns a Deliverer that posts to the endpoint. client may be nil for a
// default client; clock may be nil for time.Now; metrics may be nil. The clock times claims,
// retries and the give-up, and stamps webhook-timestamp.
func NewDeliverer(pool *pgxpool.Pool, ep Endpoint, client *http.Client, log *zap.Logger, clock func() time.Time, metrics *DeliveryMetrics) (*Deliverer, error) {
	if pool == nil || log == nil {
		panic("webhooks: NewDeliverer needs a pool and a logger")
	}
	rawURL := ep.URL
	u, err := url.Parse(rawURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, errors.New("webhooks: the merchant webhook URL must be an absolute http or https URL")
	}
	signer, err := newSigner(ep.Secret)
	if err != nil {
		return nil, err
	}
	timeout := ep.Timeout
	if timeout == 0 {
		timeout = DefaultTimeout
	}
	if timeout < MinTimeout || timeout > MaxTimeout {
		return nil, fmt.Errorf("webhooks: the delivery timeout must be between %s and %s, not %s", MinTimeout, MaxTimeout, timeout)
	}
	if client == nil {
		client = &http.Client{}
	}
	if clock == nil {
		clock = time.Now
	}
	c := *client // a copy, so that the caller's client keeps its redirect policy
	// A redirect is the merchant's misconfiguration; following it would resend the event
	// somewhere else (or as a GET), so the 3xx counts as a failed attempt instead.
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &Deliverer{
		pool: pool, q: webhooksdb.New(), url: rawURL, host: u.Host, signer: signer, client: &c,
		log: log, now: clock, stats: metrics,
		timeout: timeout, lease: claimLease, poll: pollInterval, backoff: Backoff,
	}, nil
}

// Run delivers due events, one pass after another, pausing between passes that found less
// than a full batch, until ctx ends. Posts in flight when ctx ends are cut short and their
// events rescheduled at once, for this or another replica.
func (d *Deliverer) Run(ctx context.Context) {
	d.log.Info("delivering order events to the merchant", zap.String("host", d.host))
	for {
		n, err := d.DeliverDue(ctx)
		if ctx.Err() != nil {
			return
		}
		if err != nil {
			d.log.Warn("merchant event delivery pass failed", zap.Error(err))
		}
		if err == nil && n == batchSize {
			continue // there may be more due right now
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(d.poll):
		}
	}
}

// DeliverDue runs one pass: it claims up to a batch of due events, posts them concurrently
// and records each outcome. It returns how many events it attempted.
func (d *Deliverer) DeliverDue(ctx context.Context) (int, error) {
	now := d.now()
	claimed, err := d.q.ClaimEvents(ctx, d.pool, webhooksdb.ClaimEventsParams{
		Now: now, LeaseUntil: now.Add(d.lease), MaxRows: batchSize,
	})
	if err != nil {
		return 0, fmt.Errorf("webhooks: claim events: %w", err)
	}
	slices.SortFunc(claimed, func(a, b webhooksdb.ClaimEventsRow) int { return cmp.Compare(a.Seq, b.Seq) })
	errs := make([]error, len(claimed))
	var wg sync.WaitGroup
	for i, ev := range claimed {
		wg.Go(func() { errs[i] = d.deliver(ctx, ev) })
	}
	wg.Wait()
	return len(claimed), errors.Join(errs...)
}
