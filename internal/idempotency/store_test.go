package idempotency_test

import (
	"context"
	"crypto/sha256"
	"errors"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/placetopay-gateway/gateway/internal/idempotency"
	"github.com/placetopay-gateway/gateway/internal/pgtest"
	"github.com/placetopay-gateway/gateway/internal/tokens"
)

func hash(s string) []byte {
	h := sha256.Sum256([]byte(s))
	return h[:]
}

var (
	bodyA = hash("POST /v1/orders\n{\"a\":1}")
	bodyB = hash("POST /v1/orders\n{\"b\":2}")
)

func outcomeName(o idempotency.Outcome) string {
	switch o {
	case idempotency.Proceed:
		return "Proceed"
	case idempotency.Replay:
		return "Replay"
	case idempotency.Mismatch:
		return "Mismatch"
	case idempotency.InFlight:
		return "InFlight"
	case idempotency.Unreadable:
		return "Unreadable"
	}
	return "unknown"
}

// begin calls Begin and checks its outcome: a response comes with Replay only, and a lease
// on (owner, key) with Proceed only (every other outcome returns the zero Lease).
func begin(t *testing.T, s *idempotency.Store, owner, key string, h []byte, want idempotency.Outcome) (*idempotency.Response, idempotency.Lease) {
	t.Helper()
	got, resp, lease, err := s.Begin(context.Background(), owner, key, "POST", "/v1/orders", h)
	if err != nil {
		t.Fatalf("Begin(%s, %s): %v", owner, key, err)
	}
	if got != want {
		t.Fatalf("Begin(%s, %s) = %s, want %s", owner, key, outcomeName(got), outcomeName(want))
	}
	if (resp != nil) != (want == idempotency.Replay) {
		t.Fatalf("Begin(%s, %s) = %s with response %+v", owner, key, outcomeName(got), resp)
	}
	if want == idempotency.Proceed {
		if lease.Owner != owner || lease.Key != key {
			t.Fatalf("Begin(%s, %s) = Proceed with a lease on (%s, %s)", owner, key, lease.Owner, lease.Key)
		}
	} else if lease != (idempotency.Lease{}) {
		t.Fatalf("Begin(%s, %s) = %s with a lease on (%s, %s)", owner, key, outcomeName(got), lease.Owner, lease.Key)
	}
	return resp, lease
}

// replay checks that Begin replays want for (owner, key) and bodyA.
func replay(t *testing.T, s *idempotency.Store, owner, key string, want idempotency.Response) {
	t.Helper()
	got, _ := begin(t, s, owner, key, bodyA, idempotency.Replay)
	if d := cmp.Diff(want, *got); d != "" {
		t.Errorf("replayed (%s, %s) (-want +got):\n%s", owner, key, d)
	}
}

// wantLeaseLost fails unless err is ErrLeaseLost.
func wantLeaseLost(t *testing.T, what string, err error) {
	t.Helper()
	if !errors.Is(err, idempotency.ErrLeaseLost) {
		t.Errorf("%s = %v, want ErrLeaseLost", what, err)
	}
}

// testKeys seal the stored responses of these tests.
var testKeys = tokens.Generate()

func newStore(t *testing.T) (*pgxpool.Pool, *idempotency.Store) {
	t.Helper()
	pool := pgtest.Pool(t)
	return pool, idempotency.NewStore(pool, time.Minute, testKeys)
}

func TestBeginClaimsOnce(t *testing.T) {
	_, s := newStore(t)
	begin(t, s, "o1", "k", bodyA, idempotency.Proceed)
	begin(t, s, "o1", "k", bodyA, idempotency.InFlight)
	begin(t, s, "o1", "k", bodyB, idempotency.Mismatch)
	// Keys are scoped per owner, and distinct per key.
	begin(t, s, "o2", "k", bodyB, idempotency.Proceed)
	begin(t, s, "o1", "k2", bodyA, idempotency.Proceed)
}

func TestCompleteThenReplay(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name string
		resp idempotency.Response
		want idempotency.Response
	}{
		{"json body",
			idempotency.Response{Status: 201, Header: http.Header{"Content-Type": {"application/json"}, "Location": {"/v1/orders/x"}}, Body: []byte("{\"id\":\"x\"}\n")},
			idempotency.Response{Status: 201, Header: http.Header{"Content-Type": {"application/json"}, "Location": {"/v1/orders/x"}}, Body: []byte("{\"id\":\"x\"}\n")}},
		{"binary body",
			idempotency.Response{Status: 422, Header: http.Header{"Content-Type": {"application/problem+json"}}, Body: []byte{0, 0xff, '\n', 0x80}},
			idempotency.Response{Status: 422, Header: http.Header{"Content-Type": {"application/problem+json"}}, Body: []byte{0, 0xff, '\n', 0x80}}},
		// A nil Header is stored as an empty one.
		{"no headers", idempotency.Response{Status: 200, Body: []byte("ok")},
			idempotency.Response{Status: 200, Header: http.Header{}, Body: []byte("ok")}},
		{"empty headers", idempotency.Response{Status: 200, Header: http.Header{}, Body: []byte("ok")},
			idempotency.Response{Status: 200, Header: http.Header{}, Body: []byte("ok")}},
		{"no body", idempotency.Response{Status: 204},
			idempotency.Response{Status: 204, Header: http.Header{}, Body: []byte{}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, s := newStore(t)
			_, lease := begin(t, s, "o", "k", bodyA, idempotency.Proceed)
			if err := s.Complete(ctx, lease, tt.resp); err != nil {
				t.Fatalf("Complete: %v", err)
			}
			for range 2 {
				replay(t, s, "o", "k", tt.want)
			}
			begin(t, s, "o", "k", bodyB, idempotency.Mismatch)
			// A completed record is not released: its holder no longer holds it, and a retry
			// still replays.
			wantLeaseLost(t, "Release after Complete", s.Release(ctx, lease))
			replay(t, s, "o", "k", tt.want)
		})
	}
}

// TestHeaderRoundTrip checks that the stored headers come back exactly: every name, every
// value, and the order of a header's values.
func TestHeaderRoundTrip(t *testing.T) {
	ctx := context.Background()
	_, s := newStore(t)
	header := http.Header{
		"Location":      {"/v1/orders/0b6f1c2e-8d0e-4b8e-9a57-3f7c1f5a2d10"},
		"Content-Type":  {"application/json; charset=utf-8"},
		"Cache-Control": {"no-store"},
		"Link":          {`</v1/orders?cursor=b>; rel="next"`, `</v1/orders>; rel="first"`, `</v1/orders?cursor=a>; rel="prev"`},
		"X-Note":        {"café, \"quoted\" <&>", ""},
	}
	want := idempotency.Response{Status: 201, Header: header.Clone(), Body: []byte("{}\n")}
	_, lease := begin(t, s, "o", "k", bodyA, idempotency.Proceed)
	if err := s.Complete(ctx, lease, idempotency.Response{Status: 201, Header: header, Body: []byte("{}\n")}); err != nil {
		t.Fatal(err)
	}
	// What is stored is a copy: changing the handler's header afterwards changes nothing.
	header.Set("Location", "/elsewhere")
	header.Add("Link", "<x>")
	for range 2 {
		replay(t, s, "o", "k", want)
	}
}

func TestCompleteNeedsTheLease(t *testing.T) {
	ctx := context.Background()
	_, s := newStore(t)
	resp := idempotency.Response{Status: 201, Header: http.Header{"Content-Type": {"application/json"}}, Body: []byte("{}")}
	wantLeaseLost(t, "Complete of a key never begun", s.Complete(ctx, idempotency.Lease{Owner: "o", Key: "never-begun"}, resp))
	wantLeaseLost(t, "Complete with the zero Lease", s.Complete(ctx, idempotency.Lease{}, resp))

	_, lease := begin(t, s, "o", "k", bodyA, idempotency.Proceed)
	// A lease is more than its owner and key: one made up for the same record is refused.
	forged := idempotency.Lease{Owner: "o", Key: "k"}
	wantLeaseLost(t, "Complete with a forged lease", s.Complete(ctx, forged, idempotency.Response{Status: 200, Body: []byte("forged")}))
	wantLeaseLost(t, "Release with a forged lease", s.Release(ctx, forged))
	begin(t, s, "o", "k", bodyA, idempotency.InFlight)
	// Nor does the lease settle the same key of another owner.
	_, other := begin(t, s, "p", "k", bodyA, idempotency.Proceed)
	moved := lease
	moved.Owner = "p"
	wantLeaseLost(t, "Complete with the lease moved to another owner", s.Complete(ctx, moved, resp))
	begin(t, s, "p", "k", bodyA, idempotency.InFlight)

	if err := s.Complete(ctx, lease, resp); err != nil {
		t.Fatal(err)
	}
	wantLeaseLost(t, "a second Complete", s.Complete(ctx, lease, idempotency.Response{Status: 500, Body: []byte("late")}))
	want := resp
	replay(t, s, "o", "k", want)
	if err := s.Complete(ctx, other, idempotency.Response{Status: 202, Body: []byte("p")}); err != nil {
		t.Fatal(err)
	}
	replay(t, s, "p", "k", idempotency.Response{Status: 202, Header: http.Header{}, Body: []byte("p")})
	replay(t, s, "o", "k", want)
}

func TestReleaseFreesTheKey(t *testing.T) {
	ctx := context.Background()
	_, s := newStore(t)
	_, first := begin(t, s, "o", "k", bodyA, idempotency.Proceed)
	if err := s.Release(ctx, first); err != nil {
		t.Fatal(err)
	}
	// Released: the key is free even for another request.
	_, second := begin(t, s, "o", "k", bodyB, idempotency.Proceed)
	begin(t, s, "o", "k", bodyA, idempotency.Mismatch)
	// The first lease is spent: it neither releases nor completes the second holder's record.
	wantLeaseLost(t, "a double Release", s.Release(ctx, first))
	wantLeaseLost(t, "Complete after Release", s.Complete(ctx, first, idempotency.Response{Status: 201, Body: []byte("stale")}))
	begin(t, s, "o", "k", bodyA, idempotency.Mismatch)
	begin(t, s, "o", "k", bodyB, idempotency.InFlight)

	wantLeaseLost(t, "Release of an unknown key", s.Release(ctx, idempotency.Lease{Owner: "o", Key: "missing"}))
	wantLeaseLost(t, "Release of the zero Lease", s.Release(ctx, idempotency.Lease{}))

	// Releasing one owner's key leaves another's alone.
	begin(t, s, "p", "k", bodyA, idempotency.Proceed)
	if err := s.Release(ctx, second); err != nil {
		t.Fatal(err)
	}
	begin(t, s, "p", "k", bodyA, idempotency.InFlight)
	begin(t, s, "o", "k", bodyA, idempotency.Proceed)
}

// TestExpiredLeaseIsTakenOver checks that a holder that vanished blocks its key only until
// its lease ends, and that once it is taken over the old holder cannot settle it. The sleeps
// only let a 1ms lease run out; nothing here depends on speed.
func TestExpiredLeaseIsTakenOver(t *testing.T) {
	ctx := context.Background()
	pool := pgtest.Pool(t)
	short := idempotency.NewStore(pool, time.Millisecond, testKeys)
	long := idempotency.NewStore(pool, time.Hour, testKeys)

	t.Run("live lease holds", func(t *testing.T) {
		begin(t, long, "o", "live", bodyA, idempotency.Proceed)
		time.Sleep(20 * time.Millisecond)
		begin(t, short, "o", "live", bodyA, idempotency.InFlight)
	})
	t.Run("expired lease is taken over", func(t *testing.T) {
		begin(t, short, "o", "gone", bodyA, idempotency.Proceed)
		time.Sleep(20 * time.Millisecond)
		begin(t, long, "o", "gone", bodyB, idempotency.Mismatch)
		_, lease := begin(t, long, "o", "gone", bodyA, idempotency.Proceed)
		// The new holder has an hour: nobody takes it over again.
		time.Sleep(20 * time.Millisecond)
		begin(t, short, "o", "gone", bodyA, idempotency.InFlight)
		want := idempotency.Response{Status: 201, Header: http.Header{}, Body: []byte("second run")}
		if err := long.Complete(ctx, lease, want); err != nil {
			t.Fatal(err)
		}
		replay(t, short, "o", "gone", want)
	})
	t.Run("the old holder loses its lease", func(t *testing.T) {
		_, old := begin(t, short, "o", "taken", bodyA, idempotency.Proceed)
		time.Sleep(20 * time.Millisecond)
		_, current := begin(t, long, "o", "taken", bodyA, idempotency.Proceed)
		if current == old {
			t.Fatal("the takeover returned the old holder's lease")
		}

		// The old holder comes back: it can neither complete nor release the record.
		stale := idempotency.Response{Status: 201, Header: http.Header{"Location": {"/v1/orders/old"}}, Body: []byte("first run")}
		wantLeaseLost(t, "the old holder's Complete", short.Complete(ctx, old, stale))
		wantLeaseLost(t, "the old holder's Release", short.Release(ctx, old))
		// The new holder still holds the record, in flight.
		begin(t, short, "o", "taken", bodyA, idempotency.InFlight)

		want := idempotency.Response{Status: 201, Header: http.Header{"Location": {"/v1/orders/new"}}, Body: []byte("second run")}
		if err := long.Complete(ctx, current, want); err != nil {
			t.Fatalf("the new holder's Complete: %v", err)
		}
		replay(t, short, "o", "taken", want)
		// Nor can the old holder touch the completed record.
		wantLeaseLost(t, "the old holder's Complete after the new one's", short.Complete(ctx, old, stale))
		wantLeaseLost(t, "the old holder's Release after the new one's Complete", short.Release(ctx, old))
		replay(t, long, "o", "taken", want)
	})
	t.Run("the old holder cannot release the new holder's record", func(t *testing.T) {
		_, old := begin(t, short, "o", "released", bodyA, idempotency.Proceed)
		time.Sleep(20 * time.Millisecond)
		_, current := begin(t, long, "o", "released", bodyA, idempotency.Proceed)
		wantLeaseLost(t, "the old holder's Release", short.Release(ctx, old))
		begin(t, long, "o", "released", bodyA, idempotency.InFlight)
		if err := long.Release(ctx, current); err != nil {
			t.Fatalf("the new holder's Release: %v", err)
		}
		begin(t, long, "o", "released", bodyB, idempotency.Proceed)
	})
	t.Run("a completed record never expires", func(t *testing.T) {
		_, lease := begin(t, short, "o", "done", bodyA, idempotency.Proceed)
		want := idempotency.Response{Status: 201, Header: http.Header{}, Body: []byte("first")}
		if err := short.Complete(ctx, lease, want); err != nil {
			t.Fatal(err)
		}
		time.Sleep(20 * time.Millisecond)
		replay(t, short, "o", "done", want)
	})
}

func TestConcurrentBeginHasOneWinner(t *testing.T) {
	ctx := context.Background()
	_, s := newStore(t)
	const n = 20
	start := make(chan struct{})
	outcomes := make([]idempotency.Outcome, n)
	leases := make([]idempotency.Lease, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			outcomes[i], _, leases[i], errs[i] = s.Begin(ctx, "o", "race", "POST", "/v1/orders", bodyA)
		}()
	}
	close(start)
	wg.Wait()
	counts := map[string]int{}
	var winner idempotency.Lease
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("Begin %d: %v", i, errs[i])
		}
		counts[outcomeName(outcomes[i])]++
		if outcomes[i] == idempotency.Proceed {
			winner = leases[i]
		}
	}
	if d := cmp.Diff(map[string]int{"Proceed": 1, "InFlight": n - 1}, counts); d != "" {
		t.Fatalf("outcomes (-want +got):\n%s", d)
	}
	want := idempotency.Response{Status: 201, Header: http.Header{}, Body: []byte("won")}
	if err := s.Complete(ctx, winner, want); err != nil {
		t.Fatalf("the winner's Complete: %v", err)
	}
	replay(t, s, "o", "race", want)
}

func TestStoreErrors(t *testing.T) {
	pool := pgtest.Pool(t)
	s := idempotency.NewStore(pool, time.Minute, testKeys)
	_, lease := begin(t, s, "o", "k", bodyA, idempotency.Proceed)
	pool.Close()
	ctx := context.Background()
	if _, _, _, err := s.Begin(ctx, "o", "k2", "POST", "/", bodyA); err == nil {
		t.Error("Begin on a closed pool succeeded")
	}
	// A database failure is not a lost lease: the caller cannot tell whether it holds the key.
	if err := s.Complete(ctx, lease, idempotency.Response{Status: 201, Body: []byte("x")}); err == nil || errors.Is(err, idempotency.ErrLeaseLost) {
		t.Errorf("Complete on a closed pool = %v, want a database error", err)
	}
	if err := s.Release(ctx, lease); err == nil || errors.Is(err, idempotency.ErrLeaseLost) {
		t.Errorf("Release on a closed pool = %v, want a database error", err)
	}
}

func TestNewStoreRefusesMissingDependencies(t *testing.T) {
	pool := pgtest.Pool(t)
	tests := []struct {
		name  string
		pool  *pgxpool.Pool
		lease time.Duration
	}{
		{"nil pool", nil, time.Minute},
		{"zero lease", pool, 0},
		{"negative lease", pool, -time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Error("NewStore did not panic")
				}
			}()
			idempotency.NewStore(tt.pool, tt.lease, testKeys)
		})
	}
}
