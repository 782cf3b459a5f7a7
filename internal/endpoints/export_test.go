package endpoints

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// SetBackoff replaces the back-off, so that a test decides when a retry is due.
func (d *Deliverer) SetBackoff(f func(attempt int) time.Duration) { d.backoff = f }

// AutoDisabledGauge is the gauge, for tests to read.
func (m *Metrics) AutoDisabledGauge() interface{ Desc() *prometheus.Desc } { return m.autoDisabled }
