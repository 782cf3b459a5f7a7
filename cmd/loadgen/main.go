// Command loadgen measures the gateway under load on one machine: it starts the sandbox and
// a gateway as separate processes on loopback, measures the database's ceiling for one
// flow's writes with pgbench, then drives complete storefront flows (closed-loop at a
// concurrency and open-loop at a rate) and a stream of signed notifications, and prints
// throughput, latency percentiles, errors by kind, and the gateway's memory and CPU.
//
//	loadgen -bin bin/gateway            # DATABASE_URL names a database it may drop and recreate
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"

	"github.com/placetopay-gateway/gateway/internal/loadtest"
	"github.com/placetopay-gateway/gateway/internal/placetopay/sandbox"
)

type options struct {
	bin          string
	databaseURL  string
	dir          string
	duration     time.Duration
	concurrency  int
	rate         float64
	notifyRate   float64
	notifyFor    time.Duration
	pgbenchFor   time.Duration
	pgbenchConns int
	probe        string
	probeCost    string // what the probe costs at that interval, for the report
	out          string
	skipPgbench  bool
	profile      bool

	latency         string // SANDBOX_LATENCY of the latency phase; "" skips it
	latencyInFlight int
	latencyOnly     bool
	poolMaxConns    int // the gateways' pool_max_conns; 0: pgx's default
}

func main() {
	var o options
	flag.StringVar(&o.bin, "bin", "bin/gateway", "the gateway binary")
	flag.StringVar(&o.databaseURL, "database-url", os.Getenv("DATABASE_URL"), "a database the run may drop and recreate (and another with the suffix _pgbench)")
	flag.StringVar(&o.dir, "dir", "", "where the processes' logs go (default: a new temporary directory)")
	flag.DurationVar(&o.duration, "duration", 20*time.Second, "length of each load phase")
	flag.IntVar(&o.concurrency, "concurrency", 16, "closed-loop concurrency (flows in flight)")
	flag.Float64Var(&o.rate, "rate", 0, "open-loop rate of create-order + checkout, per second (0: half the target, 0.125 × the pgbench rate)")
	flag.Float64Var(&o.notifyRate, "notify-rate", 0, "open-loop rate of the notification phase, per second (0: half the intake's measured capacity)")
	flag.DurationVar(&o.notifyFor, "notify-duration", 10*time.Second, "length of each notification phase (capacity, half of it, twice it)")
	flag.DurationVar(&o.pgbenchFor, "pgbench-duration", 15*time.Second, "length of the pgbench run")
	flag.IntVar(&o.pgbenchConns, "pgbench-clients", 8, "pgbench clients")
	flag.StringVar(&o.probe, "probe-interval", "1m", "the gateway's GATEWAY_PROBE_INTERVAL: approvals must reach it by notification")
	flag.StringVar(&o.out, "out", "", "also write the report, as Markdown, to this file")
	flag.BoolVar(&o.skipPgbench, "skip-pgbench", false, "do not run pgbench (no ratio is printed)")
	flag.BoolVar(&o.profile, "profile", false, "run the gateway with GATEWAY_PPROF=true and save a CPU profile of each phase in -dir")
	flag.StringVar(&o.latency, "latency", "p50=600ms,p99=2s", "SANDBOX_LATENCY of the latency phase, run last on a stack of its own (\"\": no latency phase)")
	flag.IntVar(&o.latencyInFlight, "latency-in-flight", 200, "flows in flight in the latency phase")
	flag.BoolVar(&o.latencyOnly, "latency-only", false, "run only the latency phase (no pgbench, no other phase)")
	flag.IntVar(&o.poolMaxConns, "pool-max-conns", 0, "the gateways' database pool size (pool_max_conns in their DATABASE_URL; 0: pgx's default, the larger of 4 and the CPU count)")
	flag.Parse()
	if _, err := sandbox.ParseLatency(o.latency); err != nil {
		fmt.Fprintln(os.Stderr, "loadgen: -latency:", err)
		os.Exit(2)
	}
	probe, err := time.ParseDuration(o.probe)
	if err != nil || probe <= 0 {
		fmt.Fprintln(os.Stderr, "loadgen: -probe-interval must be a positive Go duration")
		os.Exit(2)
	}
	o.probeCost = probeCost(probe)
	if o.databaseURL == "" {
		fmt.Fprintln(os.Stderr, "loadgen: set DATABASE_URL or -database-url (make bench does)")
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err = run(ctx, o, os.Stdout)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "loadgen:", err)
		os.Exit(1)
	}
}

// gatewayDatabaseURL is the database URL the gateways get: the run's, with -pool-max-conns.
func (o options) gatewayDatabaseURL() string {
	if o.poolMaxConns <= 0 {
		return o.databaseURL
	}
	u, err := url.Parse(o.databaseURL)
	if err != nil {
		return o.databaseURL // the gateway says what is wrong with it
	}
	q := u.Query()
	q.Set("pool_max_conns", strconv.Itoa(o.poolMaxConns))
	u.RawQuery = q.Encode()
	return u.String()
}

func run(ctx context.Context, o options, stdout io.Writer) error {
	if o.dir == "" {
		d, err := os.MkdirTemp("", "loadgen-")
		if err != nil {
			return err
		}
		o.dir = d
	} else if err := os.MkdirAll(o.dir, 0o755); err != nil {
		return err
	}
	r := &report{opts: o, started: time.Now()}
	r.machine = describeMachine()
	fmt.Fprintf(stdout, "loadgen: logs in %s\n", o.dir)
	fmt.Fprintf(stdout, "loadgen: probe cost: %s\n", o.probeCost)

	if !o.skipPgbench && !o.latencyOnly {
		fmt.Fprintln(stdout, "loadgen: pgbench with one flow's writes, then one notification's intake ...")
		res, err := runPgbench(ctx, o)
		if err != nil {
			return fmt.Errorf("pgbench: %w", err)
		}
		r.pgbench = res
		fmt.Fprintf(stdout, "loadgen: pgbench %.0f tps (flow), %.0f tps (notification intake)\n", res.TPS, res.IntakeTPS)
	}
	if !o.latencyOnly {
		if err := loadtest.RecreateDatabase(ctx, o.databaseURL); err != nil {
			return err
		}
		if err := runLoad(ctx, o, r, stdout); err != nil {
			return err
		}
	}
	if o.latency != "" {
		if err := runLatency(ctx, o, r, stdout); err != nil {
			return fmt.Errorf("latency phase: %w", err)
		}
	}
	r.print(stdout)
	if o.out != "" {
		f, err := os.Create(o.out)
		if err != nil {
			return err
		}
		defer f.Close()
		r.markdown(f)
	}
	return nil
}
