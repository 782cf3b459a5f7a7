package placetopay

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
)

// TestClientKeepsConnectionsForCallsAtOnce: three rounds of 20 calls at once open about 20
// connections, not a new one for nearly every call as Go's default of 2 idle connections
// per host would.
func TestClientKeepsConnectionsForCallsAtOnce(t *testing.T) {
	const inFlight = 20
	var conns atomic.Int32
	var arrived sync.WaitGroup
	body := okAnswers("/api/session/1", 0).body
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		arrived.Done()
		arrived.Wait() // every call of the round is in flight at once
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(body))
	}))
	srv.Config.ConnState = func(_ net.Conn, st http.ConnState) {
		if st == http.StateNew {
			conns.Add(1)
		}
	}
	srv.Start()
	defer srv.Close()
	cfg := testConfig(srv.URL)
	cfg.Nonce = nil
	c := newTestClient(t, cfg)
	for range 3 {
		arrived.Add(inFlight)
		var calls sync.WaitGroup
		for range inFlight {
			calls.Go(func() {
				if _, err := c.QuerySession(context.Background(), 1); err != nil {
					t.Error(err)
				}
			})
		}
		calls.Wait()
	}
	if n := conns.Load(); n > inFlight+2 {
		t.Errorf("3 rounds of %d calls at once opened %d connections, want about %d", inFlight, n, inFlight)
	}
}
