package webhooks

import "github.com/prometheus/client_golang/prometheus"

// DeliveryMetrics counts merchant event delivery attempts. It is registered whether or not a
// merchant webhook URL is set, so that the series exist (at zero) for dashboards and alerts.
type DeliveryMetrics struct {
	attempts *prometheus.CounterVec
}

// NewDeliveryMetrics registers the delivery metrics with reg.
func NewDeliveryMetrics(reg prometheus.Registerer) *DeliveryMetrics {
	m := &DeliveryMetrics{attempts: prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "gateway_webhook_delivery_attempts_total",
		Help: "Merchant event delivery attempts, by outcome: delivered (2xx), failed (retried later), gave_up (failed after the three-day retry window).",
	}, []string{"outcome"})}
	for _, o := range []string{"delivered", "failed", "gave_up"} {
		m.attempts.WithLabelValues(o)
	}
	reg.MustRegister(m.attempts)
	return m
}

// attempt counts one attempt; m may be nil.
func (m *DeliveryMetrics) attempt(outcome string) {
	if m != nil {
		m.attempts.WithLabelValues(outcome).Inc()
	}
}
