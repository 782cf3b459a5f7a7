package loadtest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestRecorderPercentiles(t *testing.T) {
	r := NewRecorder()
	for i := 100; i >= 1; i-- { // out of order on purpose
		r.Observe("x", time.Duration(i)*time.Millisecond)
	}
	got := r.Latency("x")
	want := Latency{N: 100, P50: 50 * time.Millisecond, P95: 95 * time.Millisecond, P99: 99 * time.Millisecond, Max: 100 * time.Millisecond}
	if got != want {
		t.Errorf("Latency = %+v, want %+v", got, want)
	}
	if l := r.Latency("none"); l.N != 0 {
		t.Errorf("Latency of nothing = %+v", l)
	}
	r.Error("a: http 500")
	r.Error("a: http 500")
	r.Error("b: refused")
	if n := r.ErrorCount(); n != 3 {
		t.Errorf("ErrorCount = %d, want 3", n)
	}
}

func TestReadUsageOfThisProcess(t *testing.T) {
	u, err := ReadUsage(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if u.RSS <= 0 || u.PeakRSS < u.RSS {
		t.Errorf("usage %+v: want a positive RSS no larger than the peak", u)
	}
	// Burn some CPU and see it counted.
	deadline := time.Now().Add(150 * time.Millisecond)
	for x := 0; time.Now().Before(deadline); x++ {
		_ = x * x
	}
	after, err := ReadUsage(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if after.CPU <= u.CPU {
		t.Errorf("CPU time did not grow: %s then %s", u.CPU, after.CPU)
	}
}

// A retrying client sends the same Idempotency-Key until the conflict passes; one that does
// not retry reports the first failure by kind.
func TestClientRetriesWithTheSameKey(t *testing.T) {
	var calls atomic.Int32
	keys := make(chan string, 10)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		keys <- r.Header.Get("Idempotency-Key")
		if calls.Add(1) < 3 {
			w.Header().Set("Retry-After", "1")
			http.Error(w, `{"code":"conflict"}`, http.StatusConflict)
			return
		}
		w.WriteHeader(http.StatusCreated)
		_, _ = w.Write([]byte(`{"id":"o1","reference":"R1","status":"pending","clientSecret":"cs"}`))
	}))
	defer srv.Close()

	c := NewClient([]string{srv.URL}, "key", "")
	c.Retry = 10 * time.Second
	o, err := c.CreateOrder(context.Background(), "R1", "1.00", "USD")
	if err != nil || o.ID != "o1" {
		t.Fatalf("CreateOrder = %+v, %v; want o1", o, err)
	}
	close(keys)
	for k := range keys {
		if k != "create-R1" {
			t.Errorf("Idempotency-Key %q, want create-R1 on every attempt", k)
		}
	}
	if n := calls.Load(); n != 3 {
		t.Errorf("%d calls, want 3", n)
	}

	calls.Store(0)
	keys = make(chan string, 10)
	c.Retry = 0
	if _, err := c.CreateOrder(context.Background(), "R1", "1.00", "USD"); Kind(err) != "create-order: http 409" {
		t.Errorf("without retries: %v (kind %q), want create-order: http 409", err, Kind(err))
	}
	srv.Close()
	if _, err := c.CreateOrder(context.Background(), "R2", "1.00", "USD"); Kind(err) != "create-order: refused" {
		t.Errorf("server gone: kind %q, want create-order: refused", Kind(err))
	}
}

// A refund whose answer was lost is retried with its own key until the gateway answers;
// an answer the gateway replays for the key never changes, so it ends the retries.
func TestRefundRetriesStopAtAReplayedAnswer(t *testing.T) {
	var calls atomic.Int32
	var keys []string
	var mu sync.Mutex
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		keys = append(keys, r.Header.Get("Idempotency-Key"))
		mu.Unlock()
		switch calls.Add(1) {
		case 1: // the replica died mid-call
			hj, _ := w.(http.Hijacker)
			conn, _, _ := hj.Hijack()
			conn.Close()
		case 2: // its key is still held
			w.Header().Set("Retry-After", "5")
			http.Error(w, `{"code":"conflict"}`, http.StatusConflict)
		case 3: // run again: the refund it sent is being checked
			http.Error(w, `{"code":"conflict"}`, http.StatusConflict)
		default:
			w.Header().Set("Idempotent-Replayed", "true")
			http.Error(w, `{"code":"conflict"}`, http.StatusConflict)
		}
	}))
	defer srv.Close()
	c := NewClient([]string{srv.URL}, "key", "")
	c.Retry = 10 * time.Second
	_, err := c.Refund(context.Background(), "o1", 2, "1.50", "USD")
	var e *Error
	if !errors.As(err, &e) || e.Kind != "http 409" || !e.Replayed {
		t.Errorf("Refund = %v, want the replayed 409", err)
	}
	if want := slices.Repeat([]string{"refund-o1-2"}, 4); !slices.Equal(keys, want) {
		t.Errorf("keys %q, want %q: one attempt after the replayed answer's first", keys, want)
	}

	// 202: the gateway did not learn the outcome and checks it; an answer, not a failure.
	accepted := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusAccepted)
		_, _ = w.Write([]byte(`{"id":"r1","status":"unknown"}`))
	}))
	defer accepted.Close()
	c = NewClient([]string{accepted.URL}, "key", "")
	if r, err := c.Refund(context.Background(), "o1", 1, "", "USD"); err != nil || r.Status != "unknown" {
		t.Errorf("Refund = %+v, %v; want the unknown refund", r, err)
	}
}

// Via sends the next call to the replica named, and its retries on to the others in turn.
func TestViaStartsAtTheReplicaNamed(t *testing.T) {
	c := NewClient([]string{"http://a", "http://b", "http://c"}, "key", "")
	c.Retry = time.Minute
	v := c.Via("http://b")
	if want := []string{"http://b", "http://c", "http://a"}; !slices.Equal(v.Bases, want) || v.Retry != c.Retry || v.HTTP != c.HTTP {
		t.Errorf("Via(b) has bases %q, retry %s: want %q and the client's retry and HTTP client", v.Bases, v.Retry, want)
	}
	if got := []string{v.base(), v.base(), v.base()}; !slices.Equal(got, v.Bases) {
		t.Errorf("calls go to %q, want %q", got, v.Bases)
	}
}

func TestAmount(t *testing.T) {
	for minor, want := range map[int64]string{1: "0.01", 1000: "10.00", 5990: "59.90", 123456: "1234.56"} {
		if got := Amount(minor); got != want {
			t.Errorf("Amount(%d) = %q, want %q", minor, got, want)
		}
	}
}

// The relay forwards each post, path and body, to its targets in turn, skips one that
// refuses the connection, and tells what the gateway answered.
func TestRelayForwardsInTurnAndSkipsADeadTarget(t *testing.T) {
	var got []string
	var mu sync.Mutex
	target := func(name string) *httptest.Server {
		return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			b, _ := io.ReadAll(r.Body)
			mu.Lock()
			got = append(got, name+" "+r.URL.Path+" "+string(b))
			mu.Unlock()
			w.WriteHeader(http.StatusBadRequest)
		}))
	}
	a, b := target("a"), target("b")
	defer a.Close()
	defer b.Close()
	dead := httptest.NewServer(http.NotFoundHandler())
	dead.Close()

	rl := NewRelay()
	rl.SetTargets([]string{a.URL, dead.URL, b.URL})
	var statuses []int
	rl.Observe(func(_ time.Duration, status int, err error) {
		if err != nil {
			t.Errorf("observed error %v", err)
		}
		statuses = append(statuses, status)
	})
	url, stop, err := rl.Listen()
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	for i := range 3 {
		resp, err := http.Post(url+"/webhooks/placetopay", "application/json", strings.NewReader(fmt.Sprint(i)))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("post %d answered %d, want the target's 400", i, resp.StatusCode)
		}
	}
	want := []string{"a /webhooks/placetopay 0", "b /webhooks/placetopay 1", "a /webhooks/placetopay 2"}
	if !slices.Equal(got, want) || !slices.Equal(statuses, []int{400, 400, 400}) {
		t.Errorf("forwarded %q with statuses %v, want %q, each 400", got, statuses, want)
	}
}

// Sandbox calls are not retried, whatever Retry says: a 409 there means "not payable".
func TestSandboxCallsAreNotRetried(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		http.Error(w, `{"error":"not payable"}`, http.StatusConflict)
	}))
	defer srv.Close()
	c := NewClient([]string{srv.URL}, "key", srv.URL)
	c.Retry = 10 * time.Second
	if err := c.Pay(context.Background(), 7, "4110760000000081"); Kind(err) != "pay: http 409" || calls.Load() != 1 {
		t.Errorf("Pay = %v after %d call(s), want one call and pay: http 409", err, calls.Load())
	}
}

// SlowActions holds only transaction actions; one whose caller gives up before the sandbox
// is asked never reaches it, and every other reaches it once, whatever its caller does.
func TestSlowActionsHoldOnlyActionsAndAskTheSandboxOnce(t *testing.T) {
	var mu sync.Mutex
	var got []string
	sandbox := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		got = append(got, r.Method+" "+r.URL.Path+" "+r.Header.Get("Authorization")+" "+string(b))
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"status":{"status":"OK"}}`))
	}))
	defer sandbox.Close()
	slow := NewSlowActions(400*time.Millisecond, 1)
	url, stop, err := slow.Listen()
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	post := func(path string, timeout time.Duration) (string, error) {
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		defer cancel()
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, url+path, strings.NewReader(`{"n":1}`))
		req.Header.Set("Authorization", "auth")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return "", err
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		return fmt.Sprint(resp.StatusCode, " ", resp.Header.Get("Content-Type"), " ", string(b)), err
	}
	if answer, _ := post("/api/session/1", time.Second); !strings.HasPrefix(answer, "502 ") {
		t.Errorf("answered %q before it has a target, want 502", answer)
	}
	slow.SetTarget(sandbox.URL)

	start := time.Now()
	if answer, err := post("/api/session/1", time.Second); err != nil || answer != `200 application/json {"status":{"status":"OK"}}` {
		t.Errorf("query = %q, %v; want the sandbox's answer", answer, err)
	}
	if d := time.Since(start); d > 100*time.Millisecond {
		t.Errorf("a query took %s: only actions are held", d)
	}
	const actions = 20
	for range actions {
		_, _ = post("/api/transaction", 100*time.Millisecond)
	}
	deadline := time.Now().Add(2 * time.Second)
	for {
		mu.Lock()
		asked := len(got) - 1 // the query
		mu.Unlock()
		c := slow.Counts()
		if asked == c.Held-c.GoneBefore {
			if c.Held != actions || c.GoneBefore == 0 || c.GoneAfter == 0 {
				t.Errorf("counts %+v: want %d held, some callers gone before the sandbox was asked and some after", c, actions)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the sandbox was asked %d times; counts %+v: want every held action not given up before asked once", asked, c)
		}
		time.Sleep(10 * time.Millisecond)
	}
	mu.Lock()
	defer mu.Unlock()
	for _, g := range got[1:] {
		if g != `POST /api/transaction auth {"n":1}` {
			t.Errorf("the sandbox was asked %q, want the action as sent", g)
		}
	}
}
