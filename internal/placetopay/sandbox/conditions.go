package sandbox

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"sync"
	"time"
)

// Conditions make PlacetoPay's API unreliable as a whole, at random or for a while, to see
// a merchant through a realistic PlacetoPay: a share of calls failing or never answered,
// an outage, slow notifications. Unlike the API faults (api_faults.go), they hit every
// operation alike, and a call they hit is never carried out: the merchant is told nothing
// happened (an error) or told nothing at all (a hang), and nothing did happen.
//
// Each API call draws one number from a generator seeded with Seed: below ErrorRate it is
// answered with a 5xx, below ErrorRate+HangRate it hangs. During an outage every call
// fails or hangs, as OutageMode says. A hang holds the call until the caller gives up (its
// request ends) or the sandbox closes.
type Conditions struct {
	ErrorRate float64 // share of API calls answered 500, 502, 503 or 504
	HangRate  float64 // share of API calls that never answer
	// Outage makes every API call fail or hang (OutageMode "error" or "hang") for this
	// long from when it is set, by the sandbox clock: advancing the clock past it ends it.
	Outage     time.Duration
	OutageMode string
	// NotifyDelay sends every notification this much later, by the sandbox clock.
	NotifyDelay time.Duration
	Seed        uint64
}

// maxCondition bounds an outage and a notification delay.
const maxCondition = 24 * time.Hour

func (c Conditions) validate() error {
	switch {
	case c.ErrorRate < 0 || c.ErrorRate > 1 || c.HangRate < 0 || c.HangRate > 1:
		return errors.New("errorRate and hangRate must be between 0 and 1")
	case c.ErrorRate+c.HangRate > 1:
		return errors.New("errorRate and hangRate must add up to at most 1")
	case c.Outage < 0 || c.Outage > maxCondition:
		return fmt.Errorf("outage must be between 0 and %s", maxCondition)
	case c.Outage > 0 && c.OutageMode != "error" && c.OutageMode != "hang":
		return fmt.Errorf("mode must be error or hang, not %q", c.OutageMode)
	case c.Outage == 0 && c.OutageMode != "":
		return errors.New("mode goes with an outage")
	case c.NotifyDelay < 0 || c.NotifyDelay > maxCondition:
		return fmt.Errorf("notifyDelay must be between 0 and %s", maxCondition)
	}
	return nil
}

// conditionState is the conditions in force, when their outage ends and their generator.
type conditionState struct {
	mu          sync.Mutex
	cfg         Conditions
	outageUntil time.Time // sandbox time
	rnd         *rand.Rand
}

func (cs *conditionState) set(c Conditions, now time.Time) {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	cs.cfg, cs.rnd, cs.outageUntil = c, rand.New(rand.NewPCG(c.Seed, 0xfa17)), time.Time{}
	if c.Outage > 0 {
		cs.outageUntil = now.Add(c.Outage)
	}
}

func (cs *conditionState) get() (Conditions, time.Time) {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	return cs.cfg, cs.outageUntil
}

func (cs *conditionState) notifyDelay() time.Duration {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	return cs.cfg.NotifyDelay
}

// verdict is what the conditions do to one API call: nothing (0), answer status, or hang.
type verdict struct {
	status int
	hang   bool
}

var faultStatuses = []int{http.StatusInternalServerError, http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout}

// draw decides the fate of one API call at sandbox time now.
func (cs *conditionState) draw(now time.Time) verdict {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	if now.Before(cs.outageUntil) {
		if cs.cfg.OutageMode == "hang" {
			return verdict{hang: true}
		}
		return verdict{status: http.StatusServiceUnavailable}
	}
	if cs.cfg.ErrorRate == 0 && cs.cfg.HangRate == 0 {
		return verdict{}
	}
	u := cs.rnd.Float64()
	switch {
	case u < cs.cfg.ErrorRate:
		return verdict{status: faultStatuses[cs.rnd.IntN(len(faultStatuses))]}
	case u < cs.cfg.ErrorRate+cs.cfg.HangRate:
		return verdict{hang: true}
	}
	return verdict{}
}

// latencyHeader tells the caller how long the sandbox held its call, so that a load run can
// tell PlacetoPay's time from its own. PlacetoPay sends no such header.
const latencyHeader = "Sandbox-Latency"

// delay applies the latency and the conditions to an API call before it is carried out. It
// returns false when the call is answered (or abandoned) here and must not go on.
func (sb *Sandbox) delay(w http.ResponseWriter, r *http.Request) bool {
	if d := sb.latency.draw(); d > 0 {
		w.Header().Set(latencyHeader, d.String())
		if !sb.wait(r, d) {
			return false
		}
	}
	v := sb.conditions.draw(sb.clock.Now())
	switch {
	case v.hang:
		sb.wait(r, maxCondition)
		sb.fail(w, http.StatusServiceUnavailable, "FAULT", "Service Unavailable (the sandbox was closed during a hang)")
		return false
	case v.status != 0:
		sb.fail(w, v.status, "FAULT", fmt.Sprintf("%s (set through POST /sandbox/faults)", http.StatusText(v.status)))
		return false
	}
	return true
}

// wait holds the call d, or less when the sandbox closes, and says whether the caller is
// still waiting for an answer.
func (sb *Sandbox) wait(r *http.Request, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-r.Context().Done():
	case <-sb.done:
	}
	return r.Context().Err() == nil
}
