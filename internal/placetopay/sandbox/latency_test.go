package sandbox

import (
	"fmt"
	"math"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestParseLatencyIsStrict: SANDBOX_LATENCY takes p50 and p99 together, or fixed alone,
// each once, each a positive Go duration, and says what is wrong with anything else.
func TestParseLatencyIsStrict(t *testing.T) {
	for _, tc := range []struct {
		in, want, err string
	}{
		{in: "", want: ""},
		{in: "p50=600ms,p99=2s", want: "p50=600ms,p99=2s"},
		{in: " p99=2s , p50=600ms ", want: "p50=600ms,p99=2s"},
		{in: "fixed=200ms", want: "fixed=200ms"},
		{in: "p50=600ms", err: "p50 and p99 go together"},
		{in: "p99=2s", err: "p50 and p99 go together"},
		{in: "p50=2s,p99=600ms", err: "p99 (600ms) must be above p50 (2s)"},
		{in: "p50=1s,p99=1s", err: "fixed=1s"},
		{in: "fixed=200ms,p50=1s,p99=2s", err: "fixed goes alone"},
		{in: "p50=600,p99=2s", err: "p50=600: want a Go duration"},
		{in: "p50=-1s,p99=2s", err: "want a Go duration above 0"},
		{in: "p50=1s,p99=2h", err: "at most 1m0s"},
		{in: "p50=1s,p50=2s", err: "p50 is given twice"},
		{in: "p90=1s", err: `unknown key "p90"`},
		{in: "600ms", err: "not key=duration"},
		{in: "p50=1s,", err: "not key=duration"},
	} {
		t.Run(tc.in, func(t *testing.T) {
			l, err := ParseLatency(tc.in)
			switch {
			case tc.err == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case tc.err == "" && l.String() != tc.want:
				t.Errorf("read as %q, want %q", l.String(), tc.want)
			case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
				t.Errorf("error %v, want one saying %q", err, tc.err)
			}
		})
	}
}

// TestLatencyDrawsFitTheirPercentiles: the draws of a p50/p99 latency have that median and
// that 99th percentile (within a few percent over 100 000 seeded draws), and the same seed
// draws the same latencies.
func TestLatencyDrawsFitTheirPercentiles(t *testing.T) {
	l := Latency{P50: 600 * time.Millisecond, P99: 2 * time.Second, Seed: 42}
	draws := make([]time.Duration, 100_000)
	src := newLatencySource(l)
	for i := range draws {
		draws[i] = src.draw()
	}
	again := newLatencySource(l)
	for i := range 100 {
		if d := again.draw(); d != draws[i] {
			t.Fatalf("draw %d with the same seed: %s, then %s", i, draws[i], d)
		}
	}
	slices.Sort(draws)
	within(t, "p50", draws[len(draws)/2], l.P50, 0.03)
	within(t, "p99", draws[len(draws)*99/100], l.P99, 0.05)
	if fixed := newLatencySource(Latency{Fixed: 200 * time.Millisecond}).draw(); fixed != 200*time.Millisecond {
		t.Errorf("fixed latency drew %s", fixed)
	}
}

func within(t *testing.T, name string, got, want time.Duration, tolerance float64) {
	t.Helper()
	if math.Abs(float64(got-want)) > tolerance*float64(want) {
		t.Errorf("%s = %s, want %s ± %.0f%%", name, got, want, tolerance*100)
	}
}

// TestLatencyHoldsEveryAPICall: over HTTP, every PlacetoPay API call is answered no sooner
// than the latency it drew, which its Sandbox-Latency header tells; the drawn latencies have
// the configured median; the control API and the hosted page are not held.
func TestLatencyHoldsEveryAPICall(t *testing.T) {
	l := Latency{P50: 2 * time.Millisecond, P99: 8 * time.Millisecond, Seed: 7}
	h := newHarness(t, func(c *Config) { c.Latency = l })
	id, processURL := h.create(basicSession("LAT-1"))
	var drawn []time.Duration
	for range 200 {
		start := time.Now()
		r := h.api(fmt.Sprintf("/api/session/%d", id), nil).want(t, http.StatusOK)
		took := time.Since(start)
		d, err := time.ParseDuration(r.Resp.Header.Get(latencyHeader))
		if err != nil {
			t.Fatalf("%s header %q: %v", latencyHeader, r.Resp.Header.Get(latencyHeader), err)
		}
		if took < d {
			t.Fatalf("answered in %s, before the %s latency it drew", took, d)
		}
		drawn = append(drawn, d)
	}
	slices.Sort(drawn)
	within(t, "median over HTTP", drawn[len(drawn)/2], l.P50, 0.25)
	if top := drawn[len(drawn)-1]; top < 4*time.Millisecond || top > 20*time.Millisecond {
		t.Errorf("the slowest of 200 calls drew %s, want between 4ms and 20ms (p99 is 8ms)", top)
	}
	for _, path := range []string{"/sandbox/clock", "/sandbox/cards", strings.TrimPrefix(processURL, h.url)} {
		if r := h.send(http.MethodGet, path, "", nil); r.Resp.Header.Get(latencyHeader) != "" {
			t.Errorf("GET %s was held %s; only API calls are", path, r.Resp.Header.Get(latencyHeader))
		}
	}
}

// TestFixedLatency: fixed=… holds every call the same time.
func TestFixedLatency(t *testing.T) {
	h := newHarness(t, func(c *Config) { c.Latency = Latency{Fixed: 3 * time.Millisecond} })
	id, _ := h.create(basicSession("LAT-2"))
	for range 5 {
		if got := h.query(id).Resp.Header.Get(latencyHeader); got != "3ms" {
			t.Errorf("%s = %q, want 3ms", latencyHeader, got)
		}
	}
}

// TestNewRefusesAnInvalidLatency: a Latency built by hand is checked as SANDBOX_LATENCY is.
func TestNewRefusesAnInvalidLatency(t *testing.T) {
	_, err := New(Config{Login: testLogin, SecretKey: testSecret, Latency: Latency{P50: time.Second}})
	if err == nil || !strings.Contains(err.Error(), "p50 and p99 go together") {
		t.Errorf("New: %v, want the latency refused", err)
	}
}
