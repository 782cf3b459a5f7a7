package main

import (
	"context"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// serveInBackground starts serveUntilDone and returns its log and a channel with its result.
func serveInBackground(ctx context.Context, endpoints []endpoint) (*syncBuffer, chan error) {
	logs := &syncBuffer{}
	done := make(chan error, 1)
	go func() { done <- serveUntilDone(ctx, newLogger(logs), endpoints, "http://localhost:8080") }()
	return logs, done
}

// waitUntil polls cond until it holds, failing the test after a minute.
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestServeUntilDoneFinishesInFlightRequests(t *testing.T) {
	entered, release := make(chan struct{}), make(chan struct{})
	var enterOnce sync.Once
	srv := &http.Server{Addr: "127.0.0.1:0", Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		enterOnce.Do(func() { close(entered) })
		<-release
		_, _ = io.WriteString(w, "finished")
	})}
	var releaseOnce sync.Once
	releaseHandler := func() { releaseOnce.Do(func() { close(release) }) }
	t.Cleanup(releaseHandler) // never leave the handler blocked when the test fails early

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	logs, done := serveInBackground(ctx, []endpoint{{name: "public", server: srv}})
	addr := waitForListeners(t, logs, exitedFunc(done), "public")["public"]

	type result struct {
		code int
		body string
		err  error
	}
	resc := make(chan result, 1)
	go func() {
		resp, err := (&http.Client{Timeout: time.Minute}).Get("http://" + addr + "/slow")
		if err != nil {
			resc <- result{err: err}
			return
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		resc <- result{resp.StatusCode, string(b), err}
	}()
	select {
	case <-entered:
	case r := <-resc:
		t.Fatalf("request finished before reaching the handler: %+v", r)
	case <-time.After(time.Minute):
		t.Fatal("the request never reached the handler")
	}

	cancel()
	// Shutdown has begun once the listener refuses new connections.
	waitUntil(t, "the listener to close", func() bool {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err != nil {
			return true
		}
		c.Close()
		return false
	})
	if !strings.Contains(logs.String(), `"shutting down"`) {
		t.Errorf("no shutting down line; log:\n%s", logs)
	}
	select {
	case err := <-done:
		t.Fatalf("serveUntilDone returned %v while a request was still in flight", err)
	case r := <-resc:
		t.Fatalf("in-flight request ended before its handler was released: %+v", r)
	default:
	}

	releaseHandler()
	select {
	case r := <-resc:
		if r.err != nil || r.code != http.StatusOK || r.body != "finished" {
			t.Errorf("in-flight request got %d %q, %v; want 200 \"finished\"", r.code, r.body, r.err)
		}
	case <-time.After(time.Minute):
		t.Fatal("the in-flight request never got its response")
	}
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("serveUntilDone = %v, want nil", err)
		}
	case <-time.After(time.Minute):
		t.Fatal("serveUntilDone did not return after the last request finished")
	}
	if _, ok := findLog(t, logs.String(), "stopped"); !ok {
		t.Errorf("no stopped line; log:\n%s", logs)
	}
}

func TestServeUntilDoneListenFailure(t *testing.T) {
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()

	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {})
	first := &http.Server{Addr: "127.0.0.1:0", Handler: ok}
	second := &http.Server{Addr: taken.Addr().String(), Handler: ok}
	logs, done := serveInBackground(context.Background(), []endpoint{{name: "public", server: first}, {name: "admin", server: second}})

	var got error
	select {
	case got = <-done:
	case <-time.After(time.Minute):
		t.Fatal("serveUntilDone kept running although the admin address is taken")
	}
	if got == nil || !strings.Contains(got.Error(), "admin") || !strings.Contains(got.Error(), taken.Addr().String()) {
		t.Errorf("serveUntilDone = %v, want an error naming the admin listener and its address", got)
	}
	addr := waitForListeners(t, logs, func() bool { return true }, "public")["public"]
	waitUntil(t, "the public listener to be closed", func() bool {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err != nil {
			return true
		}
		c.Close()
		return false
	})
}
