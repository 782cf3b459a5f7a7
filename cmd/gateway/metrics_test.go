package main

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"os"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// TestMetricsAfterAPayment drives a gateway through payments (one found by its
// notification, one by the probe alone, with a refund), a forged notification and a
// malformed one, then scrapes the admin /metrics: every metric of the catalogue is there
// with its labels and values that follow from what happened, and docs/metrics.md lists
// exactly the gateway_* metrics the scrape shows.
func TestMetricsAfterAPayment(t *testing.T) {
	t.Parallel()
	// The probe's interval is long (1m): the notification, not the probe, finds the first
	// payment, and ?refresh=true finds the second.
	h := newHarness(t, harnessConfig{})
	g := h.gateways[0]

	// A payment PlacetoPay notifies.
	o := h.createOrder(g, "12.34", "")
	s := h.mustCheckout(g, o.ID)
	h.pay(s.RequestID, cardApprove)
	h.waitStatus(g, o.ID, "paid", 15*time.Second)
	h.waitDB("the notification", 10*time.Second, `SELECT count(*) = 1 FROM notifications WHERE request_id = $1`, s.RequestID)

	// A payment whose notification is lost: the probe finds it. Then a full refund.
	h.dropNotifications(1)
	o2 := h.createOrder(g, "5.00", "")
	s2 := h.mustCheckout(g, o2.ID)
	h.pay(s2.RequestID, cardApprove)
	h.order(g, o2.ID, true)
	h.waitStatus(g, o2.ID, "paid", 15*time.Second)
	if code, raw := h.call(g, http.MethodPost, "/v1/orders/"+o2.ID+"/refunds", map[string]any{}); code != http.StatusCreated {
		t.Fatalf("refund = %d %s", code, raw)
	}

	// A forged notification and a malformed one: 400 each.
	forged := fmt.Sprintf(`{"status":{"status":"APPROVED","reason":"00","message":"ok","date":"2026-01-01T00:00:00-05:00"},"requestId":%d,"reference":"x","signature":"sha256:%s"}`,
		s.RequestID, strings.Repeat("ab", 32))
	for _, body := range []string{forged, `{"status":`} {
		resp, err := harnessClient.Post(g.url+"/webhooks/placetopay", "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		_ = resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("POST /webhooks/placetopay %.40s… = %d, want 400", body, resp.StatusCode)
		}
	}

	m := scrape(t, g.admin)
	want := []struct {
		name   string
		labels map[string]string
		check  func(float64) bool
		what   string
	}{
		{"gateway_http_requests_total", map[string]string{"route": "/v1/orders", "method": "POST", "status_class": "2xx"}, eq(2), "2"},
		{"gateway_http_requests_total", map[string]string{"route": "/webhooks/placetopay", "method": "POST", "status_class": "4xx"}, eq(2), "2"},
		{"gateway_http_request_duration_seconds", map[string]string{"route": "/v1/orders/:id/checkout", "method": "POST", "status_class": "2xx"}, eq(2), "2 observations"},
		{"gateway_placetopay_requests_total", map[string]string{"operation": "create_session", "outcome": "ok"}, eq(2), "2"},
		{"gateway_placetopay_requests_total", map[string]string{"operation": "query_session", "outcome": "ok"}, ge(2), ">= 2"},
		{"gateway_placetopay_request_duration_seconds", map[string]string{"operation": "create_session"}, eq(2), "2 observations"},
		{"gateway_placetopay_seed_skew_seconds", nil, func(v float64) bool { return v > -5 && v < 5 }, "within 5s (the sandbox shares the clock)"},
		{"gateway_placetopay_notifications_total", map[string]string{"outcome": "accepted", "algorithm": "sha256"}, eq(1), "1"},
		{"gateway_placetopay_notifications_total", map[string]string{"outcome": "bad_signature", "algorithm": "sha256"}, eq(1), "1"},
		{"gateway_placetopay_notifications_total", map[string]string{"outcome": "malformed", "algorithm": "unknown"}, eq(1), "1"},
		{"gateway_order_transitions_total", map[string]string{"from": "pending", "to": "paid"}, eq(2), "2"},
		{"gateway_approved_amount_minor_total", map[string]string{"currency": "USD"}, eq(1234 + 500), "1734 (12.34 + 5.00 USD)"},
		{"gateway_approval_to_paid_seconds", nil, eq(2), "2 observations"},
		{"gateway_payments_found_by_probe_total", nil, eq(1), "1"},
		{"gateway_reconcile_total", map[string]string{"outcome": "ok"}, ge(2), ">= 2"},
		{"gateway_refunds_total", nil, eq(1), "1"},
		{"gateway_orders_to_review_total", nil, eq(0), "0"},
		{"gateway_orders_in_review", nil, eq(0), "0"},
		{"gateway_pending_sessions", map[string]string{"age": "lt_5m"}, eq(0), "0"},
		{"gateway_pending_sessions", map[string]string{"age": "gt_24h"}, eq(0), "0"},
		{"gateway_pending_sessions_past_expiry", nil, eq(0), "0"},
		{"gateway_outbox_undelivered_events", nil, ge(3), ">= 3 (paid twice, refunded; no merchant URL)"},
		{"gateway_outbox_oldest_undelivered_age_seconds", nil, ge(0), ">= 0"},
		{"gateway_webhook_delivery_attempts_total", map[string]string{"outcome": "delivered"}, eq(0), "0 (no merchant URL)"},
		{"gateway_confirmation_deadline_warnings_total", nil, eq(0), "0"},
		{"gateway_refund_checks_total", map[string]string{"outcome": "external_refund"}, eq(0), "0 (no check is due within the hour after payment)"},
		{"gateway_build_info", map[string]string{"version": version}, eq(1), "1"},
		{"gateway_http_rate_limited_total", map[string]string{"route": "/return/:id"}, eq(0), "0 (nobody went over the limit)"},
		{"gateway_retention_deleted_rows_total", map[string]string{"table": "notifications"}, eq(0), "0 (nothing is old enough)"},
		{"go_goroutines", nil, ge(1), ">= 1"},
		{"process_resident_memory_bytes", nil, ge(1), ">= 1"},
	}
	for _, w := range want {
		got, ok := value(m, w.name, w.labels)
		if !ok {
			t.Errorf("%s%v: no such series", w.name, w.labels)
			continue
		}
		if !w.check(got) {
			t.Errorf("%s%v = %v, want %s", w.name, w.labels, got, w.what)
		}
	}

	// Every label set is what the catalogue says; no label carries an id or an amount.
	labelsOf := map[string][]string{
		"gateway_http_requests_total":                 {"method", "route", "status_class"},
		"gateway_http_request_duration_seconds":       {"method", "route", "status_class"},
		"gateway_placetopay_requests_total":           {"operation", "outcome", "site"},
		"gateway_placetopay_request_duration_seconds": {"operation", "site"},
		"gateway_placetopay_seed_skew_seconds":        {"site"},
		"gateway_placetopay_notifications_total":      {"algorithm", "outcome"},
		"gateway_approved_amount_minor_total":         {"currency"},
		"gateway_pending_sessions":                    {"age"},
		"gateway_webhook_delivery_attempts_total":     {"outcome"},
		"gateway_webhook_endpoint_attempts_total":     {"outcome"},
		"gateway_order_transitions_total":             {"from", "to"},
		"gateway_reconcile_total":                     {"outcome"},
		"gateway_refunds_total":                       {"outcome"},
		"gateway_refund_checks_total":                 {"outcome"},
		"gateway_external_refunds_total":              {"status"},
		"gateway_build_info":                          {"goversion", "version"},
		"gateway_http_rate_limited_total":             {"route"},
		"gateway_actions_recovered_total":             {"action"},
		"gateway_actions_unknown":                     {"kind"},
		"gateway_retention_deleted_rows_total":        {"table"},
	}
	for name, f := range m {
		if !strings.HasPrefix(name, "gateway_") {
			continue
		}
		for _, s := range f.GetMetric() {
			var names []string
			for _, l := range s.GetLabel() {
				names = append(names, l.GetName())
			}
			if !slices.Equal(names, labelsOf[name]) {
				t.Errorf("%s has labels %v, want %v", name, names, labelsOf[name])
			}
		}
	}
	ages := map[string]bool{}
	for _, s := range m["gateway_pending_sessions"].GetMetric() {
		ages[s.GetLabel()[0].GetValue()] = true
	}
	if len(ages) != 5 {
		t.Errorf("gateway_pending_sessions ages %v, want the five buckets", ages)
	}

	// The catalogue lists exactly the gateway_* metrics the gateway exposes. Metrics that
	// this run cannot produce a series for (a vector no event of the run touched) are named
	// here, and must then really be absent, so this list cannot go stale either.
	untouched := []string{"gateway_preauthorization_actions_total", "gateway_external_refunds_total", "gateway_operator_actions_total"}
	var exposed []string
	for name := range m {
		if strings.HasPrefix(name, "gateway_") {
			exposed = append(exposed, name)
		}
	}
	for _, name := range untouched {
		if _, ok := m[name]; ok {
			t.Errorf("%s is exposed after this run: drop it from the untouched list", name)
		}
		exposed = append(exposed, name)
	}
	sort.Strings(exposed)
	documented := catalogue(t)
	if !slices.Equal(documented, exposed) {
		t.Errorf("docs/metrics.md lists %v\nthe gateway exposes %v", documented, exposed)
	}
}

func eq(want float64) func(float64) bool { return func(v float64) bool { return v == want } }
func ge(want float64) func(float64) bool { return func(v float64) bool { return v >= want } }

// scrape reads admin's /metrics in the text format.
func scrape(t *testing.T, admin string) map[string]*dto.MetricFamily {
	t.Helper()
	resp, err := harnessClient.Get(admin + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /metrics = %d, %v", resp.StatusCode, err)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	m, err := p.TextToMetricFamilies(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("parse /metrics: %v", err)
	}
	return m
}

// value is the series of name whose labels include labels (nil: the sum over every series):
// a counter's or gauge's value, a histogram's sample count.
func value(m map[string]*dto.MetricFamily, name string, labels map[string]string) (float64, bool) {
	f, ok := m[name]
	if !ok {
		return 0, false
	}
	var sum float64
	found := false
	for _, s := range f.GetMetric() {
		match := true
		for k, v := range labels {
			has := false
			for _, l := range s.GetLabel() {
				has = has || l.GetName() == k && l.GetValue() == v
			}
			match = match && has
		}
		if !match {
			continue
		}
		found = true
		switch {
		case s.Counter != nil:
			sum += s.GetCounter().GetValue()
		case s.Gauge != nil:
			sum += s.GetGauge().GetValue()
		case s.Histogram != nil:
			sum += float64(s.GetHistogram().GetSampleCount())
		case s.Untyped != nil:
			sum += s.GetUntyped().GetValue()
		}
	}
	return sum, found
}

// catalogue returns the metric names of the tables of docs/metrics.md: the first cell of
// each row, in backquotes.
func catalogue(t *testing.T) []string {
	t.Helper()
	raw, err := os.ReadFile("../../docs/metrics.md")
	if err != nil {
		t.Fatal(err)
	}
	row := regexp.MustCompile("(?m)^\\| `(gateway_[a-z_]+)`")
	var names []string
	for _, sm := range row.FindAllStringSubmatch(string(raw), -1) {
		names = append(names, sm[1])
	}
	sort.Strings(names)
	return slices.Compact(names)
}
