package sandbox

import (
	"fmt"
	"math/rand/v2"
	"net/http"
	"time"
)

// Faults make notifications misbehave, to test how a merchant copes with PlacetoPay's
// fire-once notifications. Each rate is the probability that a notification is affected,
// from 0 (never, the default) to 1 (always: a fixed mode). The draws come from a generator
// seeded with Seed, so a run with the same seed and the same sequence of final states
// affects the same notifications.
type Faults struct {
	Drop      float64 // never sent
	Duplicate float64 // sent twice, back to back
	Corrupt   float64 // signed with the wrong secret
	Delay     float64 // sent DelayBy later, by the sandbox clock
	DelayBy   time.Duration
	Seed      uint64
}

func (f *Faults) validate() error {
	for name, rate := range map[string]float64{"Drop": f.Drop, "Duplicate": f.Duplicate, "Corrupt": f.Corrupt, "Delay": f.Delay} {
		if rate < 0 || rate > 1 {
			return fmt.Errorf("sandbox: Faults.%s must be between 0 and 1, not %g", name, rate)
		}
	}
	if f.DelayBy < 0 {
		return fmt.Errorf("sandbox: Faults.DelayBy must not be negative")
	}
	if f.DelayBy == 0 {
		f.DelayBy = time.Minute
	}
	return nil
}

// faultState is the configured faults and their generator; guarded by Sandbox.mu.
type faultState struct {
	cfg Faults
	src *rand.PCG // rnd's source, whose state a snapshot keeps
	rnd *rand.Rand
}

func newFaultState(f Faults) faultState {
	src := rand.NewPCG(f.Seed, 0x5eed)
	return faultState{cfg: f, src: src, rnd: rand.New(src)}
}

// drawn is the faults one notification gets.
type drawn struct{ Drop, Duplicate, Corrupt, Delay bool }

// draw decides one notification's faults. It always draws four numbers, so that changing
// one rate does not shift which notifications the others hit.
func (fs *faultState) draw() drawn {
	hit := func(rate float64) bool { return fs.rnd.Float64() < rate }
	return drawn{Drop: hit(fs.cfg.Drop), Duplicate: hit(fs.cfg.Duplicate), Corrupt: hit(fs.cfg.Corrupt), Delay: hit(fs.cfg.Delay)}
}

func (d drawn) names() []string {
	var out []string
	for _, f := range []struct {
		on   bool
		name string
	}{{d.Drop, "dropped"}, {d.Duplicate, "duplicated"}, {d.Corrupt, "corrupted"}, {d.Delay, "delayed"}} {
		if f.on {
			out = append(out, f.name)
		}
	}
	return out
}

// faultsRecord is the notification faults as PUT /sandbox/notifications/faults takes them
// and both its GET and PUT answer them.
type faultsRecord struct {
	Drop      float64 `json:"drop"`
	Duplicate float64 `json:"duplicate"`
	Corrupt   float64 `json:"corrupt"`
	Delay     float64 `json:"delay"`
	DelayBy   string  `json:"delayBy"` // a Go duration; empty is the default
	Seed      uint64  `json:"seed"`
}

func recordOfFaults(f Faults) faultsRecord {
	return faultsRecord{Drop: f.Drop, Duplicate: f.Duplicate, Corrupt: f.Corrupt, Delay: f.Delay, DelayBy: f.DelayBy.String(), Seed: f.Seed}
}

// handleControlFaults is GET and PUT /sandbox/notifications/faults: PUT replaces the
// notification faults and reseeds their generator.
func (sb *Sandbox) handleControlFaults(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodPut {
		var req faultsRecord
		if !sb.decodeControl(w, r, &req) {
			return
		}
		f := Faults{Drop: req.Drop, Duplicate: req.Duplicate, Corrupt: req.Corrupt, Delay: req.Delay, Seed: req.Seed}
		if req.DelayBy != "" {
			d, err := time.ParseDuration(req.DelayBy)
			if err != nil {
				sb.controlError(w, http.StatusUnprocessableEntity, "delayBy must be a Go duration")
				return
			}
			f.DelayBy = d
		}
		if err := f.validate(); err != nil {
			sb.controlError(w, http.StatusUnprocessableEntity, err.Error())
			return
		}
		sb.locked(func(time.Time) { sb.faults = newFaultState(f) })
	}
	var f Faults
	sb.locked(func(time.Time) { f = sb.faults.cfg })
	sb.writeJSON(w, http.StatusOK, recordOfFaults(f))
}
