package sandbox

import (
	"net/http"
	"sync"
	"time"
)

// Sandbox is a running PlacetoPay stand-in. Its state is in memory, saved after every
// change when Config.Persister is set, and safe for concurrent requests; background work (pending payments resolving, expiries, delayed notifications)
// runs on a ticker until Close.
type Sandbox struct {
	cfg   Config
	clock *Clock
	mux   http.Handler

	mu     sync.Mutex // guards the store, faults and closed
	store             // sessions, transactions, tokens, autopays, approvals, notifications
	faults faultState
	// apiFaults are the faults of PlacetoPay's API, by operation (api_faults.go); kept in
	// memory only.
	apiFaults map[string]APIFault
	closed    bool

	latency    *latencySource // Config.Latency
	conditions conditionState // POST /sandbox/faults; in memory only

	persist persistence // how far the state was saved (Config.Persister)

	done chan struct{}  // closed by Close: stops the ticker
	wg   sync.WaitGroup // the ticker and the deliveries
	once sync.Once
}

// New starts a sandbox from the state Config.Persister kept, if any. It fails on a
// configuration it cannot run with and on a kept state it cannot read.
func New(cfg Config) (*Sandbox, error) {
	if err := cfg.setDefaults(); err != nil {
		return nil, err
	}
	sb := &Sandbox{
		cfg: cfg, clock: cfg.Clock, store: newStore(cfg.IDStart),
		faults: newFaultState(cfg.Faults), done: make(chan struct{}), latency: newLatencySource(cfg.Latency),
	}
	if err := sb.load(); err != nil {
		return nil, err
	}
	sb.mux = withSecurityHeaders(sb.routes())
	sb.wg.Add(1)
	go sb.tick()
	return sb, nil
}

// Handler serves the PlacetoPay API, the hosted pages and the control API.
func (sb *Sandbox) Handler() http.Handler { return sb.mux }

// Close stops the background work and waits for the notifications being delivered (each
// bounded by the HTTP client's timeout). The handler keeps answering afterwards, but no
// notification is sent any more.
func (sb *Sandbox) Close() {
	sb.once.Do(func() {
		sb.mu.Lock()
		sb.closed = true
		sb.mu.Unlock()
		close(sb.done)
		sb.wg.Wait()
	})
}

// tick brings every open session up to date and sends due notifications, periodically, so
// that notifications go out even when nobody asks.
func (sb *Sandbox) tick() {
	defer sb.wg.Done()
	t := time.NewTicker(sb.cfg.TickInterval)
	defer t.Stop()
	for {
		select {
		case <-sb.done:
			return
		case <-t.C:
			sb.sweep()
		}
	}
}

// sweep brings every open session up to date, then sends what is due.
func (sb *Sandbox) sweep() { sb.locked(sb.advanceAllLocked) }

// advanceAllLocked brings every open session up to now.
func (sb *Sandbox) advanceAllLocked(now time.Time) {
	for _, s := range sb.open {
		sb.advanceLocked(s, now)
	}
}

// locked runs fn with the state locked at the sandbox time, saves the state if it changed
// (Config.Persister), then sends the notifications that became due, outside the lock.
func (sb *Sandbox) locked(fn func(now time.Time)) {
	sb.mu.Lock()
	now := sb.clock.Now()
	fn(now)
	due := sb.dueLocked(now)
	autopayDue := sb.autopayDueLocked()
	p := sb.changedLocked()
	sb.mu.Unlock()
	sb.save(p)
	for _, n := range due {
		go sb.deliver(n)
	}
	for _, c := range autopayDue {
		go func() { defer sb.wg.Done(); sb.deliverAutopay(c) }()
	}
}
