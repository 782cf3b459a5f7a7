package main

import (
	"context"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/placetopay-gateway/gateway/internal/loadtest"
)

// standbyName is the standby's application_name, which a synchronous primary waits for.
const standbyName = "standby"

// failover is a primary and a standby (-failover): the gateways connect to both through one
// multi-host DATABASE_URL that only takes the one accepting writes. Mid-run the primary is
// killed and the standby promoted, while the gateways' writes are timed until each replica
// serves one again.
type failover struct {
	mode    string // sync or async
	primary *loadtest.Postgres
	standby *loadtest.Postgres
	lag     *loadtest.Lag
	killed  bool

	mu     sync.Mutex
	result failoverResult
}

// failoverResult is what the failover measured and found.
type failoverResult struct {
	mode string
	lag  time.Duration
	// promoted is the time from the kill until the standby took writes; served, until each
	// replica answered a write (an order created), by replica.
	promoted time.Duration
	served   []time.Duration
	failures map[string]int // what the writes tried before each replica served one got
	// standbyLSN is the WAL the standby had from the old primary when it was promoted;
	// lostCommits the transactions the old primary committed past it: lost by the promotion.
	standbyLSN  string
	lostCommits int
	// lostOrders and lostSessions are the orders and checkouts the gateways answered 201 for
	// that the database no longer holds (filled by the check).
	lostOrders, lostSessions int
	violations               []string
}

// startFailover makes the primary and, through a lag proxy, the standby under dir.
func startFailover(dir, mode string, lag time.Duration) (*failover, error) {
	f := &failover{mode: mode, result: failoverResult{mode: mode, lag: lag}}
	syncName := ""
	if mode == "sync" {
		syncName = standbyName
	}
	var err error
	if f.primary, err = loadtest.StartPrimary(filepath.Join(dir, "primary"), syncName); err != nil {
		return nil, err
	}
	f.lag = &loadtest.Lag{Delay: lag, Target: f.primary.Addr()}
	via, err := f.lag.Listen()
	if err != nil {
		_ = f.stop() // the start failed: that error is the one to report
		return nil, err
	}
	if f.standby, err = f.primary.StartStandby(filepath.Join(dir, "standby"), standbyName, via); err != nil {
		_ = f.stop() // the start failed: that error is the one to report
		return nil, err
	}
	if err := f.waitStreaming(); err != nil {
		_ = f.stop() // the start failed: that error is the one to report
		return nil, err
	}
	return f, nil
}

// waitStreaming waits until the primary sees the standby streaming, in the mode asked.
func (f *failover) waitStreaming() error {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, f.primary.URL("postgres"))
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	want := map[string]string{"sync": "sync", "async": "async"}[f.mode]
	for {
		var state string
		err := conn.QueryRow(ctx, `SELECT sync_state FROM pg_stat_replication WHERE application_name = $1 AND state = 'streaming'`, standbyName).Scan(&state)
		if err == nil && state == want {
			return nil
		}
		if ctx.Err() != nil {
			return fmt.Errorf("standby not streaming (%s) after 60 s: %v", want, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// url is the multi-host URL of database name that the gateways and the run use.
func (f *failover) url(name string) string {
	return multiHostURL(name, f.primary.Addr(), f.standby.Addr())
}

// multiHostURL names every server, in order; target_session_attrs=read-write makes a new
// connection skip those that are down or read-only (a standby), so it reaches the primary.
func multiHostURL(name string, addrs ...string) string {
	u := url.URL{Scheme: "postgres", User: url.User("postgres"), Host: strings.Join(addrs, ","), Path: "/" + name,
		RawQuery: "target_session_attrs=read-write&sslmode=disable"}
	return u.String()
}

// stop stops both servers and the proxy, and removes their data directories, keeping each
// server's log beside the gateways' (primary.log, standby.log).
func (f *failover) stop() error {
	defer f.removeData()
	var errs []string
	if f.standby != nil {
		if err := f.standby.Stop(); err != nil {
			errs = append(errs, "standby: "+err.Error())
		}
	}
	if f.lag != nil {
		f.lag.Close()
	}
	if f.primary != nil && !f.killed {
		if err := f.primary.Stop(); err != nil {
			errs = append(errs, "primary: "+err.Error())
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("%s", strings.Join(errs, "; "))
	}
	return nil
}

func (f *failover) removeData() {
	for name, pg := range map[string]*loadtest.Postgres{"primary": f.primary, "standby": f.standby} {
		if pg == nil {
			continue
		}
		dir := pg.Dir()
		if log, err := os.ReadFile(filepath.Join(dir, "server.log")); err == nil {
			_ = os.WriteFile(filepath.Join(filepath.Dir(dir), name+".log"), log, 0o644)
		}
		_ = os.RemoveAll(dir)
	}
}

// run kills the primary, promotes the standby once it has replayed what it received, and
// times each replica's first write after the kill; it returns when every replica has served
// one, or after two minutes.
func (f *failover) run(ctx context.Context, stdout io.Writer, client *loadtest.Client, prefix string) {
	say(stdout, "failover: killing the primary (immediate shutdown) and promoting the %s standby", f.mode)
	start := time.Now()
	f.killed = true
	if err := f.primary.Kill(); err != nil {
		f.violate("kill the primary: %v", err)
	}
	// The writes are tried once the primary is down, and timed from the kill.
	var probes sync.WaitGroup
	served := make([]time.Duration, len(client.Bases))
	for i, base := range client.Bases {
		probes.Go(func() { served[i] = f.probe(ctx, client.Via(base), fmt.Sprintf("%s-r%d", prefix, i+1), start) })
	}
	lsn, err := f.standby.ReceivedLSN(ctx)
	if err != nil {
		f.violate("read the standby's position: %v", err)
	}
	if err := f.standby.Promote(); err != nil {
		f.violate("promote the standby: %v", err)
	}
	promoted := time.Since(start)
	lost := 0
	if lsn != "" {
		if lost, err = f.primary.CommitsAfter(lsn); err != nil {
			f.violate("read the old primary's WAL: %v", err)
		}
	}
	probes.Wait()
	f.mu.Lock()
	f.result.promoted, f.result.served, f.result.standbyLSN, f.result.lostCommits = promoted, served, lsn, lost
	failures := counts(f.result.failures)
	f.mu.Unlock()
	say(stdout, "failover: standby promoted (pg_ctl promote returned) %s after the kill; first write served by each replica after %s; failed tries before: %s",
		promoted.Round(time.Millisecond), durations(served), failures)
}

// probe creates an order through one replica (c, a client of its own), once each 100 ms, until one is created, and
// returns how long after start that was (0: none within two minutes).
func (f *failover) probe(ctx context.Context, c *loadtest.Client, prefix string, start time.Time) time.Duration {
	c.Retry = 0 // one try each: the time is the probe's
	for i := 0; time.Since(start) < 2*time.Minute && ctx.Err() == nil; i++ {
		cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		_, err := c.CreateOrder(cctx, fmt.Sprintf("%s-%d", prefix, i), "10.00", "USD")
		cancel()
		if err == nil {
			return time.Since(start)
		}
		f.mu.Lock()
		if f.result.failures == nil {
			f.result.failures = map[string]int{}
		}
		f.result.failures[loadtest.Kind(err)]++
		f.mu.Unlock()
		time.Sleep(100 * time.Millisecond)
	}
	f.violate("%s: no write served within two minutes of the kill", prefix)
	return 0
}

func (f *failover) violate(format string, args ...any) {
	f.mu.Lock()
	f.result.violations = append(f.result.violations, fmt.Sprintf(format, args...))
	f.mu.Unlock()
}

// snapshot is the result so far, for the report.
func (f *failover) snapshot() *failoverResult {
	f.mu.Lock()
	defer f.mu.Unlock()
	r := f.result
	return &r
}

func (r *failoverResult) passed() bool { return len(r.violations) == 0 }

func (r *failoverResult) print(w io.Writer) {
	say(w, "failover (%s standby, WAL delivered %s late): standby promoted %s after the primary was killed; first write served by each replica %s after it",
		r.mode, r.lag, r.promoted.Round(time.Millisecond), durations(r.served))
	note := "asynchronous: acknowledged to their clients (but for any the kill cut off before the answer), and lost"
	if r.mode == "sync" {
		note = "synchronous: each was still waiting for the standby, so none was acknowledged"
	}
	say(w, "failover: writes tried until then that failed: %s", counts(r.failures))
	say(w, "failover: transactions the old primary committed that the standby never received (its WAL past %s): %d; %s", r.standbyLSN, r.lostCommits, note)
	say(w, "failover: writes the gateways acknowledged that the promotion lost: %d orders, %d checkouts", r.lostOrders, r.lostSessions)
	if r.passed() {
		say(w, "ok    the standby was promoted and every replica served writes again")
		return
	}
	say(w, "FAIL  the standby was promoted and every replica served writes again: %d violation(s)", len(r.violations))
	for _, v := range r.violations {
		say(w, "        %s", v)
	}
}

func durations(ds []time.Duration) string {
	s := make([]string, len(ds))
	for i, d := range ds {
		s[i] = d.Round(10 * time.Millisecond).String()
	}
	return strings.Join(s, ", ")
}
