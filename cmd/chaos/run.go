package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
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

// The sandbox's test cards (GET /sandbox/cards).
const (
	cardApprove        = "4110760000000081"
	cardDeny           = "4110760000000016"
	cardPendingApprove = "4110760000000073"
	cardPendingReject  = "4048370000000037"
)

// plan is what one payment does.
type plan struct {
	card     string
	mismatch bool // the order's amount is changed after checkout: an approval must go to review
	label    string
}

func planFor(r *rand.Rand) plan {
	switch x := r.Float64(); {
	case x < 0.50:
		return plan{card: cardApprove, label: "approve"}
	case x < 0.70:
		return plan{card: cardDeny, label: "deny"}
	case x < 0.85:
		return plan{card: cardPendingApprove, label: "pending, then approve"}
	case x < 0.95:
		return plan{card: cardPendingReject, label: "pending, then reject"}
	default:
		return plan{card: cardApprove, mismatch: true, label: "approve, amount changed"}
	}
}

// payment is one payment's record.
type payment struct {
	plan
	reference string
	orderID   string
	requestID int64
	paid      bool   // the sandbox took the card
	err       string // the step that failed, when one did, and how
	errBody   string
	took      time.Duration
}

func (p *payment) fail(err error) {
	p.err = loadtest.Kind(err)
	var e *loadtest.Error
	if errors.As(err, &e) {
		p.errBody = e.Body
	}
}

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
	say(stdout, "%d payments, %d replicas, one killed every %s, Postgres crashed once; notifications %.0f%% dropped, %.0f%% duplicated, %.0f%% forged; seed %d; logs in %s",
		o.payments, o.replicas, o.killEvery, o.drop*100, o.duplicate*100, o.forge*100, o.seed, o.dir)

	pg, err := loadtest.StartPostgres(filepath.Join(o.dir, "pgdata"))
	if err != nil {
		return false, err
	}
	defer func() {
		if err := pg.Stop(); err != nil {
			say(stdout, "stop Postgres: %v", err)
		}
	}()
	if err := loadtest.RecreateDatabase(ctx, pg.URL("gateway")); err != nil {
		return false, err
	}
	db, err := pgxpool.New(ctx, pg.URL("gateway"))
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

	st, err := loadtest.Start(ctx, loadtest.StackConfig{
		Bin: o.bin, DatabaseURL: pg.URL("gateway"), Replicas: o.replicas, ProbeInterval: o.probe,
		NotifyURL: notifyURL, Dir: o.dir,
	})
	if err != nil {
		return false, err
	}
	defer st.Stop()
	lb.SetTargets(st.URLs())
	client := loadtest.NewClient(st.URLs(), st.APIKey, st.SandboxURL)
	if err := client.Sandbox.SetFaults(ctx, sandbox.Faults{Drop: o.drop, Duplicate: o.duplicate, Corrupt: o.forge, Seed: o.seed}); err != nil {
		return false, err
	}
	client.Retry = 3 * time.Minute // longer than an idempotency lease left by a killed replica

	// The chaos: a replica killed and restarted every killEvery, Postgres crashed once when
	// 40% of the payments are through.
	stopChaos := make(chan struct{})
	var chaosDone sync.WaitGroup
	var kills atomic.Int64
	chaosDone.Add(1)
	go func() {
		defer chaosDone.Done()
		t := time.NewTicker(o.killEvery)
		defer t.Stop()
		for i := 0; ; i++ {
			select {
			case <-stopChaos:
				return
			case <-t.C:
			}
			g := st.Gateways[i%len(st.Gateways)]
			g.Kill()
			kills.Add(1)
			time.Sleep(300 * time.Millisecond)
			if err := g.Start(); err != nil {
				say(stdout, "restart %s: %v", g.Name, err)
			}
		}
	}()
	var done atomic.Int64
	pgRestarted := make(chan error, 1)
	var pgOnce sync.Once
	crashPostgres := func() {
		pgOnce.Do(func() {
			go func() {
				say(stdout, "crashing Postgres (immediate shutdown) and starting it again")
				pgRestarted <- pg.Restart()
			}()
		})
	}

	rnd := rand.New(rand.NewPCG(o.seed, 0xc4a05))
	run := strconv.FormatUint(o.seed%1_000_000, 36)
	payments := make([]*payment, o.payments)
	for i := range payments {
		payments[i] = &payment{plan: planFor(rnd), reference: "X" + run + "-" + strconv.Itoa(i)}
	}
	var forged forgeries
	jobs := make(chan int)
	var wg sync.WaitGroup
	began := time.Now()
	for range o.concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				pay(ctx, client, db, notifyURL, st.Secret, payments[i], int64(1000+i%9000), &forged)
				if done.Add(1) == int64(o.payments*2/5) {
					crashPostgres()
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
	crashPostgres() // in case the run was too small to reach it
	close(stopChaos)
	chaosDone.Wait()
	if err := <-pgRestarted; err != nil {
		return false, fmt.Errorf("restart Postgres: %w", err)
	}
	say(stdout, "%d payments made in %.1f s; %d replica kills", len(payments), time.Since(began).Seconds(), kills.Load())

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

	// The gateways learn the outcomes from notifications and their own probe; give them
	// until everything the sandbox approved is settled, or settle runs out.
	deadline := time.Now().Add(o.settle)
	var res *result
	for {
		res, err = check(ctx, db, client.Sandbox, payments, &forged)
		if err == nil && res.settled() || time.Now().After(deadline) || ctx.Err() != nil {
			break
		}
		time.Sleep(time.Second)
	}
	if err != nil {
		return false, err
	}
	res.kills = kills.Load()
	res.print(stdout, payments)
	return len(res.violations) == 0 && res.unsettled == 0, nil
}

// pay runs one payment: create the order, open its checkout, optionally change the order's
// amount behind the gateway's back, pay with the card, and forge an approval for a card that
// is not approved.
func pay(ctx context.Context, c *loadtest.Client, db *pgxpool.Pool, notifyURL, secret string, p *payment, minor int64, forged *forgeries) {
	start := time.Now()
	defer func() { p.took = time.Since(start) }()
	o, err := c.CreateOrder(ctx, p.reference, loadtest.Amount(minor), "USD")
	if err != nil {
		p.fail(err)
		return
	}
	p.orderID = o.ID
	s, err := c.Checkout(ctx, o.ID)
	if err != nil {
		p.fail(err)
		return
	}
	p.requestID = s.RequestID
	if p.mismatch {
		// As if the merchant's order and PlacetoPay's session disagreed: the approved payment
		// no longer matches the order, which must go to review, never to paid.
		if err := retry(ctx, func() error {
			_, err := db.Exec(ctx, `UPDATE orders SET total_minor = total_minor + 100 WHERE id = $1`, o.ID)
			return err
		}); err != nil {
			p.err = "change amount: " + err.Error()
			return
		}
	}
	if err := c.Pay(ctx, s.RequestID, p.card); err != nil {
		p.fail(err)
		return
	}
	p.paid = true
	if p.card != cardApprove {
		// A forged approval for a payment that is declined or pending, signed with a wrong key.
		forged.post(ctx, c.HTTP, notifyURL, secret, s.RequestID, p.reference)
	}
}

func retry(ctx context.Context, fn func() error) error {
	var err error
	for range 60 {
		if err = fn(); err == nil || ctx.Err() != nil {
			return err
		}
		time.Sleep(500 * time.Millisecond)
	}
	return err
}

// forgeries are the forged notifications the run posted itself, and what they got.
type forgeries struct {
	mu         sync.Mutex
	signatures []string
	answers    map[int]int // HTTP status (0: not delivered) -> count
}

func (f *forgeries) post(ctx context.Context, hc *http.Client, url, secret string, requestID int64, reference string) {
	body, sig := loadtest.Approval(requestID, reference, time.Now().UTC().Format(time.RFC3339), secret+"-forged")
	code := 0
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if resp, err := hc.Do(req); err == nil {
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		code = resp.StatusCode
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.answers == nil {
		f.answers = map[int]int{}
	}
	f.signatures = append(f.signatures, sig)
	f.answers[code]++
}
