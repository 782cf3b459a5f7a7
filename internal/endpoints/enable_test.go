package endpoints_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/placetopay-gateway/gateway/internal/orders"
)

// TestEnableWithReplaySinceDeliversWhatWasWrittenWhileDisabled: events written while an
// endpoint is disabled are not queued for it; enabling it with replaySince the time it was
// disabled queues them, and it receives every one, each order's in their order. A replay
// time in the future is refused and leaves the endpoint disabled.
func TestEnableWithReplaySinceDeliversWhatWasWrittenWhileDisabled(t *testing.T) {
	f := newFixture(t, 0)
	ctx := context.Background()
	r := newReceiver(t)
	ep := f.create(t, r.srv.URL)
	a, b := insertOrder(t, f.pool), insertOrder(t, f.pool)
	first := insertEvent(t, f.pool, a, "order.failed")
	f.pass(t)
	if !r.has(first) {
		t.Fatal("the enabled endpoint did not get the first event")
	}
	if _, err := f.svc.Disable(ctx, ep.ID, "merchant moving servers", admin); err != nil {
		t.Fatal(err)
	}
	var disabledAt time.Time
	if err := f.pool.QueryRow(ctx, `SELECT clock_timestamp()`).Scan(&disabledAt); err != nil {
		t.Fatal(err)
	}
	written := []uuid.UUID{insertEvent(t, f.pool, a, "order.failed"), insertEvent(t, f.pool, b, "order.failed"),
		insertEvent(t, f.pool, a, "order.cancelled"), insertEvent(t, f.pool, b, "order.paid")}
	for range 2 {
		f.pass(t)
		f.clock.Advance(time.Minute)
	}
	if got := len(r.received()); got != 1 {
		t.Fatalf("a disabled endpoint got %d posts, want only the first event", got)
	}
	if e, _ := f.svc.Get(ctx, ep.ID); e.Pending != 0 {
		t.Fatalf("%d events queued for a disabled endpoint, want none (the documented behaviour)", e.Pending)
	}

	var ie *orders.Error
	if _, _, err := f.svc.Enable(ctx, ep.ID, "back", f.clock.Now().Add(time.Hour), admin); !errors.As(err, &ie) || ie.Field != "replaySince" {
		t.Fatalf("enable with a replay time in the future: %v, want invalid replaySince", err)
	}
	if e, _ := f.svc.Get(ctx, ep.ID); e.Enabled() {
		t.Fatal("a refused enable enabled the endpoint")
	}
	e, queued, err := f.svc.Enable(ctx, ep.ID, "back", disabledAt, admin)
	if err != nil || queued != int64(len(written)) || e.Pending != int64(len(written)) || !e.Enabled() {
		t.Fatalf("enable with replaySince: %+v, queued %d, %v; want enabled with %d queued", e, queued, err, len(written))
	}
	for range len(written) + 1 { // an order's second event waits for its first
		f.pass(t)
	}
	got := r.received()
	if len(got) != 1+len(written) {
		t.Fatalf("received %d events, want %d", len(got), 1+len(written))
	}
	pos := map[uuid.UUID]int{}
	for i, d := range got {
		pos[d.id] = i
	}
	for _, id := range written {
		if _, ok := pos[id]; !ok {
			t.Errorf("event %s written while disabled never came", id)
		}
	}
	if pos[written[0]] > pos[written[2]] || pos[written[1]] > pos[written[3]] {
		t.Errorf("an order's events came out of order: %v", pos)
	}
	var audit string
	if err := f.pool.QueryRow(ctx, `SELECT after::text FROM audit_log WHERE action = 'webhook_endpoint.enable'`).Scan(&audit); err != nil || !strings.Contains(audit, "replaySince") {
		t.Errorf("enable audit row: %s, %v; want the replay time in it", audit, err)
	}
}
