package orders

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/placetopay-gateway/gateway/internal/orders/ordersdb"
)

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
	// Orders made paid (countPaid).
	approvedAmount *prometheus.CounterVec
	approvalToPaid prometheus.Histogram
	foundByProbe   prometheus.Counter
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
	m.approvedAmount = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "gateway_approved_amount_minor_total",
		Help: "Approved amounts that made orders paid, in minor units of the order's currency, by currency.",
	}, []string{"currency"})
	m.approvalToPaid = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name:    "gateway_approval_to_paid_seconds",
		Help:    "Time from PlacetoPay's date of the last approved payment to the order's paid transition.",
		Buckets: []float64{1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600, 4 * 3600, 24 * 3600},
	})
	m.foundByProbe = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "gateway_payments_found_by_probe_total",
		Help: "Orders made paid by a session query whose session never received a PlacetoPay notification.",
	})
	m.addTransactionMetrics()
	reg.MustRegister(m.transitions, m.review, m.reconciles, m.refunds, m.preauthActions, m.confirmWarnings,
		m.approvedAmount, m.approvalToPaid, m.foundByProbe)
	return m
}

// countPaid records an order that sess's answer info just made paid, at now: the amount by
// currency, the time since PlacetoPay approved the last payment, and whether the session ever
// received a notification (when it did not, the probe found the payment). Like the
// transition counter it counts before commit.
func (p *Payments) countPaid(ctx context.Context, tx pgx.Tx, o *Order, sess ordersdb.CheckoutSession, info ProviderSession, now time.Time) error {
	p.metrics.approvedAmount.WithLabelValues(o.Amount.Currency).Add(float64(o.PaidMinor))
	var approved time.Time
	for _, pay := range info.Payments {
		if pay.Status == "APPROVED" && pay.Date.After(approved) {
			approved = pay.Date
		}
	}
	if !approved.IsZero() {
		p.metrics.approvalToPaid.Observe(max(now.Sub(approved), 0).Seconds())
	}
	if sess.RequestID == nil {
		return nil
	}
	notified, err := p.store.q.SessionNotified(ctx, tx, *sess.RequestID)
	if err != nil {
		return err
	}
	if !notified {
		p.metrics.foundByProbe.Inc()
	}
	return nil
}
