package deploy

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// metricNames are the metrics the gateway exports (docs/metrics.md); dashboard and alert
// queries may use only these, the go_* and process_* collectors, and the _bucket, _sum and
// _count series of the histograms.
var metricNames = map[string]bool{
	"gateway_http_requests_total":                   false,
	"gateway_http_request_duration_seconds":         true, // true: a histogram
	"gateway_order_transitions_total":               false,
	"gateway_orders_to_review_total":                false,
	"gateway_reconcile_total":                       false,
	"gateway_refunds_total":                         false,
	"gateway_external_refunds_total":                false,
	"gateway_refund_checks_total":                   false,
	"gateway_preauthorization_actions_total":        false,
	"gateway_confirmation_deadline_warnings_total":  false,
	"gateway_build_info":                            false,
	"gateway_placetopay_requests_total":             false,
	"gateway_placetopay_request_duration_seconds":   true,
	"gateway_placetopay_seed_skew_seconds":          false,
	"gateway_placetopay_notifications_total":        false,
	"gateway_approved_amount_minor_total":           false,
	"gateway_orders_in_review":                      false,
	"gateway_pending_sessions":                      false,
	"gateway_pending_sessions_past_expiry":          false,
	"gateway_session_query_failures_total":          false,
	"gateway_actions_recovered_total":               false,
	"gateway_actions_unknown":                       false,
	"gateway_actions_unknown_oldest_age_seconds":    false,
	"gateway_sessions_query_failing":                false,
	"gateway_sessions_answer_unreadable":            false,
	"gateway_sessions_unknown":                      false,
	"gateway_approval_to_paid_seconds":              true,
	"gateway_payments_found_by_probe_total":         false,
	"gateway_outbox_undelivered_events":             false,
	"gateway_outbox_oldest_undelivered_age_seconds": false,
	"gateway_webhook_delivery_attempts_total":       false,
	"gateway_delivery_paused":                       false,
	"gateway_webhook_endpoints_auto_disabled":       false,
	"gateway_webhook_endpoint_attempts_total":       false,
	"gateway_retention_deleted_rows_total":          false,
}

// promqlWords are the functions, aggregations and keywords the queries may use.
var promqlWords = map[string]bool{
	"sum": true, "max": true, "min": true, "avg": true, "count": true, "topk": true,
	"rate": true, "irate": true, "increase": true, "delta": true, "deriv": true,
	"histogram_quantile": true, "abs": true, "vector": true, "clamp_min": true,
	"max_over_time": true, "min_over_time": true, "time": true, "timestamp": true,
	"by": true, "without": true, "and": true, "or": true, "unless": true, "on": true,
	"ignoring": true, "group_left": true, "group_right": true, "bool": true, "offset": true,
}

// promtool returns the path of the pinned promtool the Makefile installs into bin/tools/,
// never one on PATH, so every machine checks with the same version. It is required, not
// optional: a checkout without it fails here.
func promtool(t *testing.T) string {
	t.Helper()
	p, err := filepath.Abs(filepath.Join("..", "bin", "tools", "promtool"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("promtool is missing from bin/tools/ (run make test, or make tools): %v", err)
	}
	return p
}

func runPromtool(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command(promtool(t), args...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("promtool %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

func TestAlertRulesCheck(t *testing.T) {
	out := runPromtool(t, "prometheus", "check", "rules", "alerts.yml")
	if !strings.Contains(out, "SUCCESS") {
		t.Fatalf("promtool check rules did not report success:\n%s", out)
	}
}

func TestAlertRulesUnitTests(t *testing.T) {
	out := runPromtool(t, "prometheus", "test", "rules", "alerts_test.yml")
	if !strings.Contains(out, "SUCCESS") {
		t.Fatalf("promtool test rules did not report success:\n%s", out)
	}
}

type ruleFile struct {
	Groups []struct {
		Name  string `yaml:"name"`
		Rules []struct {
			Alert       string            `yaml:"alert"`
			Record      string            `yaml:"record"`
			Expr        string            `yaml:"expr"`
			For         string            `yaml:"for"`
			Labels      map[string]string `yaml:"labels"`
			Annotations map[string]string `yaml:"annotations"`
		} `yaml:"rules"`
	} `yaml:"groups"`
}

func decodeStrict(t *testing.T, path string, v any) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

// TestAlertsDocumented: every alert carries a severity, a summary, a description and a
// runbook of numbered steps, and every alert has a case in alerts_test.yml.
func TestAlertsDocumented(t *testing.T) {
	var rules ruleFile
	decodeStrict(t, "prometheus/alerts.yml", &rules)
	tests, err := os.ReadFile("prometheus/alerts_test.yml")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, g := range rules.Groups {
		for _, r := range g.Rules {
			if r.Alert == "" {
				continue
			}
			n++
			switch r.Labels["severity"] {
			case "warning", "critical":
			default:
				t.Errorf("%s: severity %q, want warning or critical", r.Alert, r.Labels["severity"])
			}
			for _, a := range []string{"summary", "description", "runbook"} {
				if strings.TrimSpace(r.Annotations[a]) == "" {
					t.Errorf("%s: no %s annotation", r.Alert, a)
				}
			}
			if !strings.Contains(r.Annotations["runbook"], "1. ") || !strings.Contains(r.Annotations["runbook"], "2. ") {
				t.Errorf("%s: the runbook is not a list of steps:\n%s", r.Alert, r.Annotations["runbook"])
			}
			if c := bytes.Count(tests, []byte("alertname: "+r.Alert+"\n")); c < 2 {
				t.Errorf("%s: %d evaluations in alerts_test.yml, want a firing and a silent case", r.Alert, c)
			}
			checkMetricNames(t, "alert "+r.Alert, r.Expr)
		}
	}
	if n < 8 {
		t.Errorf("%d alerts, want at least the 8 of the issue", n)
	}
}

type dashboard struct {
	UID    string  `json:"uid"`
	Title  string  `json:"title"`
	Panels []panel `json:"panels"`
}

type panel struct {
	Type       string      `json:"type"`
	Title      string      `json:"title"`
	Datasource *datasource `json:"datasource"`
	Targets    []struct {
		RefID      string      `json:"refId"`
		Expr       string      `json:"expr"`
		Datasource *datasource `json:"datasource"`
	} `json:"targets"`
	Panels []panel `json:"panels"` // a collapsed row's panels
}

type datasource struct {
	Type string `json:"type"`
	UID  string `json:"uid"`
}

type query struct{ panel, expr string }

func dashboardQueries(t *testing.T) (dashboard, []query) {
	t.Helper()
	b, err := os.ReadFile("grafana/dashboards/gateway.json")
	if err != nil {
		t.Fatal(err)
	}
	var d dashboard
	if err := json.Unmarshal(b, &d); err != nil {
		t.Fatalf("gateway.json: %v", err)
	}
	var qs []query
	var walk func([]panel)
	walk = func(ps []panel) {
		for _, p := range ps {
			walk(p.Panels)
			if p.Type == "row" {
				continue
			}
			if p.Datasource == nil || p.Datasource.UID != "prometheus" {
				t.Errorf("panel %q: datasource %+v, want uid prometheus", p.Title, p.Datasource)
			}
			if len(p.Targets) == 0 {
				t.Errorf("panel %q has no query", p.Title)
			}
			for _, tg := range p.Targets {
				if tg.Datasource != nil && tg.Datasource.UID != "prometheus" {
					t.Errorf("panel %q target %s: datasource %+v", p.Title, tg.RefID, tg.Datasource)
				}
				if strings.TrimSpace(tg.Expr) == "" {
					t.Errorf("panel %q target %s: empty expr", p.Title, tg.RefID)
					continue
				}
				qs = append(qs, query{p.Title + "/" + tg.RefID, tg.Expr})
			}
		}
	}
	walk(d.Panels)
	return d, qs
}

// grafanaVars are the Grafana variables the queries may use, with a value for promtool.
var grafanaVars = strings.NewReplacer("$__rate_interval", "5m", "$__interval", "1m", "$__range", "1h", "$site", ".*")

// TestDashboardQueries writes every dashboard query as a recording rule and has promtool
// check the file, so each must parse as PromQL; and each may name only exported metrics.
func TestDashboardQueries(t *testing.T) {
	d, qs := dashboardQueries(t)
	if d.UID == "" || d.Title == "" {
		t.Errorf("dashboard uid %q title %q", d.UID, d.Title)
	}
	if len(qs) < 20 {
		t.Fatalf("%d queries in the dashboard; the rows need more", len(qs))
	}
	var rules strings.Builder
	rules.WriteString("groups:\n  - name: dashboard\n    rules:\n")
	for i, q := range qs {
		expr := grafanaVars.Replace(q.expr)
		if strings.Contains(expr, "$") {
			t.Errorf("%s: unknown Grafana variable in %s", q.panel, q.expr)
		}
		checkMetricNames(t, "panel "+q.panel, expr)
		js, _ := json.Marshal(expr) // a JSON string is a valid YAML double-quoted scalar
		fmt.Fprintf(&rules, "      - record: dashboard:query_%d\n        expr: %s\n", i, js)
	}
	path := filepath.Join(t.TempDir(), "dashboard_rules.yml")
	if err := os.WriteFile(path, []byte(rules.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	out := runPromtool(t, ".", "check", "rules", path)
	if want := fmt.Sprintf("SUCCESS: %d rules found", len(qs)); !strings.Contains(out, want) {
		t.Fatalf("promtool: want %q in\n%s", want, out)
	}
}

// TestDashboardRows: the rows the issue asks for, in order.
func TestDashboardRows(t *testing.T) {
	d, _ := dashboardQueries(t)
	var rows []string
	for _, p := range d.Panels {
		if p.Type == "row" {
			rows = append(rows, p.Title)
		}
	}
	want := []string{"Traffic", "Payments", "PlacetoPay health", "Reconciliation backlog", "Outbox lag"}
	if strings.Join(rows, "|") != strings.Join(want, "|") {
		t.Errorf("rows %q, want %q", rows, want)
	}
}

var (
	stringLit  = regexp.MustCompile(`"(?:[^"\\]|\\.)*"`)
	matchers   = regexp.MustCompile(`\{[^}]*\}`)
	grouping   = regexp.MustCompile(`\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)`)
	ranges     = regexp.MustCompile(`\[[^\]]*\]`)
	identifier = regexp.MustCompile(`[A-Za-z_:][A-Za-z0-9_:]*`)
)

// checkMetricNames fails for every name in expr that is neither PromQL nor an exported metric.
func checkMetricNames(t *testing.T, where, expr string) {
	t.Helper()
	for _, bad := range unknownNames(expr) {
		t.Errorf("%s: %q is not an exported metric (query %s)", where, bad, expr)
	}
}

func unknownNames(expr string) []string {
	s := stringLit.ReplaceAllString(expr, `""`)
	s = matchers.ReplaceAllString(s, "")
	s = grouping.ReplaceAllString(s, "")
	s = ranges.ReplaceAllString(s, "")
	var bad []string
	for _, id := range identifier.FindAllString(s, -1) {
		if promqlWords[id] || knownMetric(id) {
			continue
		}
		bad = append(bad, id)
	}
	sort.Strings(bad)
	return bad
}

func knownMetric(name string) bool {
	if strings.HasPrefix(name, "go_") || strings.HasPrefix(name, "process_") {
		return true
	}
	if _, ok := metricNames[name]; ok {
		return true
	}
	for _, suffix := range []string{"_bucket", "_sum", "_count"} {
		if base, ok := strings.CutSuffix(name, suffix); ok && metricNames[base] {
			return true
		}
	}
	return false
}

// TestUnknownNames keeps the name check honest: a typo, an unlisted metric or a counter
// queried as a histogram is caught; label names, values and functions are not names.
func TestUnknownNames(t *testing.T) {
	for expr, want := range map[string]string{
		`sum by (outcome) (rate(gateway_reconcile_total{outcome=~"ok|failed"}[5m]))`:                "",
		`histogram_quantile(0.95, sum by (le) (rate(gateway_approval_to_paid_seconds_bucket[5m])))`: "",
		`sum(rate(gateway_placetopay_request_total[5m]))`:                                           "gateway_placetopay_request_total",
		`gateway_orders_in_review + gatway_orders_in_review`:                                        "gatway_orders_in_review",
		`rate(gateway_reconcile_total_bucket[5m])`:                                                  "gateway_reconcile_total_bucket",
		`max(gateway_pending_sessions{age="gt_24h"}) and on (instance) up`:                          "up",
	} {
		if got := strings.Join(unknownNames(expr), ","); got != want {
			t.Errorf("unknownNames(%s) = %q, want %q", expr, got, want)
		}
	}
}
