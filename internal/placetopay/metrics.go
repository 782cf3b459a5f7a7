package placetopay

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics is an Observer that records the client's calls and the seed skew in Prometheus.
type Metrics struct {
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
	skew     prometheus.Gauge
}

var _ Observer = (*Metrics)(nil)

// NewMetrics registers the client's metrics with reg and returns the Observer that feeds them.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "gateway_placetopay_requests_total",
			Help: "Calls to PlacetoPay, retries included, by operation and outcome (ok, failed:<reason>, auth:<code>, http:<status>, timeout, canceled, transport, malformed, invalid, error).",
		}, []string{"operation", "outcome"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "gateway_placetopay_request_duration_seconds",
			Help:    "Time of calls to PlacetoPay, retries included, by operation.",
			Buckets: []float64{.01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60},
		}, []string{"operation"}),
		skew: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "gateway_placetopay_seed_skew_seconds",
			Help: "The last clock skew observed: PlacetoPay's status.date minus the local clock. Authentication fails beyond 300 seconds either way.",
		}),
	}
	reg.MustRegister(m.requests, m.duration, m.skew)
	return m
}

// ObserveCall implements Observer.
func (m *Metrics) ObserveCall(operation, outcome string, d time.Duration) {
	m.requests.WithLabelValues(operation, outcome).Inc()
	if outcome != "invalid" && outcome != "error" { // never sent: no time to record
		m.duration.WithLabelValues(operation).Observe(d.Seconds())
	}
}

// ObserveSeedSkew implements Observer.
func (m *Metrics) ObserveSeedSkew(d time.Duration) { m.skew.Set(d.Seconds()) }
