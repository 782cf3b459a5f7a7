package loadtest

import (
	"bytes"
	"context"
	"io"
	"math/rand/v2"
	"net/http"
	"sync"
	"time"
)

// SlowActions stands between the gateways and the sandbox and makes PlacetoPay's transaction
// actions (POST /api/transaction: refunds, captures, reauthorizations, confirmations) take as
// long as real PlacetoPay may. The sandbox answers in well under a millisecond, so a replica
// killed at random would almost never die during an action; held up to Max, some do. Each
// action is held a random time up to Max, a random part of it before the sandbox is asked
// and the rest after it answered; everything else passes at once. Once asked, the sandbox
// is asked to the end, as PlacetoPay finishes what it was sent whatever its caller does.
type SlowActions struct {
	Max  time.Duration
	HTTP *http.Client

	mu     sync.Mutex
	target string
	rnd    *rand.Rand
	counts ActionCounts
}

// ActionCounts are the actions SlowActions held, and those whose caller went away meanwhile.
type ActionCounts struct {
	Held       int
	GoneBefore int // before the sandbox was asked: nothing was done
	GoneAfter  int // after the sandbox was asked: it was done (or refused) and its answer lost
}

// NewSlowActions returns a SlowActions holding actions up to max, drawn from seed, with no
// target yet.
func NewSlowActions(maxDelay time.Duration, seed uint64) *SlowActions {
	return &SlowActions{Max: maxDelay, HTTP: NewClient(nil, "", "").HTTP, rnd: rand.New(rand.NewPCG(seed, 0x510e))}
}

// SetTarget sets the sandbox's base URL.
func (s *SlowActions) SetTarget(url string) {
	s.mu.Lock()
	s.target = url
	s.mu.Unlock()
}

// Counts are the counts so far.
func (s *SlowActions) Counts() ActionCounts {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.counts
}

// Listen serves on a loopback port; it returns the base URL and how to stop it.
func (s *SlowActions) Listen() (string, func(), error) {
	return serveLoopback(&http.Server{Handler: s, ReadHeaderTimeout: 5 * time.Second})
}

func (s *SlowActions) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	held := r.Method == http.MethodPost && r.URL.Path == "/api/transaction"
	var before, after time.Duration
	s.mu.Lock()
	target := s.target
	if held && target != "" {
		d := s.rnd.Int64N(int64(s.Max) + 1)
		before = time.Duration(s.rnd.Int64N(d + 1))
		after = time.Duration(d) - before
		s.counts.Held++
	}
	s.mu.Unlock()
	if target == "" {
		http.Error(w, "no sandbox yet", http.StatusBadGateway)
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		return
	}
	if !sleep(r.Context(), before) {
		s.gone(held, &s.counts.GoneBefore)
		return
	}
	req, err := http.NewRequestWithContext(context.WithoutCancel(r.Context()), r.Method, target+r.URL.RequestURI(), bytes.NewReader(body))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	req.Header = r.Header.Clone()
	resp, err := s.HTTP.Do(req)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	answer, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	resp.Body.Close()
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	if !sleep(r.Context(), after) {
		s.gone(held, &s.counts.GoneAfter)
		return
	}
	for name, values := range resp.Header {
		if name != "Content-Length" {
			w.Header()[name] = values
		}
	}
	w.WriteHeader(resp.StatusCode)
	_, _ = w.Write(answer)
}

// gone counts a held action whose caller went away.
func (s *SlowActions) gone(held bool, n *int) {
	if !held {
		return
	}
	s.mu.Lock()
	*n++
	s.mu.Unlock()
}

// sleep waits d, or less when ctx ends first; it reports whether ctx is still live.
func sleep(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
