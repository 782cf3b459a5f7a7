package sandbox

import (
	"fmt"
	"math/rand/v2"
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
	rnd *rand.Rand
}

func newFaultState(f Faults) faultState {
	return faultState{cfg: f, rnd: rand.New(rand.NewPCG(f.Seed, 0x5eed))}
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
