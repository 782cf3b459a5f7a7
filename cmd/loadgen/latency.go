package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"github.com/placetopay-gateway/gateway/internal/loadtest"
	"github.com/placetopay-gateway/gateway/internal/orders"
)

// latencyResult is the latency phase: checkouts against a sandbox that answers as slowly as
// PlacetoPay does, many in flight.
type latencyResult struct {
	latency  string // SANDBOX_LATENCY
	inFlight int
	phase    *phase
	// meanProvider is the mean time PlacetoPay took to open a session, as the proxy in front
	// of it measured; littleBound is inFlight / meanProvider, the most flows per second that
	// many in flight can complete when each waits that long (Little's law).
	meanProvider time.Duration
	littleBound  float64
	pool         loadtest.PoolUsage
	conns        int // connections the gateway opened to PlacetoPay during the phase
}

// runLatency runs the latency phase on a stack of its own: a fresh database, the sandbox
// with SANDBOX_LATENCY, and a proxy that times each session it opens, so that what the
// gateway adds to a checkout is its latency minus PlacetoPay's.
func runLatency(ctx context.Context, o options, r *report, stdout io.Writer) error {
	if err := loadtest.RecreateDatabase(ctx, o.databaseURL); err != nil {
		return err
	}
	dir := filepath.Join(o.dir, "latency")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	timer := loadtest.NewProviderTimer()
	timerURL, stopTimer, err := timer.Listen()
	if err != nil {
		return err
	}
	defer stopTimer()
	st, err := loadtest.Start(ctx, loadtest.StackConfig{
		Bin: o.bin, DatabaseURL: o.gatewayDatabaseURL(), Replicas: 1, ProbeInterval: o.probe,
		PlacetoPayURL: timerURL, Dir: dir, SandboxEnv: []string{"SANDBOX_LATENCY=" + o.latency},
	})
	if err != nil {
		return err
	}
	defer st.Stop()
	timer.SetTarget(st.SandboxURL)
	gw := st.Gateways[0]
	client := loadtest.NewClient(st.URLs(), st.APIKey, st.SandboxURL)
	run := strconv.FormatInt(time.Now().Unix()%100000, 36)
	var seq int64
	var mu sync.Mutex
	var providerSum time.Duration
	var providerN int
	flow := func(ctx context.Context, rec *loadtest.Recorder, start time.Time) bool {
		mu.Lock()
		seq++
		ref := "T" + run + "-" + strconv.FormatInt(seq, 10)
		mu.Unlock()
		_, ord, ok := openCheckout(ctx, client, rec, ref, start)
		if !ok {
			return false
		}
		total := time.Since(start)
		rec.Observe("create-order + checkout", total)
		took, ok := timer.Took(ord.Reference)
		if !ok {
			rec.Error("proxy: session not timed")
			return false
		}
		rec.Observe("PlacetoPay (create session)", took)
		rec.Observe("gateway-added (flow minus PlacetoPay)", total-took)
		mu.Lock()
		providerSum += took
		providerN++
		mu.Unlock()
		return true
	}
	fmt.Fprintf(stdout, "loadgen: latency phase: SANDBOX_LATENCY=%s, %d flows in flight (warm-up 3 s) ...\n", o.latency, o.latencyInFlight)
	closedLoop(ctx, 16, 3*time.Second, loadtest.NewRecorder(), flow)
	mu.Lock()
	providerSum, providerN = 0, 0
	mu.Unlock()

	// The flows start spread over a ramp, as shoppers arrive, rather than all at once: 200
	// orders created in the same millisecond would measure a queue that only the first
	// second of the phase has. Flows started during the ramp are not counted.
	ramp := 2 * time.Second
	rec := loadtest.NewRecorder()
	usage := loadtest.Sample(gw.Pid())
	pool := loadtest.SamplePool(gw.AdminURL)
	conns := timer.Conns()
	done := rampedLoop(ctx, o.latencyInFlight, ramp, o.duration, rec, flow)
	p := &phase{
		Name: "create-order + checkout, PlacetoPay latency " + o.latency, Mode: fmt.Sprintf("closed, %d in flight", o.latencyInFlight),
		Elapsed: o.duration, Done: done, Rec: rec, Usage: usage.Done(),
		Names: []string{"create-order", "checkout", "create-order + checkout", "PlacetoPay (create session)", "gateway-added (flow minus PlacetoPay)"},
	}
	res := &latencyResult{latency: o.latency, inFlight: o.latencyInFlight, phase: p, pool: pool.Done(), conns: timer.Conns() - conns}
	if providerN > 0 {
		res.meanProvider = providerSum / time.Duration(providerN)
		res.littleBound = float64(o.latencyInFlight) / res.meanProvider.Seconds()
	}
	r.latency = res
	r.phases = append(r.phases, p)
	fmt.Fprintf(stdout, "loadgen:   %.1f/s of a %.1f/s bound, %d errors, pool: at most %d of %d connections in use, %d waits\n",
		p.rate(), res.littleBound, rec.ErrorCount(), res.pool.MaxAcquired, res.pool.MaxConns, res.pool.Waits)
	return nil
}

// print writes the phase's figures, each line starting with bullet.
func (l *latencyResult) print(w io.Writer, bullet string) {
	fmt.Fprintf(w, bullet+"latency phase: mean PlacetoPay time %s; throughput %.1f/s of the Little's-law bound %d / %s = %.1f/s (%.0f%%)\n",
		loadtest.Ms(l.meanProvider), l.phase.rate(), l.inFlight, loadtest.Ms(l.meanProvider), l.littleBound, 100*l.phase.rate()/max(l.littleBound, 1e-9))
	fmt.Fprintf(w, bullet+"latency phase: connections the gateway opened to PlacetoPay: %d, for %d sessions opened\n", l.conns, l.phase.Rec.Latency("PlacetoPay (create session)").N)
	fmt.Fprintf(w, bullet+"latency phase: database pool: at most %d of %d connections in use (%d samples, every 50 ms), %d requests waited for one (%.3f s in all)\n",
		l.pool.MaxAcquired, l.pool.MaxConns, l.pool.Samples, l.pool.Waits, l.pool.WaitSeconds)
}

// probeCost is the probe's cost for a 30-minute checkout nobody pays, at interval.
func probeCost(interval time.Duration) string {
	plan := orders.PlanAbandoned(interval, 30*time.Minute)
	return fmt.Sprintf("a 30-minute checkout nobody pays costs %d queries at GATEWAY_PROBE_INTERVAL=%s (%d if PlacetoPay rejects it only after the grace); "+
		"an approval is seen within max(%s, %.2f × the session's age)", len(plan.Checks), interval, len(plan.Checks)+1, interval, plan.Factor)
}

// rampedLoop runs fn from n workers, each starting again as soon as it is done; worker i
// starts i·ramp/n in. Runs started before the ramp ends go to a recorder nobody reads; those
// started in the d after it are recorded and, when they succeed, counted.
func rampedLoop(ctx context.Context, n int, ramp, d time.Duration, rec *loadtest.Recorder, fn func(context.Context, *loadtest.Recorder, time.Time) bool) int64 {
	start := time.Now()
	from, until := start.Add(ramp), start.Add(ramp+d)
	discard := loadtest.NewRecorder()
	var ok int64
	var mu sync.Mutex
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			if !sleepUntil(ctx, start.Add(time.Duration(i)*ramp/time.Duration(n))) {
				return
			}
			for ctx.Err() == nil {
				began := time.Now()
				if !began.Before(until) {
					return
				}
				r := rec
				if began.Before(from) {
					r = discard
				}
				if fn(ctx, r, began) && r == rec {
					mu.Lock()
					ok++
					mu.Unlock()
				}
			}
		})
	}
	wg.Wait()
	return ok
}

func sleepUntil(ctx context.Context, t time.Time) bool {
	timer := time.NewTimer(time.Until(t))
	defer timer.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-timer.C:
		return true
	}
}
