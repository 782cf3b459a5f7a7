package endpoints

import "github.com/prometheus/client_golang/prometheus"

// Metrics are the webhook endpoints' metrics. They are registered whether or not any
// endpoint exists, so that the series exist (at zero) for dashboards and alerts.
type Metrics struct {
	autoDisabled prometheus.Gauge
	attempts     *prometheus.CounterVec
}

// NewMetrics registers the endpoint metrics with reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		autoDisabled: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "gateway_webhook_endpoints_auto_disabled",
			Help: "Webhook endpoints the gateway disabled because every attempt failed for the configured span (GATEWAY_ENDPOINT_DISABLE_AFTER); an operator enables them again.",
		}),
		attempts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "gateway_webhook_endpoint_attempts_total",
			Help: "Attempts to deliver an event to a webhook endpoint (not the default one), by outcome: delivered (2xx) or failed (retried later).",
		}, []string{"outcome"}),
	}
	for _, o := range []string{"delivered", "failed"} {
		m.attempts.WithLabelValues(o)
	}
	reg.MustRegister(m.autoDisabled, m.attempts)
	return m
}

func (m *Metrics) attempt(outcome string) {
	if m != nil {
		m.attempts.WithLabelValues(outcome).Inc()
	}
}

func (m *Metrics) setAutoDisabled(n int64) {
	if m != nil {
		m.autoDisabled.Set(float64(n))
	}
}
