package orders_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/placetopay-gateway/gateway/internal/orders"
	"github.com/placetopay-gateway/gateway/internal/pgtest"
)

// The state gauges count what the database holds, bucketed by age at the collector's clock.
func TestStateCollector(t *testing.T) {
	ctx := context.Background()
	pool := pgtest.Pool(t)
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	exec := func(sql string, args ...any) {
		t.Helper()
		if _, err := pool.Exec(ctx, sql, args...); err != nil {
			t.Fatal(err)
		}
	}
	n := 0
	order := func(status string) uuid.UUID {
		n++
		id := uuid.Must(uuid.NewV7())
		exec(`INSERT INTO orders (id, reference, currency, total_minor, status, client_secret_hash) VALUES ($1, $2, 'USD', 100, $3, $4)`,
			id, "COLL-"+strings.Repeat("x", n), status, make([]byte, 32))
		return id
	}
	var requestID int64
	session := func(attempt, status string, age, expiresIn time.Duration) {
		requestID++
		created := now.Add(-age)
		exec(`INSERT INTO checkout_sessions (id, order_id, attempt, request_id, status, currency, total_minor, expires_at, created_at)
			VALUES ($1, $2, $3, $4, $5, 'USD', 100, $6, $7)`,
			uuid.Must(uuid.NewV7()), order("pending"), attempt, requestID, status, created.Add(expiresIn), created)
	}
	event := func(age time.Duration, delivered, failed bool) {
		at := now.Add(-age)
		var d, f *time.Time
		if delivered {
			d = &at
		}
		if failed {
			f = &at
		}
		exec(`INSERT INTO events (id, type, order_id, data, created_at, delivered_at, failed_at) VALUES ($1, 'order.paid', $2, '{}', $3, $4, $5)`,
			uuid.Must(uuid.NewV7()), order("paid"), at, d, f)
	}

	order("review")
	order("review")
	session("open", "PENDING", time.Minute, 15*time.Minute)               // lt_5m
	session("open", "PENDING", 4*time.Minute+59*time.Second, time.Hour)   // lt_5m
	session("open", "PENDING", 5*time.Minute, time.Hour)                  // 5m_30m
	session("closed", "APPROVED_PARTIAL", 20*time.Minute, 10*time.Minute) // 5m_30m, past expiry + 5m
	session("open", "PENDING", time.Hour, 50*time.Minute)                 // 30m_2h, past expiry + 5m
	session("open", "PENDING", 3*time.Hour, 2*time.Hour+56*time.Minute)   // 2h_24h, within the grace
	session("open", "PENDING", 48*time.Hour, 72*time.Hour)                // gt_24h
	session("open", "APPROVED", time.Minute, time.Hour)                   // finished: not counted
	session("closed", "REJECTED", 48*time.Hour, time.Hour)                // finished: not counted
	session("abandoned", "PENDING", 48*time.Hour, time.Hour)              // never opened: not counted
	exec(`INSERT INTO checkout_sessions (id, order_id, attempt, currency, total_minor, expires_at, created_at)
		VALUES ($1, $2, 'creating', 'USD', 100, $3, $3)`, uuid.Must(uuid.NewV7()), order("pending"), now) // no request id yet
	// Queries that keep failing: 5 in a row counts, 4 does not, nor a session no longer checked.
	exec(`UPDATE checkout_sessions SET check_failures = 5, next_check_at = $1 WHERE attempt = 'open' AND status = 'PENDING'
		AND created_at = (SELECT min(created_at) FROM checkout_sessions WHERE attempt = 'open' AND status = 'PENDING')`, now)
	exec(`UPDATE checkout_sessions SET check_failures = 4, next_check_at = $1 WHERE attempt = 'open' AND status = 'APPROVED'`, now)
	exec(`UPDATE checkout_sessions SET check_failures = 9, next_check_at = NULL WHERE attempt = 'closed' AND status = 'REJECTED'`)
	// Unreadable answers: any in a row counts, unless the session is no longer checked.
	exec(`UPDATE checkout_sessions SET check_failures = 1, unreadable_answers = 1, next_check_at = $1 WHERE attempt = 'closed' AND status = 'APPROVED_PARTIAL'`, now)
	exec(`UPDATE checkout_sessions SET unreadable_answers = 3 WHERE attempt = 'closed' AND status = 'REJECTED'`)
	// Sessions PlacetoPay says do not exist: counted while checked.
	exec(`UPDATE checkout_sessions SET unknown_since = $1 WHERE attempt = 'closed' AND status IN ('APPROVED_PARTIAL', 'REJECTED')`, now)
	event(90*time.Second, false, false)
	event(30*time.Second, false, false)
	event(time.Hour, true, false)   // delivered
	event(5*time.Hour, false, true) // given up

	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(orders.NewStateCollector(pool, zap.NewNop(), 0, func() time.Time { return now }))
	want := `
# HELP gateway_orders_in_review Orders in review now: PlacetoPay approved something that does not match the order.
# TYPE gateway_orders_in_review gauge
gateway_orders_in_review 2
# HELP gateway_pending_sessions PlacetoPay sessions not yet finished, by age since creation.
# TYPE gateway_pending_sessions gauge
gateway_pending_sessions{age="lt_5m"} 2
gateway_pending_sessions{age="5m_30m"} 2
gateway_pending_sessions{age="30m_2h"} 1
gateway_pending_sessions{age="2h_24h"} 1
gateway_pending_sessions{age="gt_24h"} 1
# HELP gateway_pending_sessions_past_expiry PlacetoPay sessions not yet finished whose expiry plus five minutes has passed.
# TYPE gateway_pending_sessions_past_expiry gauge
gateway_pending_sessions_past_expiry 2
# HELP gateway_outbox_undelivered_events Order events neither delivered to the merchant nor given up.
# TYPE gateway_outbox_undelivered_events gauge
gateway_outbox_undelivered_events 2
# HELP gateway_outbox_oldest_undelivered_age_seconds Age of the oldest order event neither delivered nor given up; 0 when there is none.
# TYPE gateway_outbox_oldest_undelivered_age_seconds gauge
gateway_outbox_oldest_undelivered_age_seconds 90
# HELP gateway_actions_unknown Transaction actions whose outcome PlacetoPay did not confirm, still being resolved by session queries or waiting for a person, by kind.
# TYPE gateway_actions_unknown gauge
gateway_actions_unknown{kind="confirmation"} 0
gateway_actions_unknown{kind="preauthorization"} 0
gateway_actions_unknown{kind="refund"} 0
# HELP gateway_actions_unknown_oldest_age_seconds Time since the oldest transaction action with an unknown outcome was last touched; 0 when there is none.
# TYPE gateway_actions_unknown_oldest_age_seconds gauge
gateway_actions_unknown_oldest_age_seconds 0
# HELP gateway_sessions_query_failing Sessions whose PlacetoPay queries failed five or more times in a row (the probe backs off up to an hour).
# TYPE gateway_sessions_query_failing gauge
gateway_sessions_query_failing 1
# HELP gateway_sessions_answer_unreadable Sessions whose latest PlacetoPay answers could not be read (their orders go to review at ten in a row).
# TYPE gateway_sessions_answer_unreadable gauge
gateway_sessions_answer_unreadable 1
# HELP gateway_sessions_unknown Sessions the gateway opened that PlacetoPay says do not exist, still checked: the credentials, site or environment changed.
# TYPE gateway_sessions_unknown gauge
gateway_sessions_unknown 1
# HELP gateway_delivery_paused 1 while an operator has merchant event delivery paused (no replica sends events), else 0.
# TYPE gateway_delivery_paused gauge
gateway_delivery_paused 0
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want)); err != nil {
		t.Error(err)
	}

	// A pause an operator has not ended reports 1; one that ended, 0.
	exec(`INSERT INTO delivery_pauses (paused_at, paused_by, reason, resumed_at, resumed_by) VALUES ($1, 'a@shop.test', 'old', $1, 'a@shop.test')`, now.Add(-time.Hour))
	exec(`INSERT INTO delivery_pauses (paused_at, paused_by, reason) VALUES ($1, 'a@shop.test', 'merchant migrating')`, now)
	if got := testutil.ToFloat64(gaugeOf(t, reg, "gateway_delivery_paused")); got != 1 {
		t.Errorf("gateway_delivery_paused while paused = %v, want 1", got)
	}

	// An empty outbox reports an age of 0, not NaN or nothing.
	exec(`UPDATE events SET delivered_at = created_at`)
	if got := testutil.ToFloat64(gaugeOf(t, reg, "gateway_outbox_oldest_undelivered_age_seconds")); got != 0 {
		t.Errorf("oldest undelivered age with an empty outbox = %v, want 0", got)
	}

	// An unknown refund touched two hours ago is two hours old.
	pay := uuid.Must(uuid.NewV7())
	orderID := order("paid")
	exec(`INSERT INTO payments (id, order_id, internal_reference, status, currency, amount_minor) VALUES ($1, $2, 99001, 'APPROVED', 'USD', 100)`, pay, orderID)
	exec(`INSERT INTO refunds (id, order_id, payment_id, currency, amount_minor, status, updated_at) VALUES ($1, $2, $3, 'USD', 100, 'unknown', $4)`,
		uuid.Must(uuid.NewV7()), orderID, pay, now.Add(-2*time.Hour))
	if got := testutil.ToFloat64(gaugeOf(t, reg, "gateway_actions_unknown_oldest_age_seconds")); got != 7200 {
		t.Errorf("oldest unknown action age = %v, want 7200", got)
	}
}

// A database that fails leaves the gauges out of the scrape, which still succeeds, and is
// logged once until it answers again.
func TestStateCollectorDatabaseDown(t *testing.T) {
	pool := pgtest.Pool(t)
	core, logs := observer.New(zap.InfoLevel)
	reg := prometheus.NewRegistry()
	reg.MustRegister(orders.NewStateCollector(pool, zap.New(core), 0, nil))
	pool.Close()
	for range 3 {
		families, err := reg.Gather()
		if err != nil {
			t.Fatalf("scrape failed: %v", err)
		}
		if len(families) != 0 {
			t.Errorf("gathered %d families from a closed pool, want none", len(families))
		}
	}
	if got := logs.Len(); got != 1 {
		t.Errorf("logged %d times, want once", got)
	}
}

// gaugeOf returns the one-series family name of reg as a collector for testutil.ToFloat64.
func gaugeOf(t *testing.T, reg *prometheus.Registry, name string) prometheus.Collector {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() == name {
			return prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: name, Help: "copy"}, func() float64 {
				return f.GetMetric()[0].GetGauge().GetValue()
			})
		}
	}
	t.Fatalf("no %s", name)
	return nil
}
