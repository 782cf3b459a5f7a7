package main

import (
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
)

// poolCollector reads the database pool's statistics at each scrape: how many connections
// are in use against the pool's size, and how often and how long a request waited for one.
// A request that holds a connection while it waits for PlacetoPay would show here as
// acquired connections growing with PlacetoPay's latency, and then as waits.
type poolCollector struct {
	pool                                   *pgxpool.Pool
	acquired, total, maxConns, waits, wait *prometheus.Desc
}

func newPoolCollector(pool *pgxpool.Pool) *poolCollector {
	d := func(name, help string) *prometheus.Desc { return prometheus.NewDesc(name, help, nil, nil) }
	return &poolCollector{
		pool:     pool,
		acquired: d("gateway_db_pool_acquired_connections", "Database connections in use now."),
		total:    d("gateway_db_pool_connections", "Database connections open now, in use or idle."),
		maxConns: d("gateway_db_pool_max_connections", "The most database connections the pool opens."),
		waits:    d("gateway_db_pool_empty_acquires_total", "Requests for a database connection that had to wait for one."),
		wait:     d("gateway_db_pool_empty_acquire_wait_seconds_total", "Time spent waiting for a database connection."),
	}
}

func (c *poolCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.acquired, c.total, c.maxConns, c.waits, c.wait} {
		ch <- d
	}
}

func (c *poolCollector) Collect(ch chan<- prometheus.Metric) {
	s := c.pool.Stat()
	ch <- prometheus.MustNewConstMetric(c.acquired, prometheus.GaugeValue, float64(s.AcquiredConns()))
	ch <- prometheus.MustNewConstMetric(c.total, prometheus.GaugeValue, float64(s.TotalConns()))
	ch <- prometheus.MustNewConstMetric(c.maxConns, prometheus.GaugeValue, float64(s.MaxConns()))
	ch <- prometheus.MustNewConstMetric(c.waits, prometheus.CounterValue, float64(s.EmptyAcquireCount()))
	ch <- prometheus.MustNewConstMetric(c.wait, prometheus.CounterValue, s.EmptyAcquireWaitTime().Seconds())
}
