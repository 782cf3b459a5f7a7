package orders

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are the money path's counters, shared by its parts. Labels are statuses and
// outcomes, never ids or amounts.
type Metrics struct {
	transitions *prometheus.CounterVec
	review      prometheus.Counter
	reconciles  *prometheus.CounterVec
	// queryFailures counts failed queries of the probe (Prober.retryLater).
	queryFailures prometheus.Counter
	// The transaction actions.
	actionsRecovered *prometheus.CounterVec
	refunds          *prometheus.CounterVec
	preauthActions   *prometheus.CounterVec
	confirmWarnings  prometheus.Counter
	// Orders made paid (Reconciler.countPaid).
	approvedAmount *prometheus.CounterVec
	approvalToPaid prometheus.Histogram
	foundByProbe   prometheus.Counter
	// The refund checks (refund_checks.go).
	externalRefunds *prometheus.CounterVec
	refundChecks    *prometheus.CounterVec
}

// NewMetrics registers the money path's metrics on reg (a private registry when nil).
func NewMetrics(reg prometheus.Registerer) *Metrics {
	if reg == nil {
		reg = prometheus.NewRegistry()
	}
	m := &Metrics{
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
		queryFailures: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "gateway_session_query_failures_total",
			Help: "Probe queries of a session that failed and were rescheduled, each later than the last.",
		}),
		actionsRecovered: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "gateway_actions_recovered_total",
			Help: "Transaction actions left requested by a process that stopped mid-call, made unknown to be resolved by a session query, by action.",
		}, []string{"action"}),
		refunds: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "gateway_refunds_total",
			Help: "Refunds settled, by outcome: succeeded, failed, unknown (PlacetoPay did not answer; resolved by a session query).",
		}, []string{"outcome"}),
		preauthActions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "gateway_preauthorization_actions_total",
			Help: "Preauthorization capture, reauthorize and release requests, by action and outcome.",
		}, []string{"action", "outcome"}),
		confirmWarnings: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "gateway_confirmation_deadline_warnings_total",
			Help: "Payments awaiting the merchant's confirmation whose confirmation window closes soon.",
		}),
		approvedAmount: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "gateway_approved_amount_minor_total",
			Help: "Approved amounts that made orders paid, in minor units of the order's currency, by currency.",
		}, []string{"currency"}),
		approvalToPaid: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "gateway_approval_to_paid_seconds",
			Help:    "Time from PlacetoPay's date of the last approved payment to the order's paid transition.",
			Buckets: []float64{1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600, 4 * 3600, 24 * 3600},
		}),
		foundByProbe: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "gateway_payments_found_by_probe_total",
			Help: "Orders made paid by a session query whose session never received a PlacetoPay notification.",
		}),
		externalRefunds: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "gateway_external_refunds_total",
			Help: "Refunds made outside the gateway (PlacetoPay's panel, or PlacetoPay) found by the refund checks and entered in the ledger, by the order's status after: partially_refunded, refunded, or another it stays in (review).",
		}, []string{"status"}),
		refundChecks: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "gateway_refund_checks_total",
			Help: "Queries of paid sessions made to find refunds made outside the gateway, by outcome: unchanged, external_refund, deferred, stopped, failed.",
		}, []string{"outcome"}),
	}
	for _, outcome := range refundCheckOutcomes {
		m.refundChecks.WithLabelValues(outcome)
	}
	for _, action := range []string{"refund", PreauthCapture, PreauthReauthorize, PreauthRelease, ActionConfirm, ActionCancel} {
		m.actionsRecovered.WithLabelValues(action) // every series exists from the start
	}
	reg.MustRegister(m.transitions, m.review, m.reconciles, m.queryFailures, m.actionsRecovered, m.refunds, m.preauthActions, m.confirmWarnings,
		m.approvedAmount, m.approvalToPaid, m.foundByProbe, m.externalRefunds, m.refundChecks)
	return m
}

// moved counts an order's move from from to o's status, if it moved. Counted before commit:
// a rolled-back transaction overcounts by one, which is the safe side for an alert.
func (m *Metrics) moved(from Status, o *Order) {
	if from == o.Status {
		return
	}
	m.transitions.WithLabelValues(string(from), string(o.Status)).Inc()
	if o.Status == StatusReview {
		m.review.Inc()
	}
}

// countPaid records an order that sess's answer info just made paid, at now: the amount by
// currency, the time since PlacetoPay approved the last payment, and whether the session ever
// received a notification (when it did not, the probe found the payment). Like the
// transition counter it counts before commit.
func (r *Reconciler) countPaid(ctx context.Context, tx pgx.Tx, o *Order, sess Session, info ProviderSession, now time.Time) error {
	r.metrics.approvedAmount.WithLabelValues(o.Amount.Currency).Add(float64(o.PaidMinor))
	var approved time.Time
	for _, pay := range info.Payments {
		if pay.Status == ProviderApproved && pay.Date.After(approved) {
			approved = pay.Date
		}
	}
	if !approved.IsZero() {
		r.metrics.approvalToPaid.Observe(max(now.Sub(approved), 0).Seconds())
	}
	if sess.RequestID == nil {
		return nil
	}
	notified, err := r.store.notified(ctx, tx, *sess.RequestID)
	if err != nil {
		return err
	}
	if !notified {
		r.metrics.foundByProbe.Inc()
	}
	return nil
}
