package placetopay_test

import (
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/placetopay-gateway/gateway/internal/placetopay"
)

// Metrics counts every call by site, operation and outcome, times only calls that were sent,
// and keeps the last skew.
func TestMetricsObserver(t *testing.T) {
	reg := prometheus.NewPedanticRegistry()
	m := placetopay.NewMetrics(reg)
	m.ObserveCall(placetopay.OpCreateSession, "ok", 200*time.Millisecond)
	m.ObserveCall(placetopay.OpCreateSession, "auth:103", 100*time.Millisecond)
	m.ObserveCall(placetopay.OpQuerySession, "invalid", 0)
	m.ObserveSeedSkew(90 * time.Second)
	m.ObserveSeedSkew(-2 * time.Second)
	m.ForSite("us").ObserveCall(placetopay.OpQuerySession, "ok", 50*time.Millisecond)

	want := `
# HELP gateway_placetopay_requests_total Calls to PlacetoPay, retries included, by site, operation and outcome (ok, failed:<reason>, auth:<code>, http:<status>, timeout, canceled, transport, malformed, invalid, error).
# TYPE gateway_placetopay_requests_total counter
gateway_placetopay_requests_total{operation="create_session",outcome="auth:103",site="default"} 1
gateway_placetopay_requests_total{operation="create_session",outcome="ok",site="default"} 1
gateway_placetopay_requests_total{operation="query_session",outcome="invalid",site="default"} 1
gateway_placetopay_requests_total{operation="query_session",outcome="ok",site="us"} 1
# HELP gateway_placetopay_seed_skew_seconds The last clock skew observed, by site: PlacetoPay's status.date minus the local clock. Authentication fails beyond 300 seconds either way.
# TYPE gateway_placetopay_seed_skew_seconds gauge
gateway_placetopay_seed_skew_seconds{site="default"} -2
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want),
		"gateway_placetopay_requests_total", "gateway_placetopay_seed_skew_seconds"); err != nil {
		t.Error(err)
	}
	if n, err := testutil.GatherAndCount(reg, "gateway_placetopay_request_duration_seconds"); err != nil || n != 2 {
		t.Errorf("duration series = %d, %v; want 2 (create_session of default, query_session of us: the invalid call was never sent)", n, err)
	}
}
