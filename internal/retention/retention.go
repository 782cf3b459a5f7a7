// Package retention deletes what the gateway keeps only for a while: PlacetoPay's raw
// notifications, the attempts to deliver events to the merchant, events once delivered or
// given up, and Idempotency-Key records. Orders, checkout sessions, payments, refunds,
// recurring charges and the order timeline are the merchant's accounting record: nothing
// here touches them (the statements are all in queries.sql).
package retention

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"

	"github.com/placetopay-gateway/gateway/internal/retention/retentiondb"
)

// Windows are how long each kind of row is kept.
type Windows struct {
	Notifications   time.Duration // a raw notification, from when it was received
	EventDeliveries time.Duration // a delivery attempt, from when it was made
	Events          time.Duration // an event, from when it was delivered or given up
	IdempotencyKeys time.Duration // an Idempotency-Key record, from when it was created
}

// The tables the job deletes from: the values of the metric's table label.
const (
	tableNotifications   = "notifications"
	tableEventDeliveries = "event_deliveries"
	tableEvents          = "events"
	tableIdempotencyKeys = "idempotency_keys"
)

// Job deletes the rows past their windows, a batch at a time. Every replica may run one:
// each batch is picked FOR UPDATE SKIP LOCKED, so passes that run at once delete disjoint
// rows and never wait on each other.
type Job struct {
	pool    *pgxpool.Pool
	q       *retentiondb.Queries
	windows Windows
	log     *zap.Logger
	deleted *prometheus.CounterVec

	// Fixed in production; the package's tests shorten them.
	now   func() time.Time
	batch int32         // rows per statement
	pause time.Duration // between two full batches, so that a backlog is worked off gently
	every time.Duration // between passes
}

// New returns a Job on pool with windows, counting what it deletes in reg.
func New(pool *pgxpool.Pool, windows Windows, log *zap.Logger, reg prometheus.Registerer) *Job {
	if pool == nil || log == nil || reg == nil {
		panic("retention: New needs a pool, a logger and a registry")
	}
	deleted := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "gateway_retention_deleted_rows_total",
		Help: "Rows the retention deleted because they were past their window, by table.",
	}, []string{"table"})
	for _, t := range []string{tableNotifications, tableEventDeliveries, tableEvents, tableIdempotencyKeys} {
		deleted.WithLabelValues(t)
	}
	reg.MustRegister(deleted)
	return &Job{pool: pool, q: retentiondb.New(), windows: windows, log: log, deleted: deleted,
		now: time.Now, batch: 1000, pause: 100 * time.Millisecond, every: time.Hour}
}

// Run runs a pass at once, then one every hour, until ctx ends.
func (j *Job) Run(ctx context.Context) {
	for {
		deleted, err := j.Pass(ctx)
		if ctx.Err() != nil {
			return
		}
		if err != nil {
			j.log.Warn("retention pass failed; the next one retries", zap.Error(err))
		}
		if len(deleted) > 0 {
			fields := make([]zap.Field, 0, len(deleted))
			for table, n := range deleted {
				fields = append(fields, zap.Int64(table, n))
			}
			j.log.Info("deleted rows past their retention", fields...)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(j.every):
		}
	}
}

// Pass deletes every row past its window, table by table, a batch per statement, and
// returns how many rows of each table it deleted (tables with none are left out). It stops
// at the first error, keeping what was deleted until then.
func (j *Job) Pass(ctx context.Context) (map[string]int64, error) {
	deleted := map[string]int64{}
	count := func(table string, n int64) {
		if n > 0 {
			deleted[table] += n
			j.deleted.WithLabelValues(table).Add(float64(n))
		}
	}
	now := j.now()
	steps := []struct {
		table  string
		before time.Time
		delete func(p batch) (int64, error)
	}{
		// Events first: their attempts go with them.
		{tableEvents, now.Add(-j.windows.Events), func(p batch) (int64, error) {
			row, err := j.q.DeleteEvents(ctx, j.pool, retentiondb.DeleteEventsParams(p))
			count(tableEventDeliveries, row.Attempts)
			return row.Events, err
		}},
		{tableEventDeliveries, now.Add(-j.windows.EventDeliveries), func(p batch) (int64, error) {
			return j.q.DeleteEventDeliveries(ctx, j.pool, retentiondb.DeleteEventDeliveriesParams(p))
		}},
		{tableNotifications, now.Add(-j.windows.Notifications), func(p batch) (int64, error) {
			return j.q.DeleteNotifications(ctx, j.pool, retentiondb.DeleteNotificationsParams(p))
		}},
		{tableIdempotencyKeys, now.Add(-j.windows.IdempotencyKeys), func(p batch) (int64, error) {
			return j.q.DeleteIdempotencyKeys(ctx, j.pool, retentiondb.DeleteIdempotencyKeysParams(p))
		}},
	}
	for _, s := range steps {
		for {
			n, err := s.delete(batch{Before: s.before, MaxRows: j.batch})
			count(s.table, n)
			if err != nil {
				return deleted, fmt.Errorf("retention: delete from %s: %w", s.table, err)
			}
			if n < int64(j.batch) {
				break
			}
			select {
			case <-ctx.Done():
				return deleted, ctx.Err()
			case <-time.After(j.pause):
			}
		}
	}
	return deleted, nil
}

// batch is what every delete statement takes: the cutoff and how many rows at most.
type batch struct {
	Before  time.Time
	MaxRows int32
}
