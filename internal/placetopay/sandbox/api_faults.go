package sandbox

import (
	"fmt"
	"maps"
	"net/http"
	"slices"
	"time"
)

// API faults make PlacetoPay's API itself misbehave, to test how a merchant copes with an
// answer that never comes or says the server failed: whether the action happened is then
// unknown to the merchant. Each fault is set per operation (the names below) and applies to
// requests that pass authentication.
//
// A fault with a Status answers that HTTP status with a FAILED status object instead of the
// real answer; Apply says whether the request was carried out first (the action happened,
// only its answer is lost) or not at all. Without a Status the request is carried out and
// its real answer sent, late. Delay holds the answer that long (a slow or hung PlacetoPay:
// longer than the merchant's timeout is a timeout). Count is how many of the next requests
// it hits, after which it is gone; 0 hits every request until the faults are replaced (an
// outage).

// APIFault is the fault of one operation.
type APIFault struct {
	Status int           // 429 or 500-599; 0: the real answer
	Delay  time.Duration // how long the answer is held, at most maxFaultDelay
	Apply  bool          // with a Status: the request is carried out before failing
	Count  int           // the next Count requests; 0: every request
}

// maxFaultDelay bounds Delay, so that a forgotten fault does not hold connections forever.
const maxFaultDelay = 10 * time.Minute

// The operations API faults name: Checkout's, then autopay's.
const (
	opSession     = "session"
	opQuery       = "query"
	opCancel      = "cancel"
	opCollect     = "collect"
	opTransaction = "transaction"
	opReverse     = "reverse"
	opInvalidate  = "invalidate"

	opAutopaySession      = "autopay.session"
	opAutopayQuery        = "autopay.query"
	opAutopaySearch       = "autopay.search"
	opAutopayCancel       = "autopay.cancel"
	opAutopayTransactions = "autopay.transactions"
)

var apiOperations = []string{opSession, opQuery, opCancel, opCollect, opTransaction, opReverse, opInvalidate,
	opAutopaySession, opAutopayQuery, opAutopaySearch, opAutopayCancel, opAutopayTransactions}

func (f APIFault) validate(op string) error {
	switch {
	case !slices.Contains(apiOperations, op):
		return fmt.Errorf("no operation %q; faults apply to %v", op, apiOperations)
	case f.Status != 0 && f.Status != http.StatusTooManyRequests && (f.Status < 500 || f.Status > 599):
		return fmt.Errorf("%s: status must be 429 or 500-599, not %d", op, f.Status)
	case f.Delay < 0 || f.Delay > maxFaultDelay:
		return fmt.Errorf("%s: delay must be between 0 and %s", op, maxFaultDelay)
	case f.Status == 0 && f.Delay == 0:
		return fmt.Errorf("%s: a fault needs a status, a delay or both", op)
	case f.Status == 0 && f.Apply:
		return fmt.Errorf("%s: apply goes with a status (without one the request is always carried out)", op)
	case f.Count < 0:
		return fmt.Errorf("%s: count must not be negative", op)
	}
	return nil
}

// takeAPIFaultLocked returns the fault the next request of op gets, and counts it.
func (sb *Sandbox) takeAPIFaultLocked(op string) (APIFault, bool) {
	f, ok := sb.apiFaults[op]
	if !ok {
		return APIFault{}, false
	}
	if f.Count > 0 {
		f.Count--
		if f.Count == 0 {
			delete(sb.apiFaults, op)
		} else {
			sb.apiFaults[op] = f
		}
	}
	return f, true
}

// withFault serves a request of op through h, with op's fault if it has one.
func (sb *Sandbox) withFault(op string, w http.ResponseWriter, r *http.Request, body []byte, h apiHandler) {
	var f APIFault
	var hit bool
	sb.locked(func(time.Time) { f, hit = sb.takeAPIFaultLocked(op) })
	if !hit {
		h(w, r, body)
		return
	}
	var held *heldResponse
	if f.Status == 0 || f.Apply {
		held = &heldResponse{header: http.Header{}, code: http.StatusOK}
		h(held, r, body)
	}
	if f.Delay > 0 {
		t := time.NewTimer(f.Delay)
		defer t.Stop()
		select {
		case <-t.C:
		case <-r.Context().Done():
			return // the merchant gave up waiting: nothing to answer
		case <-sb.done:
		}
	}
	if f.Status != 0 {
		sb.fail(w, f.Status, "FAULT", fmt.Sprintf("%s (a fault set through the sandbox's control API)", http.StatusText(f.Status)))
		return
	}
	maps.Copy(w.Header(), held.header)
	w.WriteHeader(held.code)
	_, _ = w.Write(held.body)
}

// heldResponse keeps an answer to send later, or never.
type heldResponse struct {
	header http.Header
	code   int
	body   []byte
}

func (h *heldResponse) Header() http.Header  { return h.header }
func (h *heldResponse) WriteHeader(code int) { h.code = code }
func (h *heldResponse) Write(b []byte) (int, error) {
	h.body = append(h.body, b...)
	return len(b), nil
}

// apiFaultRecord is one operation's fault as PUT /sandbox/faults takes it and GET answers it.
type apiFaultRecord struct {
	Status int    `json:"status,omitempty"`
	Delay  string `json:"delay,omitempty"` // a Go duration
	Apply  bool   `json:"apply,omitempty"`
	Count  int    `json:"count,omitempty"` // requests still to hit; absent: every one
}

func recordOfAPIFaults(faults map[string]APIFault) map[string]apiFaultRecord {
	out := make(map[string]apiFaultRecord, len(faults))
	for op, f := range faults {
		r := apiFaultRecord{Status: f.Status, Apply: f.Apply, Count: f.Count}
		if f.Delay > 0 {
			r.Delay = f.Delay.String()
		}
		out[op] = r
	}
	return out
}

func apiFaultsOfRecord(recs map[string]apiFaultRecord) (map[string]APIFault, error) {
	out := make(map[string]APIFault, len(recs))
	for op, r := range recs {
		f := APIFault{Status: r.Status, Apply: r.Apply, Count: r.Count}
		if r.Delay != "" {
			d, err := time.ParseDuration(r.Delay)
			if err != nil {
				return nil, fmt.Errorf("%s: delay must be a Go duration such as \"30s\"", op)
			}
			f.Delay = d
		}
		if err := f.validate(op); err != nil {
			return nil, err
		}
		out[op] = f
	}
	return out, nil
}

// handleControlAPIFaults is GET and PUT /sandbox/faults: PUT replaces every API fault ({}
// clears them); both answer the faults in force, each count being what is left of it, with
// the conditions (conditions_control.go).
func (sb *Sandbox) handleControlAPIFaults(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodPut {
		var req map[string]apiFaultRecord
		if !sb.decodeControl(w, r, &req) {
			return
		}
		faults, err := apiFaultsOfRecord(req)
		if err != nil {
			sb.controlError(w, http.StatusUnprocessableEntity, err.Error())
			return
		}
		sb.locked(func(time.Time) { sb.apiFaults = faults })
	}
	sb.writeFaults(w)
}
