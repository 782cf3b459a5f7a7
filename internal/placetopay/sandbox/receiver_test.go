package sandbox

import (
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"
)

// Receiver is a merchant's notification endpoint. It is exported for the cross tests of
// package sandbox_test, which share it with this package's tests.
type Receiver struct {
	URL    string
	mu     sync.Mutex
	bodies [][]byte
	code   int
	ch     chan []byte
}

// NewReceiver starts a receiver that answers 200 until told otherwise.
func NewReceiver(t *testing.T) *Receiver {
	t.Helper()
	rec := &Receiver{code: http.StatusOK, ch: make(chan []byte, 1000)}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		rec.mu.Lock()
		rec.bodies = append(rec.bodies, b)
		code := rec.code
		rec.mu.Unlock()
		rec.ch <- b
		w.WriteHeader(code)
	}))
	t.Cleanup(srv.Close)
	rec.URL = srv.URL + "/webhooks/placetopay"
	return rec
}

// AnswerWith makes the receiver answer code from now on.
func (rec *Receiver) AnswerWith(code int) {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	rec.code = code
}

// Next waits for the next notification; the wait is a deadline, not a measurement.
func (rec *Receiver) Next(t *testing.T) []byte {
	t.Helper()
	select {
	case b := <-rec.ch:
		return b
	case <-time.After(10 * time.Second):
		t.Fatal("no notification within 10s")
		return nil
	}
}

// All returns every notification received so far.
func (rec *Receiver) All() [][]byte {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	return append([][]byte(nil), rec.bodies...)
}
