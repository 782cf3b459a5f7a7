package main

import (
	"encoding/json"
	"fmt"
	"math"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestDashboardQueriesReturnData runs a real Prometheus (the pinned one the Makefile installs
// into bin/tools/) scraping two gateways every 200 ms through a scripted run: payments
// approved and a card declined, one found by the probe with its notification dropped, a forged
// notification, and a gateway with a wrong PlacetoPay secret. Then every query of the
// Grafana dashboard must return at least one series with a number, so no panel is empty
// because of a misnamed metric, a label the gateway does not export or a series it never
// starts.
func TestDashboardQueriesReturnData(t *testing.T) {
	bin, err := filepath.Abs(filepath.Join("..", "..", "bin", "tools", "prometheus"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(bin); err != nil {
		t.Fatalf("prometheus is missing from bin/tools/ (run make test, or make tools): %v", err)
	}
	t.Parallel()
	h := newHarness(t, harnessConfig{probeInterval: time.Second})
	g := h.gateways[0]

	// A second gateway on the same database whose PlacetoPay secret is wrong: its calls end
	// in authentication failures.
	badEnv := []string{
		"DATABASE_URL=" + h.dbURL, "GATEWAY_ADDR=127.0.0.1:0", "GATEWAY_ADMIN_ADDR=127.0.0.1:0",
		"GATEWAY_API_KEYS=" + merchantAPIKey, "GATEWAY_PUBLIC_URL=" + gatewayPublicURL,
		"PLACETOPAY_BASE_URL=" + h.sandboxURL, "PLACETOPAY_LOGIN=" + placetopayLogin,
		"PLACETOPAY_SECRET_KEY=not-the-secret-key", "GATEWAY_PROBE_INTERVAL=1m",
	}
	_, badAddrs, stopBad := startRun(t, nil, badEnv, "public", "admin")
	t.Cleanup(func() { _ = stopBad() })
	waitReady(t, badAddrs["admin"], time.Now().Add(30*time.Second))
	bad := &runningGateway{url: "http://" + badAddrs["public"], admin: "http://" + badAddrs["admin"]}

	promURL := startPrometheus(t, bin, strings.TrimPrefix(g.admin, "http://"), badAddrs["admin"])

	// The scripted run, while Prometheus scrapes.
	paid := h.createOrder(g, "41.00", "")
	h.pay(h.mustCheckout(g, paid.ID).RequestID, cardApprove)
	h.waitStatus(g, paid.ID, "paid", 10*time.Second)
	declined := h.createOrder(g, "17.00", "")
	h.pay(h.mustCheckout(g, declined.ID).RequestID, cardDeny)
	h.dropNotifications(1)
	probed := h.createOrder(g, "9.50", "")
	h.pay(h.mustCheckout(g, probed.ID).RequestID, cardApprove)
	h.waitStatus(g, probed.ID, "paid", 10*time.Second)
	h.dropNotifications(0)
	forged := `{"status":{"status":"APPROVED","reason":"00","message":"ok","date":"2026-11-23T10:00:00-05:00"},"requestId":1,"reference":"x","signature":"sha256:00"}`
	if resp, err := harnessClient.Post(g.url+"/webhooks/placetopay", "application/json", strings.NewReader(forged)); err != nil {
		t.Fatal(err)
	} else if resp.Body.Close(); resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("forged notification = %d, want 400", resp.StatusCode)
	}
	o := h.createOrder(bad, "5.00", "")
	if code, raw := h.checkout(bad, o.ID, nil); code < 400 {
		t.Fatalf("checkout through the gateway with a wrong secret = %d %s, want an error", code, raw)
	}

	queries := dashboardQueries(t)
	if len(queries) < 20 {
		t.Fatalf("%d dashboard queries, want the whole dashboard", len(queries))
	}
	// Every query must see data from this run: wait for a few more scrapes, then ask.
	deadline := time.Now().Add(30 * time.Second)
	for _, q := range queries {
		for {
			n, why := promNumbers(t, promURL, q.expr)
			if n > 0 {
				break
			}
			if time.Now().After(deadline) {
				t.Errorf("panel %q: %s returns no data: %s", q.panel, q.expr, why)
				break
			}
			time.Sleep(200 * time.Millisecond)
		}
	}
}

type dashboardQuery struct{ panel, expr string }

// dashboardQueries reads every target of the dashboard, with Grafana's variables replaced
// by windows that hold several of this test's scrapes.
func dashboardQueries(t *testing.T) []dashboardQuery {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("..", "..", "deploy", "grafana", "dashboards", "gateway.json"))
	if err != nil {
		t.Fatal(err)
	}
	var d struct {
		Panels []struct {
			Title   string `json:"title"`
			Targets []struct {
				Expr string `json:"expr"`
			} `json:"targets"`
		} `json:"panels"`
	}
	if err := json.Unmarshal(raw, &d); err != nil {
		t.Fatal(err)
	}
	vars := strings.NewReplacer("$__rate_interval", "1m", "$__interval", "1m", "$__range", "1h", "$site", ".*")
	var out []dashboardQuery
	for _, p := range d.Panels {
		for _, tg := range p.Targets {
			if tg.Expr != "" {
				out = append(out, dashboardQuery{panel: p.Title, expr: vars.Replace(tg.Expr)})
			}
		}
	}
	return out
}

// startPrometheus runs Prometheus scraping the given admin listeners every 200 ms and
// returns its URL once it is ready.
func startPrometheus(t *testing.T, bin string, targets ...string) string {
	t.Helper()
	dir := t.TempDir()
	quoted := make([]string, len(targets))
	for i, a := range targets {
		quoted[i] = strconv.Quote(a)
	}
	cfg := fmt.Sprintf("global:\n  scrape_interval: 200ms\n  evaluation_interval: 1s\nscrape_configs:\n"+
		"  - job_name: gateway\n    metrics_path: /metrics\n    static_configs:\n      - targets: [%s]\n", strings.Join(quoted, ", "))
	if err := os.WriteFile(filepath.Join(dir, "prometheus.yml"), []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	cmd := exec.Command(bin, "--config.file="+filepath.Join(dir, "prometheus.yml"),
		"--storage.tsdb.path="+filepath.Join(dir, "data"), "--web.listen-address="+addr)
	logs := &syncBuffer{}
	cmd.Stdout, cmd.Stderr = logs, logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		if t.Failed() {
			out := logs.String()
			if len(out) > 3000 {
				out = "…" + out[len(out)-3000:]
			}
			t.Logf("prometheus log tail:\n%s", out)
		}
	})
	// Ready, and scraping every target: Prometheus applies discovered targets only every few
	// seconds, and a series first scraped after the run would show no rate.
	base := "http://" + addr
	deadline := time.Now().Add(30 * time.Second)
	for {
		if n, _ := promNumbers(t, base, `sum(up)`); n == 1 {
			if up, _ := promValue(t, base, `sum(up)`); up == float64(len(targets)) {
				return base
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("prometheus never scraped all %d targets", len(targets))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// promValue is the value of a query that returns one series.
func promValue(t *testing.T, base, expr string) (float64, bool) {
	t.Helper()
	resp, err := harnessClient.Get(base + "/api/v1/query?query=" + url.QueryEscape(expr))
	if err != nil {
		return 0, false
	}
	defer resp.Body.Close()
	var out struct {
		Data struct {
			Result []struct {
				Value [2]any `json:"value"`
			} `json:"result"`
		} `json:"data"`
	}
	if json.NewDecoder(resp.Body).Decode(&out) != nil || len(out.Data.Result) != 1 {
		return 0, false
	}
	s, _ := out.Data.Result[0].Value[1].(string)
	v, err := strconv.ParseFloat(s, 64)
	return v, err == nil
}

// promNumbers runs an instant query and counts the series whose value is a number (not
// NaN: a quantile over a window with no observations).
func promNumbers(t *testing.T, base, expr string) (int, string) {
	t.Helper()
	resp, err := harnessClient.Get(base + "/api/v1/query?query=" + url.QueryEscape(expr))
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	var out struct {
		Status string `json:"status"`
		Error  string `json:"error"`
		Data   struct {
			ResultType string `json:"resultType"`
			Result     []struct {
				Value [2]any `json:"value"`
			} `json:"result"`
		} `json:"data"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		return 0, err.Error()
	}
	if out.Status != "success" {
		return 0, "query failed: " + out.Error
	}
	n := 0
	for _, r := range out.Data.Result {
		s, _ := r.Value[1].(string)
		if v, err := strconv.ParseFloat(s, 64); err == nil && !math.IsNaN(v) {
			n++
		}
	}
	return n, fmt.Sprintf("%d series, none with a number", len(out.Data.Result))
}
