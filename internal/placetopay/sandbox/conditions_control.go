package sandbox

import (
	"encoding/json"
	"fmt"
	"net/http"
	"time"
)

// conditionsRecord is the conditions as POST /sandbox/faults takes them. Durations are Go
// durations; an absent field is off.
type conditionsRecord struct {
	ErrorRate   float64 `json:"errorRate,omitempty"`
	HangRate    float64 `json:"hangRate,omitempty"`
	Outage      string  `json:"outage,omitempty"`
	Mode        string  `json:"mode,omitempty"`
	NotifyDelay string  `json:"notifyDelay,omitempty"`
	Seed        uint64  `json:"seed,omitempty"`
}

func conditionsOfRecord(r conditionsRecord) (Conditions, error) {
	c := Conditions{ErrorRate: r.ErrorRate, HangRate: r.HangRate, OutageMode: r.Mode, Seed: r.Seed}
	for _, d := range []struct {
		name, raw string
		to        *time.Duration
	}{{"outage", r.Outage, &c.Outage}, {"notifyDelay", r.NotifyDelay, &c.NotifyDelay}} {
		if d.raw == "" {
			continue
		}
		v, err := time.ParseDuration(d.raw)
		if err != nil {
			return c, fmt.Errorf("%s must be a Go duration such as \"60s\", not %q", d.name, d.raw)
		}
		*d.to = v
	}
	if c.Outage > 0 && c.OutageMode == "" {
		c.OutageMode = "error"
	}
	return c, c.validate()
}

func recordOfConditions(c Conditions) conditionsRecord {
	r := conditionsRecord{ErrorRate: c.ErrorRate, HangRate: c.HangRate, Mode: c.OutageMode, Seed: c.Seed}
	if c.Outage > 0 {
		r.Outage = c.Outage.String()
	}
	if c.NotifyDelay > 0 {
		r.NotifyDelay = c.NotifyDelay.String()
	}
	return r
}

// handleControlConditions is POST /sandbox/faults, which replaces the conditions ({}
// clears them), and DELETE /sandbox/faults, which clears the conditions and the API
// faults. Both answer every fault in force, as GET does.
func (sb *Sandbox) handleControlConditions(w http.ResponseWriter, r *http.Request) {
	var c Conditions
	if r.Method == http.MethodPost {
		var req conditionsRecord
		if !sb.decodeControl(w, r, &req) {
			return
		}
		var err error
		if c, err = conditionsOfRecord(req); err != nil {
			sb.controlError(w, http.StatusUnprocessableEntity, err.Error())
			return
		}
	} else {
		sb.locked(func(time.Time) { sb.apiFaults = nil })
	}
	sb.conditions.set(c, sb.clock.Now())
	sb.writeFaults(w)
}

// writeFaults answers GET /sandbox/faults: one object holding the API faults, by operation
// name, and the conditions, by their own names (which no operation has), with outageUntil,
// the sandbox time the outage ends, while one is in force.
func (sb *Sandbox) writeFaults(w http.ResponseWriter) {
	var ops map[string]apiFaultRecord
	sb.locked(func(time.Time) { ops = recordOfAPIFaults(sb.apiFaults) })
	c, until := sb.conditions.get()
	raw, err := json.Marshal(recordOfConditions(c))
	if err != nil {
		panic(err) // plain fields always encode
	}
	out := map[string]any{}
	if err := json.Unmarshal(raw, &out); err != nil {
		panic(err)
	}
	if now := sb.clock.Now(); now.Before(until) {
		out["outageUntil"] = until.In(sb.cfg.Location).Format(time.RFC3339)
	}
	for op, f := range ops {
		out[op] = f
	}
	sb.writeJSON(w, http.StatusOK, out)
}
