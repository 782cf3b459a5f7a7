package orders

import "github.com/prometheus/client_golang/prometheus"

func (m *paymentMetrics) addTransactionMetrics() {
	m.refunds = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "gateway_refunds_total",
		Help: "Refunds settled, by outcome: succeeded, failed, unknown (PlacetoPay did not answer; resolved by a session query).",
	}, []string{"outcome"})
	m.preauthActions = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "gateway_preauthorization_actions_total",
		Help: "Preauthorization capture, reauthorize and release requests, by action and outcome.",
	}, []string{"action", "outcome"})
	m.confirmWarnings = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "gateway_confirmation_deadline_warnings_total",
		Help: "Payments awaiting the merchant's confirmation whose confirmation window closes soon.",
	})
}
