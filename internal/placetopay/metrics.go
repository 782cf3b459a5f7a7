package placetopay

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics records the calls to PlacetoPay and the seed skew in Prometheus, each labelled
// with the site called. It is the default site's Observer; ForSite gives another site's.
// Site names come only from the configuration, so the label stays bounded.
type Metrics struct {
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
	skew     *prometheus.GaugeVec
	site     string
}

var _ Observer = (*Metrics)(nil)

// DefaultSite is the label of the site the PLACETOPAY_* settings configure.
const DefaultSite = "default"

// NewMetrics registers the client's metrics with reg and returns the default site's
// Observer that feeds them.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "gateway_placetopay_requests_total",
			Help: "Calls to PlacetoPay, retries included, by site, operation and outcome (ok, failed:<reason>, auth:<code>, http:<status>, timeout, canceled, transport, malformed, invalid, error).",
		}, []string{"site", "operation", "outcome"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "gateway_placetopay_request_duration_seconds",
			Help:    "Time of calls to PlacetoPay, retries included, by site and operation.",
			Buckets: []float64{.01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60},
		}, []string{"site", "operation"}),
		skew: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "gateway_placetopay_seed_skew_seconds",
			Help: "The last clock skew observed, by site: PlacetoPay's status.date minus the local clock. Authentication fails beyond 300 seconds either way.",
		}, []string{"site"}),
		site: DefaultSite,
	}
	reg.MustRegister(m.requests, m.duration, m.skew)
	return m
}

// ForSite returns the Observer of the named site, on the same metrics.
func (m *Metrics) ForSite(name string) *Metrics {
	c := *m
	c.site = name
	return &c
}

// ObserveCall implements Observer.
func (m *Metrics) ObserveCall(operation, outcome string, d time.Duration) {
	m.requests.WithLabelValues(m.site, operation, outcome).Inc()
	if outcome != "invalid" && outcome != "error" { // never sent: no time to record
		m.duration.WithLabelValues(m.site, operation).Observe(d.Seconds())
	}
}

// ObserveSeedSkew implements Observer.
func (m *Metrics) ObserveSeedSkew(d time.Duration) { m.skew.WithLabelValues(m.site).Set(d.Seconds()) }
