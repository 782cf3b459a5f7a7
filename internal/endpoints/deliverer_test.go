package endpoints_test

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
	"go.uber.org/zap"

	"github.com/placetopay-gateway/gateway/internal/endpoints"
	"github.com/placetopay-gateway/gateway/internal/operators"
	"github.com/placetopay-gateway/gateway/internal/orders"
	"github.com/placetopay-gateway/gateway/internal/pgtest"
	"github.com/placetopay-gateway/gateway/internal/tokens"
)

var admin = operators.Actor{Kind: operators.ActorOperator, ID: "00000000-0000-0000-0000-000000000001", Name: "ana@shop.test"}

type fixture struct {
	pool    *pgxpool.Pool
	clock   *fakeClock
	svc     *endpoints.Service
	d       *endpoints.Deliverer
	metrics *endpoints.Metrics
	keys    *tokens.Keyring
}

func newFixture(t *testing.T, disableAfter time.Duration) *fixture {
	t.Helper()
	pool := pgtest.Pool(t)
	clock := &fakeClock{now: time.Now().UTC()}
	keys := tokens.Generate()
	m := endpoints.NewMetrics(prometheus.NewRegistry())
	svc := endpoints.NewService(pool, endpoints.Config{Keys: keys, EventTypes: orders.EventTypes(), DefaultURL: "https://shop.test/hooks?token=x", Now: clock.Now, AllowPrivate: true})
	d := endpoints.NewDeliverer(pool, keys, endpoints.DelivererConfig{Now: clock.Now, DisableAfter: disableAfter, Log: zap.NewNop(), Metrics: m, AllowPrivate: true})
	// Retries every minute: the tests move the clock a minute at a time.
	d.SetBackoff(func(int) time.Duration { return time.Minute })
	return &fixture{pool: pool, clock: clock, svc: svc, d: d, metrics: m, keys: keys}
}

// pass fans out every event committed so far (waiting while a transaction elsewhere on the
// server holds the feed back) and runs one delivery pass.
func (f *fixture) pass(t *testing.T) {
	t.Helper()
	ctx := context.Background()
	deadline := time.Now().Add(30 * time.Second)
	for {
		if _, err := f.d.FanOut(ctx); err != nil {
			t.Fatal(err)
		}
		var behind int
		if err := f.pool.QueryRow(ctx, `SELECT count(*) FROM events e, endpoint_fanout w
			WHERE (e.tx_id::text::bigint, e.seq) > (w.tx_id, w.seq)`).Scan(&behind); err != nil {
			t.Fatal(err)
		}
		if behind == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d events not fanned out", behind)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if _, err := f.d.DeliverDue(ctx); err != nil {
		t.Fatal(err)
	}
}

func (f *fixture) create(t *testing.T, url string, types ...string) endpoints.Created {
	t.Helper()
	c, err := f.svc.Create(context.Background(), url, types, admin)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// attemptLog returns the statuses in the attempt log of the endpoint's delivery of event id.
func (f *fixture) attemptLog(t *testing.T, endpoint string, id uuid.UUID) []int {
	t.Helper()
	var raw []byte
	if err := f.pool.QueryRow(context.Background(), `SELECT d.attempt_log FROM endpoint_deliveries d JOIN events e ON e.seq = d.event_seq
		WHERE d.endpoint_id = $1 AND e.id = $2`, endpoint, id).Scan(&raw); err != nil {
		t.Fatal(err)
	}
	var log []struct{ Status int }
	if err := json.Unmarshal(raw, &log); err != nil {
		t.Fatal(err)
	}
	out := []int{}
	for _, e := range log {
		out = append(out, e.Status)
	}
	return out
}

func TestFailingEndpointNeverDelaysAnotherAndGetsEveryEventInOrderAfterRecovering(t *testing.T) {
	f := newFixture(t, 0)
	up, down := newReceiver(t), newReceiver(t)
	down.setFail(true)
	epUp, epDown := f.create(t, up.srv.URL), f.create(t, down.srv.URL)
	o1, o2 := insertOrder(t, f.pool), insertOrder(t, f.pool)

	// An hour of the clock, a minute at a time, with events of two orders coming in: the
	// healthy endpoint gets each in the pass after it is written, whatever the other does.
	var written []uuid.UUID
	types := []string{"order.failed", "order.cancelled", "order.paid"}
	for minute := range 60 {
		if minute%10 == 0 {
			typ := types[(minute/10)%3]
			written = append(written, insertEvent(t, f.pool, o1, typ), insertEvent(t, f.pool, o2, typ))
		}
		for range 2 { // two passes: an order's second event waits for its first
			f.pass(t)
		}
		for _, id := range written {
			if !up.has(id) {
				t.Fatalf("minute %d: the healthy endpoint has not got event %s", minute, id)
			}
		}
		f.clock.Advance(time.Minute)
	}
	if got := len(down.received()); got != 0 {
		t.Fatalf("the failing endpoint accepted %d events", got)
	}
	down.mu.Lock()
	failed := down.all
	down.mu.Unlock()
	if failed < 50 {
		t.Fatalf("the failing endpoint was tried %d times in an hour, want about one a minute", failed)
	}

	down.setFail(false)
	for range 2 * len(written) {
		f.pass(t)
		f.clock.Advance(time.Minute)
	}
	got := down.received()
	if len(got) != len(written) {
		t.Fatalf("after recovering the endpoint got %d events, want %d", len(got), len(written))
	}
	// Per order, in the order written.
	for _, order := range []uuid.UUID{o1, o2} {
		var want, have []uuid.UUID
		for _, id := range written {
			for _, d := range got {
				if d.id == id && d.order == order {
					want = append(want, id)
				}
			}
		}
		for _, d := range got {
			if d.order == order {
				have = append(have, d.id)
			}
		}
		for i := range want {
			if want[i] != have[i] {
				t.Fatalf("order %s: got %v, want %v", order, have, want)
			}
		}
	}
	// Each endpoint's attempt log tells its story.
	first := written[0]
	if l := f.attemptLog(t, epUp.ID, first); len(l) != 1 || l[0] != http.StatusNoContent {
		t.Errorf("healthy endpoint's attempts = %v, want one 204", l)
	}
	l := f.attemptLog(t, epDown.ID, first)
	if len(l) < 50 || l[0] != 500 || l[len(l)-1] != http.StatusNoContent {
		t.Errorf("failing endpoint's attempts = %v, want many 500 then a 204", l)
	}
}

func TestRotationSignsWithBothSecretsDuringTheOverlapOnly(t *testing.T) {
	f := newFixture(t, 0)
	r := newReceiver(t)
	c := f.create(t, r.srv.URL)
	rot, err := f.svc.Rotate(context.Background(), c.ID, 24*time.Hour, admin)
	if err != nil {
		t.Fatal(err)
	}
	if rot.Secret == c.Secret || rot.Secrets != 2 {
		t.Fatalf("rotation: %+v", rot.Endpoint)
	}
	oldWH, _ := standardwebhooks.NewWebhook(c.Secret)
	newWH, _ := standardwebhooks.NewWebhook(rot.Secret)
	order := insertOrder(t, f.pool)
	insertEvent(t, f.pool, order, "order.paid")
	f.pass(t)
	got := r.received()
	if len(got) != 1 {
		t.Fatalf("received %d", len(got))
	}
	if err := oldWH.Verify(got[0].body, got[0].header); err != nil {
		t.Errorf("old secret during the overlap: %v", err)
	}
	if err := newWH.Verify(got[0].body, got[0].header); err != nil {
		t.Errorf("new secret during the overlap: %v", err)
	}

	f.clock.Advance(24*time.Hour + time.Second)
	insertEvent(t, f.pool, order, "order.refunded")
	f.pass(t)
	got = r.received()
	if len(got) != 2 {
		t.Fatalf("received %d", len(got))
	}
	if err := oldWH.VerifyIgnoringTimestamp(got[1].body, got[1].header); err == nil {
		t.Error("the old secret still verifies after the overlap")
	}
	if err := newWH.VerifyIgnoringTimestamp(got[1].body, got[1].header); err != nil {
		t.Errorf("new secret after the overlap: %v", err)
	}
}

func TestEndpointFailingForTheSpanIsDisabledAndCounted(t *testing.T) {
	f := newFixture(t, 2*time.Hour)
	r := newReceiver(t)
	r.setFail(true)
	c := f.create(t, r.srv.URL)
	insertEvent(t, f.pool, insertOrder(t, f.pool), "order.paid")
	for range 119 {
		f.pass(t)
		f.clock.Advance(time.Minute)
	}
	e, err := f.svc.Get(context.Background(), c.ID)
	if err != nil || !e.Enabled() {
		t.Fatalf("before the span: %+v, %v", e, err)
	}
	for range 3 {
		f.pass(t)
		f.clock.Advance(time.Minute)
	}
	if e, _ = f.svc.Get(context.Background(), c.ID); e.Enabled() || !e.DisabledAuto {
		t.Fatalf("after the span: %+v, want disabled by the gateway", e)
	}
	f.pass(t)
	if g := testutil.ToFloat64(prometheusGauge(f)); g != 1 {
		t.Errorf("gauge = %v, want 1", g)
	}
	r.mu.Lock()
	before := r.all
	r.mu.Unlock()
	f.clock.Advance(time.Hour)
	f.pass(t)
	r.mu.Lock()
	after := r.all
	r.mu.Unlock()
	if after != before {
		t.Errorf("a disabled endpoint was posted to")
	}
	r.setFail(false)
	if _, _, err := f.svc.Enable(context.Background(), c.ID, "fixed", time.Time{}, admin); err != nil {
		t.Fatal(err)
	}
	f.pass(t)
	if len(r.received()) != 1 || testutil.ToFloat64(prometheusGauge(f)) != 0 {
		t.Errorf("after enabling: received %d, gauge %v", len(r.received()), testutil.ToFloat64(prometheusGauge(f)))
	}
}

func TestFilterAndReplayAndPause(t *testing.T) {
	f := newFixture(t, 0)
	paid, all := newReceiver(t), newReceiver(t)
	cp := f.create(t, paid.srv.URL, "order.paid")
	f.create(t, all.srv.URL)
	order := insertOrder(t, f.pool)
	insertEvent(t, f.pool, order, "order.failed")
	insertEvent(t, f.pool, order, "order.paid")
	for range 3 {
		f.pass(t)
	}
	if g := paid.received(); len(g) != 1 || g[0].typ != "order.paid" {
		t.Fatalf("filtered endpoint got %+v", g)
	}
	if len(all.received()) != 2 {
		t.Fatalf("unfiltered endpoint got %d", len(all.received()))
	}
	// Paused: nothing is posted; replay queues the filtered events again.
	ctx := context.Background()
	if _, err := f.pool.Exec(ctx, `INSERT INTO delivery_pauses (paused_at, paused_by, reason) VALUES (now(), 'ana', 'test')`); err != nil {
		t.Fatal(err)
	}
	n, err := f.svc.Replay(ctx, cp.ID, f.clock.Now().Add(-time.Hour), admin)
	if err != nil || n != 1 {
		t.Fatalf("replay = %d, %v", n, err)
	}
	f.pass(t)
	if len(paid.received()) != 1 {
		t.Fatal("posted while paused")
	}
	if _, err := f.pool.Exec(ctx, `UPDATE delivery_pauses SET resumed_at = now(), resumed_by = 'ana'`); err != nil {
		t.Fatal(err)
	}
	f.pass(t)
	if len(paid.received()) != 2 {
		t.Fatalf("after resume: %d", len(paid.received()))
	}
	list, err := f.svc.List(ctx)
	if err != nil || len(list) != 3 || !list[0].Default || list[0].URL != "https://shop.test/hooks?…" {
		t.Fatalf("list = %+v, %v", list, err)
	}
	var audits int
	if err := f.pool.QueryRow(ctx, `SELECT count(*) FROM audit_log WHERE action LIKE 'webhook_endpoint.%'`).Scan(&audits); err != nil || audits != 3 {
		t.Errorf("audit rows = %d, %v; want 2 creates and a replay", audits, err)
	}
}

func prometheusGauge(f *fixture) prometheus.Collector {
	return f.metrics.AutoDisabledGauge().(prometheus.Collector)
}
