package loadtest

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// TestProviderTimerTimesSessionsByReference: the timer passes every call through, answer
// and headers included, and times only the sessions opened, by their payment reference.
func TestProviderTimerTimesSessionsByReference(t *testing.T) {
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/api/session" {
			time.Sleep(20 * time.Millisecond) // what the timer must at least see, not a measurement
		}
		w.Header().Set("Sandbox-Latency", "20ms")
		_, _ = fmt.Fprintf(w, `{"path":%q}`, r.URL.Path)
	}))
	defer upstream.Close()
	timer := NewProviderTimer()
	url, stop, err := timer.Listen()
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	timer.SetTarget(upstream.URL)
	post := func(path, body string) string {
		req, _ := http.NewRequestWithContext(context.Background(), http.MethodPost, url+path, strings.NewReader(body))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.Header.Get("Sandbox-Latency") != "20ms" {
			t.Errorf("%s: the upstream's headers were not passed on", path)
		}
		return string(b)
	}
	if got := post("/api/session", `{"payment":{"reference":"R-1"}}`); got != `{"path":"/api/session"}` {
		t.Errorf("answer %s", got)
	}
	post("/api/session/7", `{"payment":{"reference":"R-2"}}`)
	if d, ok := timer.Took("R-1"); !ok || d < 20*time.Millisecond {
		t.Errorf("R-1 took %s (%v), want at least the upstream's 20ms", d, ok)
	}
	if _, ok := timer.Took("R-2"); ok {
		t.Error("a query was timed as a session")
	}
}

// TestSamplePoolReadsTheGatewaysPoolMetrics: the sampler keeps the most connections in use
// and the waits during the phase only.
func TestSamplePoolReadsTheGatewaysPoolMetrics(t *testing.T) {
	acquired, waits := make(chan int, 100), 5
	last := 1
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case last = <-acquired:
		default:
		}
		_, _ = fmt.Fprintf(w, "# HELP x\ngateway_db_pool_acquired_connections %d\ngateway_db_pool_max_connections 4\n"+
			"gateway_db_pool_empty_acquires_total %d\ngateway_db_pool_empty_acquire_wait_seconds_total 0.5\ngo_goroutines 9\n", last, waits)
		waits++
	}))
	defer srv.Close()
	s := SamplePool(srv.URL)
	acquired <- 3
	acquired <- 2
	for len(acquired) > 0 {
		time.Sleep(10 * time.Millisecond) // until the scrapes took both: the 3 is recorded before the 2 is read
	}
	u := s.Done()
	if u.MaxAcquired != 3 || u.MaxConns != 4 || u.Waits < 2 || u.WaitSeconds != 0 {
		t.Errorf("usage %+v, want at most 3 of 4 in use, the waits since the start and no wait time added", u)
	}
}

// TestProviderTimerCountsConnections: calls over one kept-alive connection count once.
func TestProviderTimerCountsConnections(t *testing.T) {
	upstream := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	defer upstream.Close()
	timer := NewProviderTimer()
	url, stop, err := timer.Listen()
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	timer.SetTarget(upstream.URL)
	client := &http.Client{Transport: &http.Transport{}}
	for range 3 {
		resp, err := client.Post(url+"/api/session/1", "application/json", strings.NewReader("{}"))
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	if n := timer.Conns(); n != 1 {
		t.Errorf("3 calls over one connection counted %d connections", n)
	}
}
