package http_test

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/labstack/echo/v4"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	gatewayhttp "github.com/placetopay-gateway/gateway/internal/http"
)

func TestIdempotencyReplaysCreate(t *testing.T) {
	e := newEnv(t)
	body := usd("IDEM-1", "10.50")
	h := auth(apiKey, "Idempotency-Key", "create-1")

	first := e.do(t, http.MethodPost, "/v1/orders", body, h)
	first.wantStatus(t, http.StatusCreated)
	if got := first.header.Get("Idempotent-Replayed"); got != "" {
		t.Errorf("the first response has Idempotent-Replayed: %q", got)
	}
	for i := range 2 {
		again := e.do(t, http.MethodPost, "/v1/orders", body, h)
		if again.status != first.status || !bytes.Equal(again.body, first.body) {
			t.Fatalf("replay %d: %d %s\nwant %d %s", i, again.status, again.body, first.status, first.body)
		}
		if got := again.header.Get("Idempotent-Replayed"); got != "true" {
			t.Errorf("replay %d: Idempotent-Replayed = %q, want true", i, got)
		}
		if d := cmp.Diff(kept(first.header), kept(again.header)); d != "" {
			t.Errorf("replay %d: headers (-first +replay):\n%s", i, d)
		}
	}
	if n := e.orderCount(t); n != 1 {
		t.Errorf("orders = %d, want 1", n)
	}
	// Without the key the same body is a new request: here a reference conflict.
	e.do(t, http.MethodPost, "/v1/orders", body, auth(apiKey)).wantProblem(t, http.StatusConflict, "conflict", "reference")
}

// kept returns the headers a replay must repeat from the first response.
func kept(h http.Header) http.Header {
	out := http.Header{}
	for _, name := range []string{"Location", "Content-Type", "Cache-Control"} {
		if vs, ok := h[name]; ok {
			out[name] = vs
		}
	}
	return out
}

// TestIdempotencyReplaysHeaders checks that a replayed create repeats the headers the
// handler set (Location, Content-Type) with the body byte for byte, and that what belongs
// to the first request and connection (Date, CORS, Vary, Content-Length) is not kept.
func TestIdempotencyReplaysHeaders(t *testing.T) {
	e := newEnv(t)
	body := usd("IDEM-H", "12.34")
	first := e.do(t, http.MethodPost, "/v1/orders", body, auth(apiKey, "Idempotency-Key", "headers-1", "Origin", shopOrigin))
	first.wantStatus(t, http.StatusCreated)
	var o order
	first.decode(t, &o)
	if loc := first.header.Get("Location"); loc != "/v1/orders/"+o.ID {
		t.Fatalf("first Location = %q, want /v1/orders/%s", loc, o.ID)
	}
	if ct := first.header.Get("Content-Type"); ct != "application/json" {
		t.Fatalf("first Content-Type = %q, want application/json", ct)
	}
	if got := first.header.Get("Access-Control-Allow-Origin"); got != shopOrigin {
		t.Fatalf("first Access-Control-Allow-Origin = %q, want %s", got, shopOrigin)
	}

	// The replay comes without an Origin: the first request's CORS answer must not follow.
	again := e.do(t, http.MethodPost, "/v1/orders", body, auth(apiKey, "Idempotency-Key", "headers-1"))
	again.wantStatus(t, http.StatusCreated)
	if d := cmp.Diff(first.body, again.body); d != "" {
		t.Errorf("replayed body (-first +replay):\n%s", d)
	}
	if d := cmp.Diff(http.Header{"Location": {"/v1/orders/" + o.ID}, "Content-Type": {"application/json"}},
		http.Header{"Location": again.header.Values("Location"), "Content-Type": again.header.Values("Content-Type")}); d != "" {
		t.Errorf("replayed headers (-want +got):\n%s", d)
	}
	if d := cmp.Diff(kept(first.header), kept(again.header)); d != "" {
		t.Errorf("replayed headers (-first +replay):\n%s", d)
	}
	if got := again.header.Values("Idempotent-Replayed"); !cmp.Equal(got, []string{"true"}) {
		t.Errorf("Idempotent-Replayed = %q, want [true]", got)
	}
	if got := again.header.Get("Access-Control-Allow-Origin"); got != "" {
		t.Errorf("the replay to a request without Origin has Access-Control-Allow-Origin %q", got)
	}
	if n := len(again.header.Values("Date")); n > 1 {
		t.Errorf("the replay has %d Date headers", n)
	}
	if n := e.orderCount(t); n != 1 {
		t.Errorf("orders = %d, want 1", n)
	}

	// What is kept is only what the handler chose.
	var stored http.Header
	if err := e.pool.QueryRow(context.Background(),
		"SELECT response_headers FROM idempotency_keys WHERE key = 'headers-1'").Scan(&stored); err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(kept(first.header), kept(stored)); d != "" {
		t.Errorf("stored headers (-first +stored):\n%s", d)
	}
	for name := range stored {
		switch {
		case name == "Date", name == "Vary", name == "Content-Length", name == "Idempotent-Replayed",
			strings.HasPrefix(name, "Access-Control-"):
			t.Errorf("stored headers hold %s: %v", name, stored)
		}
	}
}

func TestIdempotencyMismatch(t *testing.T) {
	e := newEnv(t)
	h := auth(apiKey, "Idempotency-Key", "k-1")
	first := e.do(t, http.MethodPost, "/v1/orders", usd("", "10.50"), h)
	first.wantStatus(t, http.StatusCreated)
	var o order
	first.decode(t, &o)

	tests := []struct{ name, path, body string }{
		{"another total", "/v1/orders", usd("", "10.51")},
		{"same body on another path", "/v1/orders/" + o.ID + "/cancel", usd("", "10.50")},
		{"empty body", "/v1/orders", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e.do(t, http.MethodPost, tt.path, tt.body, h).wantProblem(t, http.StatusUnprocessableEntity, "invalid", "Idempotency-Key")
		})
	}
	if n := e.orderCount(t); n != 1 {
		t.Errorf("orders = %d, want 1", n)
	}
	var got order
	e.do(t, http.MethodGet, "/v1/orders/"+o.ID, "", auth(apiKey)).decode(t, &got)
	if got.Status != "pending" {
		t.Errorf("status = %q: the mismatched cancel ran", got.Status)
	}
	if again := e.do(t, http.MethodPost, "/v1/orders", usd("", "10.50"), h); !bytes.Equal(again.body, first.body) {
		t.Errorf("the original request no longer replays: %s", again.body)
	}
}

func TestIdempotencyKeysAreScopedPerAPIKey(t *testing.T) {
	e := newEnv(t)
	body := usd("", "7.00")
	a := e.do(t, http.MethodPost, "/v1/orders", body, auth(apiKey, "Idempotency-Key", "shared"))
	a.wantStatus(t, http.StatusCreated)
	b := e.do(t, http.MethodPost, "/v1/orders", body, auth(otherAPIKey, "Idempotency-Key", "shared"))
	b.wantStatus(t, http.StatusCreated)
	if b.header.Get("Idempotent-Replayed") != "" || bytes.Equal(a.body, b.body) {
		t.Fatalf("the other API key got the first key's response: %s", b.body)
	}
	// A different body under the other API key is its own request too, not a mismatch.
	c := e.do(t, http.MethodPost, "/v1/orders", usd("", "8.00"), auth(otherAPIKey, "Idempotency-Key", "shared-2"))
	c.wantStatus(t, http.StatusCreated)
	e.do(t, http.MethodPost, "/v1/orders", usd("", "9.00"), auth(apiKey, "Idempotency-Key", "shared-2")).wantStatus(t, http.StatusCreated)

	for _, tt := range []struct {
		key  string
		want response
	}{{apiKey, a}, {otherAPIKey, b}} {
		if r := e.do(t, http.MethodPost, "/v1/orders", body, auth(tt.key, "Idempotency-Key", "shared")); !bytes.Equal(r.body, tt.want.body) {
			t.Errorf("replay under %s… = %s, want %s", tt.key[:12], r.body, tt.want.body)
		}
	}
	if n := e.orderCount(t); n != 4 {
		t.Errorf("orders = %d, want 4", n)
	}
	if n := e.count(t, "SELECT count(DISTINCT owner) FROM idempotency_keys"); n != 2 {
		t.Errorf("owners = %d, want 2", n)
	}
	var leaked int
	if err := e.pool.QueryRow(context.Background(),
		"SELECT count(*) FROM idempotency_keys WHERE owner = ANY($1)", []string{apiKey, otherAPIKey}).Scan(&leaked); err != nil {
		t.Fatal(err)
	}
	if leaked != 0 {
		t.Error("an API key is stored as an idempotency owner")
	}
}

// TestIdempotencyConcurrentRequests fires identical requests with one key at once: exactly
// one runs, and every other gets its response replayed or a 409.
func TestIdempotencyConcurrentRequests(t *testing.T) {
	e := newEnv(t)
	const n = 20
	body := usd("", "25.00")
	for _, key := range []string{"race-1", "race-2", "race-3"} {
		t.Run(key, func(t *testing.T) {
			start := make(chan struct{})
			responses := make([]response, n)
			var wg sync.WaitGroup
			for i := range n {
				wg.Add(1)
				go func() {
					defer wg.Done()
					req, err := http.NewRequest(http.MethodPost, e.ts.URL+"/v1/orders", strings.NewReader(body))
					if err != nil {
						t.Error(err)
						return
					}
					<-start
					responses[i] = e.send(t, req, auth(apiKey, "Idempotency-Key", key))
				}()
			}
			close(start)
			wg.Wait()

			var created []response
			originals := 0
			for i, r := range responses {
				switch r.status {
				case http.StatusCreated:
					created = append(created, r)
					if r.header.Get("Idempotent-Replayed") == "" {
						originals++
					}
				case http.StatusConflict:
					r.wantProblem(t, http.StatusConflict, "conflict", "Idempotency-Key")
				default:
					t.Errorf("response %d: %d %s", i, r.status, r.body)
				}
			}
			if len(created) == 0 {
				t.Fatal("no request got the 201")
			}
			if originals != 1 {
				t.Errorf("%d responses were not replays, want exactly 1", originals)
			}
			for _, r := range created[1:] {
				if !bytes.Equal(r.body, created[0].body) {
					t.Errorf("201 bodies differ:\n%s\n%s", r.body, created[0].body)
				}
			}
			var o order
			created[0].decode(t, &o)
			if c := e.count(t, "SELECT count(*) FROM orders WHERE id = $1", o.ID); c != 1 {
				t.Errorf("the replayed order is not stored")
			}
		})
	}
	if c := e.orderCount(t); c != 3 {
		t.Errorf("orders = %d, want one per key (3)", c)
	}
}

func TestIdempotencyKeyLength(t *testing.T) {
	e := newEnv(t)
	e.do(t, http.MethodPost, "/v1/orders", usd("", "1.00"), auth(apiKey, "Idempotency-Key", strings.Repeat("k", 256))).
		wantProblem(t, http.StatusBadRequest, "bad_request", "Idempotency-Key")
	if n := e.orderCount(t); n != 0 {
		t.Errorf("orders = %d, want 0", n)
	}
	e.do(t, http.MethodPost, "/v1/orders", usd("", "1.00"), auth(apiKey, "Idempotency-Key", strings.Repeat("k", 255))).
		wantStatus(t, http.StatusCreated)
}

func TestIdempotencyReplaysCancel(t *testing.T) {
	e := newEnv(t)
	o := e.createOrder(t, usd("", "2.00"))
	path := "/v1/orders/" + o.ID + "/cancel"
	h := auth(apiKey, "Idempotency-Key", "cancel-1")
	first := e.do(t, http.MethodPost, path, "", h)
	first.wantStatus(t, http.StatusOK)
	again := e.do(t, http.MethodPost, path, "", h)
	if again.status != http.StatusOK || !bytes.Equal(again.body, first.body) || again.header.Get("Idempotent-Replayed") != "true" {
		t.Errorf("replayed cancel: %d %q %s", again.status, again.header.Get("Idempotent-Replayed"), again.body)
	}
	e.do(t, http.MethodPost, path, "", auth(apiKey)).wantProblem(t, http.StatusConflict, "conflict", "")
}

// TestIdempotencyKeepsClientErrors checks that a 4xx is the first response like any other:
// the contract replays it rather than running the request again.
func TestIdempotencyKeepsClientErrors(t *testing.T) {
	e := newEnv(t)
	h := auth(apiKey, "Idempotency-Key", "bad-1")
	first := e.do(t, http.MethodPost, "/v1/orders", usd("", "0"), h)
	first.wantProblem(t, http.StatusUnprocessableEntity, "invalid", "amount.total")
	again := e.do(t, http.MethodPost, "/v1/orders", usd("", "0"), h)
	if again.status != first.status || !bytes.Equal(again.body, first.body) || again.header.Get("Idempotent-Replayed") != "true" {
		t.Errorf("replayed 422: %d %s", again.status, again.body)
	}
	if ct := again.header.Get("Content-Type"); ct != "application/problem+json" {
		t.Errorf("replayed Content-Type = %q", ct)
	}
}

// TestIdempotencyServerErrorReleasesKey makes the database refuse one order: the 500 is not
// kept, so a retry with the same key runs again and succeeds.
func TestIdempotencyServerErrorReleasesKey(t *testing.T) {
	core, logs := observer.New(zapcore.InfoLevel)
	e := newEnvWith(t, gatewayhttp.Config{APIKeys: []string{apiKey}}, zap.New(core))
	ctx := context.Background()
	if _, err := e.pool.Exec(ctx, `ALTER TABLE orders ADD CONSTRAINT test_refuse_boom CHECK (description <> 'boom')`); err != nil {
		t.Fatal(err)
	}
	body := `{"description":"boom","amount":{"currency":"USD","total":"1.00"}}`
	h := auth(apiKey, "Idempotency-Key", "retry-me")

	r := e.do(t, http.MethodPost, "/v1/orders", body, h)
	p := r.wantProblem(t, http.StatusInternalServerError, "internal", "")
	if p.Detail != "internal error" || strings.Contains(string(r.body), "test_refuse_boom") {
		t.Errorf("the 500 leaks its cause: %s", r.body)
	}
	if n := e.count(t, "SELECT count(*) FROM idempotency_keys"); n != 0 {
		t.Errorf("idempotency records = %d after a 500, want 0", n)
	}
	if n := logs.FilterLevelExact(zapcore.ErrorLevel).Len(); n != 1 {
		t.Errorf("error log lines = %d, want 1: %v", n, logs.All())
	}

	if _, err := e.pool.Exec(ctx, `ALTER TABLE orders DROP CONSTRAINT test_refuse_boom`); err != nil {
		t.Fatal(err)
	}
	retry := e.do(t, http.MethodPost, "/v1/orders", body, h)
	retry.wantStatus(t, http.StatusCreated)
	if retry.header.Get("Idempotent-Replayed") != "" {
		t.Error("the retry was a replay")
	}
	if again := e.do(t, http.MethodPost, "/v1/orders", body, h); !bytes.Equal(again.body, retry.body) {
		t.Errorf("the successful retry is not kept: %s", again.body)
	}
	if n := e.orderCount(t); n != 1 {
		t.Errorf("orders = %d, want 1", n)
	}
}

// TestIdempotencyPanicReleasesKey mounts a handler that panics behind the real middleware:
// the caller gets a 500 problem, the metrics count it, and the key is free for a retry.
func TestIdempotencyPanicReleasesKey(t *testing.T) {
	e := newEnv(t)
	var calls atomic.Int32
	e.srv.MountForTest("/v1/test/panic", func(echo.Context) error {
		calls.Add(1)
		panic("boom")
	}, passThrough)
	h := auth(apiKey, "Idempotency-Key", "panic-1")
	for i := 1; i <= 2; i++ {
		r := e.do(t, http.MethodPost, "/v1/test/panic", `{}`, h)
		p := r.wantProblem(t, http.StatusInternalServerError, "internal", "")
		if strings.Contains(p.Detail, "boom") {
			t.Errorf("the 500 leaks the panic: %s", r.body)
		}
		if got := calls.Load(); got != int32(i) {
			t.Fatalf("handler calls = %d after request %d: the key was not released", got, i)
		}
	}
	if got := counter(t, e, "/v1/test/panic", "POST", "5xx"); got != 2 {
		t.Errorf("requests counted with status class 5xx = %v, want 2", got)
	}
}

// TestIdempotencyOutlivesTheClient checks that a client that hangs up does not leave its
// key held: the response is kept (or the key released) although the request's context is
// cancelled by then, so that a retry is a replay and never a second run.
func TestIdempotencyOutlivesTheClient(t *testing.T) {
	tests := []struct {
		name      string
		handler   func(c echo.Context) error
		wantState string // "" means no record left
	}{
		{"success is kept", func(c echo.Context) error {
			return c.JSON(http.StatusCreated, map[string]string{"id": "x"})
		}, "done"},
		{"server error releases", func(c echo.Context) error {
			return errors.New("the database went away")
		}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			started, finished := make(chan struct{}), make(chan struct{})
			e.srv.MountForTest("/v1/test/slow", func(c echo.Context) error {
				close(started)
				<-c.Request().Context().Done() // the client hung up
				return tt.handler(c)
			}, func(next echo.HandlerFunc) echo.HandlerFunc {
				return func(c echo.Context) error {
					defer close(finished)
					return next(c)
				}
			})
			ctx, cancel := context.WithCancel(context.Background())
			req, err := http.NewRequestWithContext(ctx, http.MethodPost, e.ts.URL+"/v1/test/slow", strings.NewReader(`{}`))
			if err != nil {
				t.Fatal(err)
			}
			req.Header = auth(apiKey, "Idempotency-Key", "hang-up")
			done := make(chan error, 1)
			go func() {
				res, err := e.ts.Client().Do(req)
				if err == nil {
					res.Body.Close()
				}
				done <- err
			}()
			<-started
			cancel()
			if err := <-done; !errors.Is(err, context.Canceled) {
				t.Fatalf("client error = %v, want context.Canceled", err)
			}
			select {
			case <-finished:
			case <-time.After(30 * time.Second):
				t.Fatal("the handler never saw the client hang up")
			}
			var state string
			err = e.pool.QueryRow(context.Background(), "SELECT state FROM idempotency_keys WHERE key = 'hang-up'").Scan(&state)
			if err != nil && tt.wantState != "" || err == nil && state != tt.wantState {
				t.Errorf("record state = %q (%v), want %q", state, err, tt.wantState)
			}
		})
	}
}

func passThrough(next echo.HandlerFunc) echo.HandlerFunc { return next }
