package sandbox

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"sync"
	"time"
)

// Latency is how long the sandbox takes to answer each PlacetoPay API call, to see how a
// merchant behaves against a PlacetoPay that is far away and sometimes slow. The zero value
// answers at once.
//
// A distribution given by its median and 99th percentile is log-normal, the usual shape of
// service times (most calls near the median, a long right tail): ln(latency) is normal with
// mean ln(P50) and standard deviation ln(P99/P50)/z₀.₉₉. A Fixed latency is the same every
// call.
type Latency struct {
	P50, P99 time.Duration // a log-normal distribution; both set, P99 > P50
	Fixed    time.Duration // or this, every call
	Seed     uint64        // of the draws: the same seed and order of calls, the same latencies
}

// z99 is the standard normal's 99th percentile.
const z99 = 2.3263478740408408

// maxLatency bounds one draw, so that a far tail never holds a connection for long.
const maxLatency = time.Minute

// ParseLatency reads SANDBOX_LATENCY: "p50=600ms,p99=2s" (log-normal), "fixed=200ms", or
// "" (none). Durations are Go durations; anything else is refused with the reason.
func ParseLatency(s string) (Latency, error) {
	var l Latency
	if strings.TrimSpace(s) == "" {
		return l, nil
	}
	seen := map[string]bool{}
	for _, part := range strings.Split(s, ",") {
		key, val, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			return Latency{}, fmt.Errorf("%q is not key=duration; write p50=600ms,p99=2s or fixed=200ms", part)
		}
		if seen[key] {
			return Latency{}, fmt.Errorf("%s is given twice", key)
		}
		seen[key] = true
		d, err := time.ParseDuration(val)
		if err != nil || d <= 0 || d > maxLatency {
			return Latency{}, fmt.Errorf("%s=%s: want a Go duration above 0 and at most %s, such as 600ms", key, val, maxLatency)
		}
		switch key {
		case "p50":
			l.P50 = d
		case "p99":
			l.P99 = d
		case "fixed":
			l.Fixed = d
		default:
			return Latency{}, fmt.Errorf("unknown key %q; the keys are p50 and p99 (together), or fixed", key)
		}
	}
	return l, l.validate()
}

func (l Latency) validate() error {
	switch {
	case l.Fixed < 0 || l.P50 < 0 || l.P99 < 0 || l.Fixed > maxLatency || l.P99 > maxLatency:
		return fmt.Errorf("latencies must be between 0 and %s", maxLatency)
	case l.Fixed > 0 && (l.P50 > 0 || l.P99 > 0):
		return fmt.Errorf("fixed goes alone, without p50 or p99")
	case (l.P50 > 0) != (l.P99 > 0):
		return fmt.Errorf("p50 and p99 go together")
	case l.P50 > 0 && l.P99 <= l.P50:
		return fmt.Errorf("p99 (%s) must be above p50 (%s); for a constant latency write fixed=%s", l.P99, l.P50, l.P50)
	}
	return nil
}

// String writes l as ParseLatency reads it ("" for none).
func (l Latency) String() string {
	switch {
	case l.Fixed > 0:
		return "fixed=" + l.Fixed.String()
	case l.P50 > 0:
		return "p50=" + l.P50.String() + ",p99=" + l.P99.String()
	}
	return ""
}

// latencySource draws the latencies of a Latency; safe for concurrent calls.
type latencySource struct {
	l     Latency
	sigma float64
	mu    sync.Mutex
	rnd   *rand.Rand
}

func newLatencySource(l Latency) *latencySource {
	src := &latencySource{l: l, rnd: rand.New(rand.NewPCG(l.Seed, 0x1a7e))}
	if l.P50 > 0 {
		src.sigma = math.Log(float64(l.P99)/float64(l.P50)) / z99
	}
	return src
}

// draw is the next call's latency.
func (s *latencySource) draw() time.Duration {
	switch {
	case s.l.Fixed > 0:
		return s.l.Fixed
	case s.l.P50 == 0:
		return 0
	}
	s.mu.Lock()
	z := s.rnd.NormFloat64()
	s.mu.Unlock()
	d := time.Duration(float64(s.l.P50) * math.Exp(s.sigma*z))
	return min(d, maxLatency)
}
