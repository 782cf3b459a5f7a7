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
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/placetopay-gateway/gateway/internal/loadtest"
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
	out          string
	skipPgbench  bool
	profile      bool
}

func main() {
	var o options
	flag.StringVar(&o.bin, "bin", "bin/gateway", "the gateway binary")
	flag.StringVar(&o.databaseURL, "database-url", os.Getenv("DATABASE_URL"), "a database the run may drop and recreate (and another with the suffix _pgbench)")
	flag.StringVar(&o.dir, "dir", "", "where the processes' logs go (default: a new temporary directory)")
	flag.DurationVar(&o.duration, "duration", 20*time.Second, "length of each load phase")
	flag.IntVar(&o.concurrency, "concurrency", 16, "closed-loop concurrency (flows in flight)")
	flag.Float64Var(&o.rate, "rate", 0, "open-loop rate of create-order + checkout, per second (0: half the target, 0.125 × the pgbench rate)")
	flag.Float64Var(&o.notifyRate, "notify-rate", 2500, "open-loop rate of the notification phase, per second")
	flag.DurationVar(&o.notifyFor, "notify-duration", 10*time.Second, "length of the notification phase")
	flag.DurationVar(&o.pgbenchFor, "pgbench-duration", 15*time.Second, "length of the pgbench run")
	flag.IntVar(&o.pgbenchConns, "pgbench-clients", 8, "pgbench clients")
	flag.StringVar(&o.probe, "probe-interval", "1m", "the gateway's GATEWAY_PROBE_INTERVAL: approvals must reach it by notification")
	flag.StringVar(&o.out, "out", "", "also write the report, as Markdown, to this file")
	flag.BoolVar(&o.skipPgbench, "skip-pgbench", false, "do not run pgbench (no ratio is printed)")
	flag.BoolVar(&o.profile, "profile", false, "run the gateway with GATEWAY_PPROF=true and save a CPU profile of each phase in -dir")
	flag.Parse()
	if o.databaseURL == "" {
		fmt.Fprintln(os.Stderr, "loadgen: set DATABASE_URL or -database-url (make bench does)")
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, o, os.Stdout)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "loadgen:", err)
		os.Exit(1)
	}
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

	if !o.skipPgbench {
		fmt.Fprintln(stdout, "loadgen: pgbench with one flow's inserts and updates ...")
		res, err := runPgbench(ctx, o)
		if err != nil {
			return fmt.Errorf("pgbench: %w", err)
		}
		r.pgbench = res
		fmt.Fprintf(stdout, "loadgen: pgbench %.0f tps\n", res.TPS)
	}
	if err := loadtest.RecreateDatabase(ctx, o.databaseURL); err != nil {
		return err
	}
	if err := runLoad(ctx, o, r, stdout); err != nil {
		return err
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
