package sandbox

import (
	"bytes"
	"context"
	"sync"
	"time"

	"go.uber.org/zap"
)

// Persister keeps the sandbox's state outside the process, so that a restarted sandbox
// still knows the sessions it handed out (their processUrls open, they can be paid,
// queried and cancelled). The state is a versioned JSON snapshot of everything.
type Persister interface {
	// Load returns the last snapshot saved, or nothing when none was.
	Load(ctx context.Context) ([]byte, error)
	// Save keeps snapshot in place of the one before.
	Save(ctx context.Context, snapshot []byte) error
}

// saveTimeout bounds one Save.
const saveTimeout = 10 * time.Second

// persistence is how far the state has been saved. Saving is synchronous: a request that
// changed the state is answered only once the change is saved, so a process killed right
// after it loses nothing. The snapshot is taken under Sandbox.mu and saved outside it;
// saves run one at a time and a snapshot older than the one saved last is never saved.
type persistence struct {
	last []byte // guarded by Sandbox.mu: the state last handed over to be saved
	seq  uint64 // guarded by Sandbox.mu: the number of that snapshot

	mu      sync.Mutex // held during Save, so saves go out in order
	saved   uint64     // the number of the snapshot saved last
	failing bool       // the last Save failed (logged once until one succeeds again)
}

// pendingSave is a snapshot to save.
type pendingSave struct {
	seq  uint64
	data []byte
}

// changedLocked returns the state to save when it changed since it was last handed over,
// or nil.
func (sb *Sandbox) changedLocked() *pendingSave {
	if sb.cfg.Persister == nil {
		return nil
	}
	b, err := sb.snapshotLocked()
	if err != nil {
		sb.cfg.Logger.Error("sandbox state not saved", zap.Error(err))
		return nil
	}
	if bytes.Equal(b, sb.persist.last) {
		return nil
	}
	sb.persist.last = b
	sb.persist.seq++
	return &pendingSave{seq: sb.persist.seq, data: b}
}

// save hands p to the Persister, unless a newer snapshot was saved already. When it fails,
// the next sweep tries again with the state as it is then.
func (sb *Sandbox) save(p *pendingSave) {
	if p == nil {
		return
	}
	sb.persist.mu.Lock()
	defer sb.persist.mu.Unlock()
	if p.seq <= sb.persist.saved {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), saveTimeout)
	err := sb.cfg.Persister.Save(ctx, p.data)
	cancel()
	if err != nil {
		if !sb.persist.failing {
			sb.cfg.Logger.Warn("sandbox state not saved; retrying on every change and every tick", zap.Error(err))
		}
		sb.persist.failing = true
		sb.mu.Lock()
		sb.persist.last = nil
		sb.mu.Unlock()
		return
	}
	if sb.persist.failing {
		sb.cfg.Logger.Info("sandbox state saved again")
	}
	sb.persist.failing, sb.persist.saved = false, p.seq
}

// update runs fn with the state locked, then saves the state if fn changed it.
func (sb *Sandbox) update(fn func()) {
	sb.mu.Lock()
	fn()
	p := sb.changedLocked()
	sb.mu.Unlock()
	sb.save(p)
}

// load restores the state the Persister kept, if any.
func (sb *Sandbox) load() error {
	if sb.cfg.Persister == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), saveTimeout)
	b, err := sb.cfg.Persister.Load(ctx)
	cancel()
	if err != nil || len(b) == 0 {
		return err
	}
	sb.mu.Lock()
	defer sb.mu.Unlock()
	return sb.restoreLocked(b)
}

// Sessions returns how many sessions the sandbox holds and how many of them are still
// open: after a restart, how many it restored.
func (sb *Sandbox) Sessions() (all, open int) {
	sb.mu.Lock()
	defer sb.mu.Unlock()
	return len(sb.sessions), len(sb.open)
}
