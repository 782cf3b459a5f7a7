package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/placetopay-gateway/gateway/internal/loadtest"
)

const approvingCard = "4110760000000081"

// phase is one measured stretch of load.
type phase struct {
	Name    string
	Mode    string // "closed, 16 in flight" or "open, 40/s"
	Elapsed time.Duration
	Done    int64 // flows completed (notifications accepted)
	Rec     *loadtest.Recorder
	Usage   loadtest.PhaseUsage
	Names   []string // the latencies to report, in order
	// Transactions is how many transactions the gateway's database ran during the phase
	// (each statement outside BEGIN … COMMIT is one); 0 when unknown.
	Transactions int64
}

func (p *phase) rate() float64 { return float64(p.Done) / p.Elapsed.Seconds() }

func runLoad(ctx context.Context, o options, r *report, stdout io.Writer) error {
	// The relay between the sandbox and the gateway listens first: the sandbox needs its
	// address. It times the gateway's answer to each notification.
	rl := loadtest.NewRelay()
	relayURL, stopRelay, err := rl.Listen()
	if err != nil {
		return err
	}
	defer stopRelay()

	var gatewayEnv []string
	if o.profile {
		gatewayEnv = append(gatewayEnv, "GATEWAY_PPROF=true")
	}
	st, err := loadtest.Start(ctx, loadtest.StackConfig{
		Bin: o.bin, DatabaseURL: o.gatewayDatabaseURL(), Replicas: 1, ProbeInterval: o.probe,
		NotifyURL: relayURL + "/webhooks/placetopay", Dir: o.dir, GatewayEnv: gatewayEnv,
	})
	if err != nil {
		return err
	}
	defer st.Stop()
	gw := st.Gateways[0]
	rl.SetTargets(st.URLs())
	client := loadtest.NewClient(st.URLs(), st.APIKey, st.SandboxURL)
	run := strconv.FormatInt(time.Now().Unix()%100000, 36)
	var seq atomic.Int64
	ref := func() string { return "L" + run + "-" + strconv.FormatInt(seq.Add(1), 10) }

	var paid []paidSession
	var paidMu sync.Mutex
	fullFlow := func(ctx context.Context, rec *loadtest.Recorder, start time.Time) bool {
		s, o, ok := openCheckout(ctx, client, rec, ref(), start)
		if !ok {
			return false
		}
		t := time.Now()
		if err := client.Pay(ctx, s.RequestID, approvingCard); err != nil {
			rec.Error(loadtest.Kind(err))
			return false
		}
		rec.Observe("sandbox pay", time.Since(t))
		approved := time.Now()
		wctx, cancel := context.WithTimeout(ctx, 15*time.Second)
		defer cancel()
		if _, err := client.WaitStatus(wctx, o, 10*time.Millisecond, "paid"); err != nil {
			rec.Error(loadtest.Kind(err))
			return false
		}
		rec.Observe("approval to paid", time.Since(approved))
		rec.Observe("flow", time.Since(start))
		paidMu.Lock()
		paid = append(paid, paidSession{requestID: s.RequestID, reference: o.Reference})
		paidMu.Unlock()
		return true
	}
	checkoutOnly := func(ctx context.Context, rec *loadtest.Recorder, start time.Time) bool {
		_, _, ok := openCheckout(ctx, client, rec, ref(), start)
		if ok {
			rec.Observe("create-order + checkout", time.Since(start))
		}
		return ok
	}
	flowNames := []string{"create-order", "checkout", "notification", "approval to paid", "flow"}
	ccNames := []string{"create-order", "checkout", "create-order + checkout"}

	measure := func(name, mode string, names []string, d time.Duration, drive func(*loadtest.Recorder) int64) *phase {
		xacts := dbTransactions(ctx, o.databaseURL)
		fmt.Fprintf(stdout, "loadgen: %s (%s, %s) ...\n", name, mode, d)
		rec := loadtest.NewRecorder()
		rl.Observe(func(d time.Duration, status int, err error) {
			switch {
			case err != nil:
				rec.Error("notification: " + err.Error())
			case status != http.StatusOK:
				rec.Error("notification: http " + strconv.Itoa(status))
				fallthrough
			default:
				rec.Observe("notification", d)
			}
		})
		sampler := loadtest.Sample(gw.Pid())
		var profiled chan error
		if o.profile {
			profiled = make(chan error, 1)
			file := filepath.Join(o.dir, "cpu-"+strings.NewReplacer(" ", "-", ",", "", "+", "and").Replace(name)+".pprof")
			go func() { profiled <- saveProfile(ctx, gw.AdminURL, d-time.Second, file) }()
		}
		t := time.Now()
		done := drive(rec)
		if profiled != nil {
			if err := <-profiled; err != nil {
				fmt.Fprintf(stdout, "loadgen:   profile: %v\n", err)
			}
		}
		p := &phase{Name: name, Mode: mode, Elapsed: time.Since(t), Done: done, Rec: rec, Usage: sampler.Done(), Names: names}
		if before, after := xacts, dbTransactions(ctx, o.databaseURL); before > 0 && after > before {
			p.Transactions = after - before
		}
		rl.Observe(nil)
		r.phases = append(r.phases, p)
		fmt.Fprintf(stdout, "loadgen:   %.1f/s, %d errors, gateway %.0f MB RSS, %.2f cores\n",
			p.rate(), rec.ErrorCount(), float64(p.Usage.MaxRSS)/(1<<20), p.Usage.CPU)
		return p
	}

	// Warm up connections, caches and the JIT-free but allocation-hungry first requests.
	closedLoop(ctx, 4, 3*time.Second, loadtest.NewRecorder(), fullFlow)

	ff := measure("full flows, closed loop", fmt.Sprintf("closed, %d in flight", o.concurrency), flowNames, o.duration,
		func(rec *loadtest.Recorder) int64 { return closedLoop(ctx, o.concurrency, o.duration, rec, fullFlow) })
	r.fullFlows = ff
	cc := measure("create-order + checkout, closed loop", fmt.Sprintf("closed, %d in flight", o.concurrency), ccNames, o.duration,
		func(rec *loadtest.Recorder) int64 {
			return closedLoop(ctx, o.concurrency, o.duration, rec, checkoutOnly)
		})
	r.checkoutCapacity = cc.rate()

	rate := o.rate
	if rate <= 0 {
		rate = 0.125 * r.pgbench.TPS
		if rate <= 0 {
			rate = cc.rate() / 2
		}
	}
	r.openRate = rate
	measure("create-order + checkout, open loop", fmt.Sprintf("open, %.0f/s", rate), ccNames, o.duration,
		func(rec *loadtest.Recorder) int64 { return openLoop(ctx, rate, o.duration, rec, checkoutOnly) })
	// And at half the capacity this machine showed, whatever pgbench said.
	half := cc.rate() / 2
	measure("create-order + checkout, open loop at half capacity", fmt.Sprintf("open, %.0f/s", half), ccNames, o.duration,
		func(rec *loadtest.Recorder) int64 { return openLoop(ctx, half, o.duration, rec, checkoutOnly) })
	measure("full flows, open loop", fmt.Sprintf("open, %.0f/s", rate), flowNames, o.duration,
		func(rec *loadtest.Recorder) int64 { return openLoop(ctx, rate, o.duration, rec, fullFlow) })

	// Notifications for sessions that are paid already, each with its own date so that each
	// is stored as new, as a real one is.
	if len(paid) == 0 {
		return fmt.Errorf("no flow reached paid; see the logs in %s", o.dir)
	}
	rss := int64(0)
	if u, err := loadtest.ReadUsage(gw.Pid()); err == nil {
		rss = u.RSS
	}
	runIntake(ctx, o, r, measure, newNotifier(client, gw.URL+"/webhooks/placetopay", st.Secret, paid), rss)
	r.gatewayPeakRSS = peakRSS(gw.Pid())
	return nil
}

// measureFunc runs one phase: drive puts the load on and returns how many runs succeeded.
type measureFunc func(name, mode string, names []string, d time.Duration, drive func(*loadtest.Recorder) int64) *phase

// dbTransactions is the transactions committed and rolled back in dbURL's database so far
// (pg_stat_database, which backends update about once a second), 0 when it cannot be read.
func dbTransactions(ctx context.Context, dbURL string) int64 {
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		return 0
	}
	defer conn.Close(ctx)
	var n int64
	if err := conn.QueryRow(ctx, `SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = current_database()`).Scan(&n); err != nil {
		return 0
	}
	return n
}

type paidSession struct {
	requestID int64
	reference string
}

// openCheckout creates an order and opens its checkout, recording both steps.
func openCheckout(ctx context.Context, c *loadtest.Client, rec *loadtest.Recorder, ref string, start time.Time) (loadtest.Session, loadtest.Order, bool) {
	o, err := c.CreateOrder(ctx, ref, "59.90", "USD")
	if err != nil {
		rec.Error(loadtest.Kind(err))
		return loadtest.Session{}, o, false
	}
	rec.Observe("create-order", time.Since(start))
	t := time.Now()
	s, err := c.Checkout(ctx, o.ID)
	if err != nil {
		rec.Error(loadtest.Kind(err))
		return s, o, false
	}
	rec.Observe("checkout", time.Since(t))
	return s, o, true
}

// closedLoop runs fn from n workers, each starting again as soon as it is done, for d. It
// returns how many runs succeeded.
func closedLoop(ctx context.Context, n int, d time.Duration, rec *loadtest.Recorder, fn func(context.Context, *loadtest.Recorder, time.Time) bool) int64 {
	deadline := time.Now().Add(d)
	var ok atomic.Int64
	var wg sync.WaitGroup
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil && time.Now().Before(deadline) {
				if fn(ctx, rec, time.Now()) {
					ok.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	return ok.Load()
}

// openLoop starts fn at a fixed rate for d, whatever the answers take (so a slow gateway
// shows as latency, not as a lower offered load). Latencies count from the scheduled start.
// At most 4096 runs are in flight; a run that cannot start is an error "load: too many in flight".
func openLoop(ctx context.Context, rate float64, d time.Duration, rec *loadtest.Recorder, fn func(context.Context, *loadtest.Recorder, time.Time) bool) int64 {
	interval := time.Duration(float64(time.Second) / rate)
	start := time.Now()
	total := int(d.Seconds() * rate)
	sem := make(chan struct{}, 4096)
	var ok atomic.Int64
	var wg sync.WaitGroup
	for i := range total {
		at := start.Add(time.Duration(i) * interval)
		if wait := time.Until(at); wait > 0 {
			select {
			case <-ctx.Done():
				wg.Wait()
				return ok.Load()
			case <-time.After(wait):
			}
		}
		select {
		case sem <- struct{}{}:
		default:
			rec.Error("load: too many in flight")
			continue
		}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			if fn(ctx, rec, at) {
				ok.Add(1)
			}
		}()
	}
	wg.Wait()
	return ok.Load()
}

// saveProfile saves the gateway's CPU profile over the next d in file.
func saveProfile(ctx context.Context, adminURL string, d time.Duration, file string) error {
	secs := max(int(d.Seconds()), 1)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, adminURL+"/debug/pprof/profile?seconds="+strconv.Itoa(secs), nil)
	if err != nil {
		return err
	}
	resp, err := (&http.Client{Timeout: d + 30*time.Second}).Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: %s", req.URL, resp.Status)
	}
	f, err := os.Create(file)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, resp.Body); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func peakRSS(pid int) int64 {
	u, err := loadtest.ReadUsage(pid)
	if err != nil {
		return 0
	}
	return u.PeakRSS
}
