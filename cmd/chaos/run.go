package main

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/placetopay-gateway/gateway/internal/loadtest"
	"github.com/placetopay-gateway/gateway/internal/placetopay/sandbox"
)

func run(ctx context.Context, o options, stdout io.Writer) (bool, error) {
	if o.dir == "" {
		d, err := os.MkdirTemp("", "chaos-")
		if err != nil {
			return false, err
		}
		o.dir = d
	}
	if err := os.MkdirAll(o.dir, 0o755); err != nil {
		return false, err
	}
	if err := os.Chmod(o.dir, 0o755); err != nil {
		return false, err
	}
	pgChaos := "Postgres crashed once"
	if o.failover != "" {
		pgChaos = "Postgres failed over once to " + map[string]string{"sync": "a synchronous", "async": "an asynchronous"}[o.failover] + " standby"
	}
	say(stdout, "%d payments, %d replicas, one killed every %s, %s; notifications %.0f%% dropped, %.0f%% duplicated, %.0f%% forged; seed %d; logs in %s",
		o.payments, o.replicas, o.killEvery, pgChaos, o.drop*100, o.duplicate*100, o.forge*100, o.seed, o.dir)
	say(stdout, "transaction actions held up to %s by PlacetoPay; PLACETOPAY_TIMEOUT=%s, so an action a killed replica left is checked %s after it was asked; one refund or capture in %d has its replica killed while it is asked",
		o.slowActions, o.timeout, 2*o.timeout+5*time.Second, o.aimEvery)

	// One Postgres that is crashed and restarted; or, with -failover, a primary and a
	// standby that is promoted when the primary is killed.
	var pg *loadtest.Postgres
	var fo *failover
	var dbURL string
	var err error
	if o.failover != "" {
		if fo, err = startFailover(o.dir, o.failover, o.standbyLag); err != nil {
			return false, err
		}
		defer func() {
			if err := fo.stop(); err != nil {
				say(stdout, "stop Postgres: %v", err)
			}
		}()
		dbURL = fo.url("gateway")
		say(stdout, "failover: primary %s, %s standby %s (WAL delivered %s late); DATABASE_URL=%s",
			fo.primary.Addr(), o.failover, fo.standby.Addr(), o.standbyLag, dbURL)
	} else {
		if pg, err = loadtest.StartPostgres(filepath.Join(o.dir, "pgdata")); err != nil {
			return false, err
		}
		defer func() {
			if err := pg.Stop(); err != nil {
				say(stdout, "stop Postgres: %v", err)
			}
		}()
		dbURL = pg.URL("gateway")
	}
	if err := loadtest.RecreateDatabase(ctx, dbURL); err != nil {
		return false, err
	}
	db, err := pgxpool.New(ctx, dbURL)
	if err != nil {
		return false, err
	}
	defer db.Close()

	// PlacetoPay posts to one address: a balancer in front of the replicas.
	lb := loadtest.NewRelay()
	lbURL, stopLB, err := lb.Listen()
	if err != nil {
		return false, err
	}
	defer stopLB()
	notifyURL := lbURL + "/webhooks/placetopay"

	// PlacetoPay takes its time over refunds and captures: a proxy in front of the sandbox.
	slow := loadtest.NewSlowActions(o.slowActions, o.seed)
	slowURL, stopSlow, err := slow.Listen()
	if err != nil {
		return false, err
	}
	defer stopSlow()

	st, err := loadtest.Start(ctx, loadtest.StackConfig{
		Bin: o.bin, DatabaseURL: dbURL, Replicas: o.replicas, ProbeInterval: o.probe,
		NotifyURL: notifyURL, PlacetoPayURL: slowURL, Dir: o.dir,
		GatewayEnv: []string{"PLACETOPAY_TIMEOUT=" + o.timeout.String()},
	})
	if err != nil {
		return false, err
	}
	defer st.Stop()
	slow.SetTarget(st.SandboxURL)
	lb.SetTargets(st.URLs())
	client := loadtest.NewClient(st.URLs(), st.APIKey, st.SandboxURL)
	if err := client.Sandbox.SetFaults(ctx, sandbox.Faults{Drop: o.drop, Duplicate: o.duplicate, Corrupt: o.forge, Seed: o.seed}); err != nil {
		return false, err
	}
	client.Retry = 3 * time.Minute // longer than an idempotency lease left by a killed replica

	// The chaos: a replica killed and restarted every killEvery, and others while some
	// actions are asked, and Postgres crashed once when 40% of the payments are through.
	k := newKiller(st.Gateways, stdout)
	stopChaos := make(chan struct{})
	var chaosDone sync.WaitGroup
	chaosDone.Add(1)
	go func() {
		defer chaosDone.Done()
		k.every(o.killEvery, stopChaos)
	}()
	var done atomic.Int64
	pgRestarted := make(chan error, 1)
	var pgOnce sync.Once
	rnd := rand.New(rand.NewPCG(o.seed, 0xc4a05))
	run := strconv.FormatUint(o.seed%1_000_000, 36)
	crashPostgres := func() {
		pgOnce.Do(func() {
			go func() {
				if fo != nil {
					if ctx.Err() == nil { // not when the run was interrupted
						fo.run(ctx, stdout, client, "X"+run+"-failover")
					}
					pgRestarted <- nil
					return
				}
				say(stdout, "crashing Postgres (immediate shutdown) and starting it again")
				pgRestarted <- pg.Restart()
			}()
		})
	}

	payments := make([]*payment, o.payments)
	for i := range payments {
		payments[i] = &payment{plan: planFor(rnd, o.aimEvery), reference: "X" + run + "-" + strconv.Itoa(i), minor: int64(1000 + i%9000)}
	}
	f := &flows{client: client, db: db, killer: k, notifyURL: notifyURL, secret: st.Secret, forged: &forgeries{}}
	var out *outage
	var outageDone sync.WaitGroup
	if o.outage != "" {
		out = &outage{mode: o.outage, length: o.outageFor, timeout: o.timeout, client: client, db: db, prefix: "X" + run + "-outage"}
	}
	startOutage := func() {
		if out != nil {
			outageDone.Go(func() { out.run(ctx, stdout) })
		}
	}
	jobs := make(chan int)
	var wg sync.WaitGroup
	began := time.Now()
	for range o.concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				f.pay(ctx, payments[i])
				switch done.Add(1) {
				case int64(o.payments * 2 / 5):
					crashPostgres()
				case int64(o.payments / 2):
					startOutage()
				}
			}
		}()
	}
	for i := range payments {
		if ctx.Err() != nil {
			break
		}
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	outageDone.Wait()
	crashPostgres() // in case the run was too small to reach it
	close(stopChaos)
	chaosDone.Wait()
	k.wait()
	if err := <-pgRestarted; err != nil {
		return false, fmt.Errorf("restart Postgres: %w", err)
	}
	say(stdout, "%d payments made in %.1f s; %d replica kills (%d aimed at an action)", len(payments), time.Since(began).Seconds(), k.kills.Load(), k.aimed.Load())

	// Every replica up again; then the pending cards resolve (their delay is 2 sandbox minutes).
	for _, g := range st.Gateways {
		if g.Pid() == 0 {
			if err := g.Start(); err != nil {
				return false, err
			}
		}
		if err := g.WaitReady(ctx, 60*time.Second); err != nil {
			return false, err
		}
	}
	if err := client.Sandbox.Advance(ctx, 3*time.Minute); err != nil {
		return false, err
	}

	// The gateways learn the outcomes from notifications and their own probe, and resolve the
	// actions a killed replica left with session queries; give them until everything the
	// sandbox did is settled, or settle runs out.
	settling := time.Now()
	deadline := settling.Add(o.settle)
	var res *result
	for {
		res, err = check(ctx, db, client.Sandbox, payments, f.forged)
		if err == nil && res.settled() || time.Now().After(deadline) || ctx.Err() != nil {
			break
		}
		time.Sleep(time.Second)
	}
	if err != nil {
		return false, err
	}
	res.kills, res.aimed, res.slow, res.settling = k.kills.Load(), k.aimed.Load(), slow.Counts(), time.Since(settling)
	if out != nil {
		res.outage = &out.result
	}
	if fo != nil {
		res.failover = fo.snapshot()
		res.failover.lostOrders, res.failover.lostSessions = res.lostOrders, res.lostSessions
	}
	res.print(stdout, payments)
	return res.passed(), nil
}
