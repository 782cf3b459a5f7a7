package loadtest

import (
	"fmt"
	"io"
	"slices"
	"sort"
	"sync"
	"time"
)

// Recorder collects latencies by name and errors by kind, from many goroutines.
type Recorder struct {
	mu   sync.Mutex
	lat  map[string][]time.Duration
	errs map[string]int
}

// NewRecorder returns an empty recorder.
func NewRecorder() *Recorder {
	return &Recorder{lat: map[string][]time.Duration{}, errs: map[string]int{}}
}

// Observe records one latency.
func (r *Recorder) Observe(name string, d time.Duration) {
	r.mu.Lock()
	r.lat[name] = append(r.lat[name], d)
	r.mu.Unlock()
}

// Error counts one error of kind.
func (r *Recorder) Error(kind string) {
	r.mu.Lock()
	r.errs[kind]++
	r.mu.Unlock()
}

// Latency is a summary of one name's latencies.
type Latency struct {
	N                  int
	P50, P95, P99, Max time.Duration
}

// Latency summarises name's latencies (nearest-rank percentiles).
func (r *Recorder) Latency(name string) Latency {
	r.mu.Lock()
	d := slices.Clone(r.lat[name])
	r.mu.Unlock()
	if len(d) == 0 {
		return Latency{}
	}
	slices.Sort(d)
	at := func(p float64) time.Duration {
		i := int(p*float64(len(d))+0.999999) - 1
		return d[min(max(i, 0), len(d)-1)]
	}
	return Latency{N: len(d), P50: at(0.50), P95: at(0.95), P99: at(0.99), Max: d[len(d)-1]}
}

// Errors is the error counts by kind.
func (r *Recorder) Errors() map[string]int {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make(map[string]int, len(r.errs))
	for k, v := range r.errs {
		out[k] = v
	}
	return out
}

// ErrorCount is the number of errors of every kind.
func (r *Recorder) ErrorCount() int {
	n := 0
	for _, v := range r.Errors() {
		n += v
	}
	return n
}

// PrintErrors writes the error counts, most frequent first, or "none".
func (r *Recorder) PrintErrors(w io.Writer, indent string) {
	errs := r.Errors()
	if len(errs) == 0 {
		fmt.Fprintf(w, "%snone\n", indent)
		return
	}
	kinds := make([]string, 0, len(errs))
	for k := range errs {
		kinds = append(kinds, k)
	}
	sort.Slice(kinds, func(i, j int) bool {
		return errs[kinds[i]] > errs[kinds[j]] || errs[kinds[i]] == errs[kinds[j]] && kinds[i] < kinds[j]
	})
	for _, k := range kinds {
		fmt.Fprintf(w, "%s%-40s %d\n", indent, k, errs[k])
	}
}

// Ms formats a duration in milliseconds with one decimal.
func Ms(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d)/float64(time.Millisecond)) }
