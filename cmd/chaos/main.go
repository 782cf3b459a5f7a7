// Command chaos checks that the gateway loses no payment, refund or capture and invents
// none while things break: it runs several gateway replicas on one private Postgres, behind
// a balancer, with the sandbox dropping, duplicating and forging notifications; it kills a
// replica with SIGKILL and restarts it every few seconds, and also while some refunds and
// captures are with PlacetoPay, and crashes Postgres once mid-run (or, with -failover, kills
// a primary and promotes its standby), while it pays orders with
// approving, declining and pending cards, refunds some of them in full or in part and
// captures some preauthorizations. Then it compares the database with the sandbox's own
// record of what it approved, refunded and captured, prints the counts, and exits 1 on any
// violation.
//
//	chaos -bin bin/gateway -payments 1000
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
)

type options struct {
	bin         string
	dir         string
	payments    int
	replicas    int
	concurrency int
	killEvery   time.Duration
	settle      time.Duration
	seed        uint64
	drop        float64
	duplicate   float64
	forge       float64
	probe       string
	timeout     time.Duration // the gateways' PLACETOPAY_TIMEOUT
	slowActions time.Duration // how long PlacetoPay may take over a transaction action
	aimEvery    int           // one action in this many has its replica killed while PlacetoPay is asked
	outage      string        // "", error or hang: a PlacetoPay outage when half the payments are through
	outageFor   time.Duration
	failover    string        // "", sync or async: the primary killed and a standby promoted instead of the crash
	standbyLag  time.Duration // how late the standby gets the primary's WAL
}

func main() {
	var o options
	flag.StringVar(&o.bin, "bin", "bin/gateway", "the gateway binary")
	flag.StringVar(&o.dir, "dir", "", "where the cluster and the logs go (default: a new temporary directory)")
	flag.IntVar(&o.payments, "payments", 1000, "payments to make")
	flag.IntVar(&o.replicas, "replicas", 3, "gateway replicas on the one database")
	flag.IntVar(&o.concurrency, "concurrency", 32, "payments in flight")
	flag.DurationVar(&o.killEvery, "kill-every", 3*time.Second, "SIGKILL one replica (in turn) this often, and restart it")
	flag.DurationVar(&o.settle, "settle", 2*time.Minute, "how long the gateways get, after the last payment, to learn every outcome")
	flag.Uint64Var(&o.seed, "seed", uint64(time.Now().UnixNano()), "seed of the sandbox's notification faults and the card mix")
	flag.Float64Var(&o.drop, "drop", 0.30, "share of notifications the sandbox drops")
	flag.Float64Var(&o.duplicate, "duplicate", 0.10, "share of notifications the sandbox sends twice")
	flag.Float64Var(&o.forge, "forge", 0.05, "share of notifications the sandbox signs with a wrong secret (forged)")
	flag.StringVar(&o.probe, "probe-interval", "1s", "the gateways' GATEWAY_PROBE_INTERVAL: how soon they query a session no notification told them about")
	flag.DurationVar(&o.timeout, "placetopay-timeout", 2*time.Second, "the gateways' PLACETOPAY_TIMEOUT; an action a killed replica left is checked 2 × this + 5 s after it was asked")
	flag.DurationVar(&o.slowActions, "slow-actions", 1500*time.Millisecond, "hold each refund, capture or other transaction action up to this long on its way to and from the sandbox, as PlacetoPay's own time")
	flag.IntVar(&o.aimEvery, "aim-every", 5, "kill the replica asked for one refund or capture in this many while PlacetoPay is asked (0: never)")
	flag.StringVar(&o.outage, "outage", "", "error or hang: when half the payments are through, every PlacetoPay call fails (503) or hangs for -outage-for; checkouts must answer 502 within twice -placetopay-timeout and each order get one session once PlacetoPay is back (\"\": no outage)")
	flag.DurationVar(&o.outageFor, "outage-for", 60*time.Second, "how long the -outage lasts")
	flag.StringVar(&o.failover, "failover", "", "sync or async: run on a primary and a standby (synchronous or asynchronous) through a multi-host DATABASE_URL, and when 40% of the payments are through kill the primary and promote the standby instead of crashing Postgres; prints the time to recover and the transactions the promotion lost (\"\": one Postgres, crashed once)")
	flag.DurationVar(&o.standbyLag, "standby-lag", 0, "with -failover: deliver the primary's WAL to the standby this late (a proxy between them), as to a distant or lagging standby; what it has not delivered when the primary dies is lost with it")
	flag.Parse()
	if o.failover != "" && o.failover != "sync" && o.failover != "async" {
		fmt.Fprintln(os.Stderr, "chaos: -failover must be sync or async")
		os.Exit(2)
	}
	if o.outage != "" && o.outage != "error" && o.outage != "hang" {
		fmt.Fprintln(os.Stderr, "chaos: -outage must be error or hang")
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	ok, err := run(ctx, o, os.Stdout)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "chaos:", err)
		os.Exit(2)
	}
	if !ok {
		os.Exit(1)
	}
}

func say(w io.Writer, format string, args ...any) {
	fmt.Fprintf(w, "chaos: "+format+"\n", args...)
}
