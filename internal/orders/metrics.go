package orders

import "github.com/prometheus/client_golang/prometheus"

// paymentMetrics are the money path's counters. Labels are statuses and outcomes, never ids
// or amounts.
type paymentMetrics struct {
	transitions *prometheus.CounterVec
	review      prometheus.Counter
	reconciles  *prometheus.CounterVec
	// The transaction actions (transaction_metrics.go).
	refunds         *prometheus.CounterVec
	preauthActions  *prometheus.CounterVec
	confirmWarnings prometheus.Counter
}

func newPaymentMetrics(reg prometheus.Registerer) *paymentMetrics {
	m := &paymentMetrics{
		transitions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "gateway_order_transitions_total",
			Help: "Order status changes made from PlacetoPay session queries, by from and to status.",
		}, []string{"from", "to"}),
		review: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "gateway_orders_to_review_total",
			Help: "Orders put in review: PlacetoPay approved something that does not match the order.",
		}),
		reconciles: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "gateway_reconcile_total",
			Help: "Session reconciliations (query and apply), by outcome: ok, query_failed, apply_failed.",
		}, []string{"outcome"}),
	}
	m.addTransactionMetrics()
	reg.MustRegister(m.transitions, m.review, m.reconciles, m.refunds, m.preauthActions, m.confirmWarnings)
	return m
}
