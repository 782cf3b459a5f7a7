package orders

import (
	"context"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"
)

// PendingAgeBuckets are the age label values of gateway_pending_sessions, youngest first.
var PendingAgeBuckets = []string{"lt_5m", "5m_30m", "30m_2h", "2h_24h", "gt_24h"}

// stateQuery reads, in one statement, what the state gauges report. A pending session is one
// PlacetoPay was asked to open (it has a request id) and has not finished: PENDING, or
// APPROVED_PARTIAL while more may be paid. Past expiry means expires_at + 5m has passed: the
// grace PlacetoPay gives a shopper who was already paying.
const stateQuery = `
WITH pending AS (
    SELECT $1::timestamptz - created_at AS age, expires_at
    FROM checkout_sessions
    WHERE request_id IS NOT NULL AND attempt <> 'abandoned' AND status IN ('PENDING', 'APPROVED_PARTIAL')
)
SELECT
    (SELECT count(*) FROM orders WHERE status = 'review'),
    count(*) FILTER (WHERE age < interval '5 minutes'),
    count(*) FILTER (WHERE age >= interval '5 minutes' AND age < interval '30 minutes'),
    count(*) FILTER (WHERE age >= interval '30 minutes' AND age < interval '2 hours'),
    count(*) FILTER (WHERE age >= interval '2 hours' AND age < interval '24 hours'),
    count(*) FILTER (WHERE age >= interval '24 hours'),
    count(*) FILTER (WHERE expires_at + interval '5 minutes' < $1::timestamptz),
    (SELECT count(*) FROM events WHERE delivered_at IS NULL AND failed_at IS NULL),
    (SELECT coalesce(extract(epoch FROM $1::timestamptz - min(created_at)), 0)::float8
        FROM events WHERE delivered_at IS NULL AND failed_at IS NULL),
    (SELECT count(*) FROM checkout_sessions
        WHERE check_failures >= $2 AND attempt IN ('open', 'closed') AND next_check_at IS NOT NULL),
    (SELECT count(*) FROM refunds WHERE status = 'unknown'),
    (SELECT count(*) FROM preauth_actions WHERE status = 'unknown'),
    (SELECT count(*) FROM confirm_actions WHERE status = 'unknown'),
    (SELECT count(*) FROM checkout_sessions
        WHERE unreadable_answers > 0 AND attempt IN ('open', 'closed') AND next_check_at IS NOT NULL),
    (SELECT count(*) FROM checkout_sessions
        WHERE unknown_since IS NOT NULL AND attempt IN ('open', 'closed') AND next_check_at IS NOT NULL),
    (SELECT coalesce(extract(epoch FROM $1::timestamptz - min(updated_at)), 0)::float8 FROM (
        SELECT updated_at FROM refunds WHERE status = 'unknown'
        UNION ALL SELECT updated_at FROM preauth_actions WHERE status = 'unknown'
        UNION ALL SELECT updated_at FROM confirm_actions WHERE status = 'unknown') AS u),
    (SELECT count(*) FROM delivery_pauses WHERE resumed_at IS NULL)
FROM pending`

// StateCollector reports, at each scrape, gauges read from Postgres: orders in review,
// pending sessions by age, sessions past expiry, sessions whose queries keep failing, whose
// answers cannot be read or that PlacetoPay says do not exist, the undelivered outbox and
// whether its delivery is paused. Every replica reports the same database-wide values; query
// them with max(), not sum(). When the query
// fails or takes longer than the timeout, the scrape goes on without these gauges and the
// failure is logged, once until the query succeeds again.
type StateCollector struct {
	pool    *pgxpool.Pool
	log     *zap.Logger
	timeout time.Duration
	clock   func() time.Time

	mu     sync.Mutex
	failed bool

	review, pending, pastExpiry, undelivered, oldest, failing, unknown, unreadable, sessionsUnknown, oldestUnknown, paused *prometheus.Desc
}

var _ prometheus.Collector = (*StateCollector)(nil)

// NewStateCollector returns a collector reading pool with the given per-scrape timeout (2s
// when 0); clock may be nil for time.Now.
func NewStateCollector(pool *pgxpool.Pool, log *zap.Logger, timeout time.Duration, clock func() time.Time) *StateCollector {
	if pool == nil || log == nil {
		panic("orders: NewStateCollector needs a pool and a logger")
	}
	if timeout <= 0 {
		timeout = 2 * time.Second
	}
	if clock == nil {
		clock = time.Now
	}
	return &StateCollector{pool: pool, log: log, timeout: timeout, clock: clock,
		review: prometheus.NewDesc("gateway_orders_in_review",
			"Orders in review now: PlacetoPay approved something that does not match the order.", nil, nil),
		pending: prometheus.NewDesc("gateway_pending_sessions",
			"PlacetoPay sessions not yet finished, by age since creation.", []string{"age"}, nil),
		pastExpiry: prometheus.NewDesc("gateway_pending_sessions_past_expiry",
			"PlacetoPay sessions not yet finished whose expiry plus five minutes has passed.", nil, nil),
		undelivered: prometheus.NewDesc("gateway_outbox_undelivered_events",
			"Order events neither delivered to the merchant nor given up.", nil, nil),
		oldest: prometheus.NewDesc("gateway_outbox_oldest_undelivered_age_seconds",
			"Age of the oldest order event neither delivered nor given up; 0 when there is none.", nil, nil),
		unknown: prometheus.NewDesc("gateway_actions_unknown",
			"Transaction actions whose outcome PlacetoPay did not confirm, still being resolved by session queries or waiting for a person, by kind.", []string{"kind"}, nil),
		oldestUnknown: prometheus.NewDesc("gateway_actions_unknown_oldest_age_seconds",
			"Time since the oldest transaction action with an unknown outcome was last touched; 0 when there is none.", nil, nil),
		failing: prometheus.NewDesc("gateway_sessions_query_failing",
			"Sessions whose PlacetoPay queries failed five or more times in a row (the probe backs off up to an hour).", nil, nil),
		unreadable: prometheus.NewDesc("gateway_sessions_answer_unreadable",
			"Sessions whose latest PlacetoPay answers could not be read (their orders go to review at ten in a row).", nil, nil),
		sessionsUnknown: prometheus.NewDesc("gateway_sessions_unknown",
			"Sessions the gateway opened that PlacetoPay says do not exist, still checked: the credentials, site or environment changed.", nil, nil),
		paused: prometheus.NewDesc("gateway_delivery_paused",
			"1 while an operator has merchant event delivery paused (no replica sends events), else 0.", nil, nil),
	}
}

// Describe implements prometheus.Collector.
func (c *StateCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.review, c.pending, c.pastExpiry, c.undelivered, c.oldest, c.failing, c.unknown, c.unreadable, c.sessionsUnknown, c.oldestUnknown, c.paused} {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (c *StateCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), c.timeout)
	defer cancel()
	var review, pastExpiry, undelivered, failing, unknownRefunds, unknownPreauths, unknownConfirms, unreadable, sessionsUnknown, paused int64
	var buckets [5]int64
	var oldest, oldestUnknown float64
	err := c.pool.QueryRow(ctx, stateQuery, c.clock(), failuresToReport).Scan(&review,
		&buckets[0], &buckets[1], &buckets[2], &buckets[3], &buckets[4], &pastExpiry, &undelivered, &oldest, &failing,
		&unknownRefunds, &unknownPreauths, &unknownConfirms, &unreadable, &sessionsUnknown, &oldestUnknown, &paused)
	c.mu.Lock()
	logIt := err != nil && !c.failed
	c.failed = err != nil
	c.mu.Unlock()
	if err != nil {
		if logIt {
			c.log.Warn("metrics: cannot read the state gauges from the database; they are left out of scrapes until it answers", zap.Error(err))
		}
		return
	}
	ch <- prometheus.MustNewConstMetric(c.review, prometheus.GaugeValue, float64(review))
	for i, age := range PendingAgeBuckets {
		ch <- prometheus.MustNewConstMetric(c.pending, prometheus.GaugeValue, float64(buckets[i]), age)
	}
	ch <- prometheus.MustNewConstMetric(c.pastExpiry, prometheus.GaugeValue, float64(pastExpiry))
	ch <- prometheus.MustNewConstMetric(c.undelivered, prometheus.GaugeValue, float64(undelivered))
	ch <- prometheus.MustNewConstMetric(c.oldest, prometheus.GaugeValue, max(oldest, 0))
	ch <- prometheus.MustNewConstMetric(c.failing, prometheus.GaugeValue, float64(failing))
	ch <- prometheus.MustNewConstMetric(c.unknown, prometheus.GaugeValue, float64(unknownRefunds), "refund")
	ch <- prometheus.MustNewConstMetric(c.unknown, prometheus.GaugeValue, float64(unknownPreauths), "preauthorization")
	ch <- prometheus.MustNewConstMetric(c.unknown, prometheus.GaugeValue, float64(unknownConfirms), "confirmation")
	ch <- prometheus.MustNewConstMetric(c.unreadable, prometheus.GaugeValue, float64(unreadable))
	ch <- prometheus.MustNewConstMetric(c.sessionsUnknown, prometheus.GaugeValue, float64(sessionsUnknown))
	ch <- prometheus.MustNewConstMetric(c.oldestUnknown, prometheus.GaugeValue, max(oldestUnknown, 0))
	ch <- prometheus.MustNewConstMetric(c.paused, prometheus.GaugeValue, float64(min(paused, 1)))
}
