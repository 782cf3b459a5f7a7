package webhooks_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/placetopay-gateway/gateway/internal/operators"
	"github.com/placetopay-gateway/gateway/internal/pgtest"
	"github.com/placetopay-gateway/gateway/internal/tokens"
	"github.com/placetopay-gateway/gateway/internal/webhooks"
)

var pauser = operators.Actor{Kind: operators.ActorOperator, ID: uuid.NewString(), Name: "root@shop.test", IP: "192.0.2.1"}

// TestPauseStopsEveryReplicaAndResumeDeliversInOrder: two replicas run their delivery loops
// (a pass every 100ms). Once an operator's pause commits, neither sends anything: events
// written for the next two seconds wait, with no attempt spent. Resume delivers each of them
// exactly once, each order's events in order.
func TestPauseStopsEveryReplicaAndResumeDeliversInOrder(t *testing.T) {
	url := pgtest.URL(t)
	secret := testSecret(t)
	m := newMerchant(t, answer(http.StatusOK))
	ctx, cancel := context.WithCancel(context.Background())
	var pools []*pgxpool.Pool
	done := make(chan struct{}, 2)
	for range 2 {
		pool, err := pgxpool.New(context.Background(), url)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(pool.Close)
		d, _ := newTestDeliverer(t, pool, m, secret, nil)
		d.SetTimingForTest(0, 100*time.Millisecond, nil)
		pools = append(pools, pool)
		go func() { d.Run(ctx); done <- struct{}{} }()
	}
	t.Cleanup(func() { cancel(); <-done; <-done })
	pool := pools[0]
	ops := operators.NewService(pool, tokens.Generate(), false, nil)

	waitFor := func(what string, cond func() bool) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for !cond() {
			if time.Now().After(deadline) {
				t.Fatalf("%s: not within 10s", what)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	first := insertEvent(t, pool, insertOrder(t, pool), "order.paid")
	waitFor("the first event delivered", func() bool {
		return count(t, pool, `SELECT count(*) FROM events WHERE seq = $1 AND delivered_at IS NOT NULL`, first.seq) == 1
	})

	if _, err := ops.PauseDelivery(context.Background(), pauser, "merchant moving their endpoint"); err != nil {
		t.Fatal(err)
	}
	before := len(m.requests())
	seqOf, orderOf := map[string]int64{}, map[string]string{}
	for range 3 {
		orderID := insertOrder(t, pool)
		for _, typ := range []string{"order.authorized", "order.paid", "order.refunded"} {
			ev := insertEvent(t, pool, orderID, typ)
			seqOf[ev.id.String()], orderOf[ev.id.String()] = ev.seq, orderID.String()
		}
	}
	time.Sleep(2 * time.Second) // twenty passes of each replica
	if n := len(m.requests()); n != before {
		t.Fatalf("the merchant got %d requests while delivery was paused", n-before)
	}
	if n := count(t, pool, `SELECT count(*) FROM events WHERE attempts > 0 AND seq > $1`, first.seq); n != 0 {
		t.Fatalf("%d events spent an attempt while delivery was paused", n)
	}
	st, err := ops.DeliveryState(context.Background())
	if err != nil || !st.Paused || st.PausedBy != pauser.Name || st.Undelivered != int64(len(seqOf)) || st.OldestAt == nil {
		t.Fatalf("DeliveryState while paused = %+v, %v", st, err)
	}

	if _, err := ops.ResumeDelivery(context.Background(), pauser, "endpoint moved"); err != nil {
		t.Fatal(err)
	}
	waitFor("the backlog delivered", func() bool {
		return count(t, pool, `SELECT count(*) FROM events WHERE delivered_at IS NULL`) == 0
	})
	got, last := map[string]int{}, map[string]int64{}
	for _, r := range m.requests()[before:] {
		id := r.header.Get("webhook-id")
		got[id]++
		if seqOf[id] < last[orderOf[id]] {
			t.Errorf("order %s: event seq %d arrived after seq %d", orderOf[id], seqOf[id], last[orderOf[id]])
		}
		last[orderOf[id]] = seqOf[id]
	}
	for id := range seqOf {
		if got[id] != 1 {
			t.Errorf("event %s reached the merchant %d times after resume, want once", id, got[id])
		}
	}
	if n := count(t, pool, `SELECT count(*) FROM audit_log WHERE action IN ('pause_delivery', 'resume_delivery') AND actor_name = $1`, pauser.Name); n != 2 {
		t.Errorf("%d audit rows for the pause and the resume, want 2", n)
	}
}

// TestPausedTimeDoesNotMakeEventsGiveUp: an event whose deliveries fail is given up after
// three days of retries, but the days delivery was paused do not count. Paused, a pass
// claims nothing and spends no attempt.
func TestPausedTimeDoesNotMakeEventsGiveUp(t *testing.T) {
	pool := pgtest.Pool(t)
	clock := &fakeClock{now: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
	t0 := clock.Now()
	m := newMerchant(t, answer(http.StatusServiceUnavailable))
	d, _ := newTestDeliverer(t, pool, m, testSecret(t), clock.Now)
	d.SetTimingForTest(0, 0, func(int) time.Duration { return time.Second })
	ops := operators.NewService(pool, tokens.Generate(), false, clock.Now)
	ev := insertEvent(t, pool, insertOrder(t, pool), "order.paid")
	if _, err := pool.Exec(context.Background(), `UPDATE events SET created_at = $1 WHERE seq = $2`, t0, ev.seq); err != nil {
		t.Fatal(err)
	}
	pass := func(want int) {
		t.Helper()
		if n, err := d.DeliverDue(context.Background()); err != nil || n != want {
			t.Fatalf("DeliverDue at %s = %d, %v; want %d", clock.Now().Sub(t0), n, err, want)
		}
	}
	givenUp := func() bool {
		return count(t, pool, `SELECT count(*) FROM events WHERE seq = $1 AND failed_at IS NOT NULL`, ev.seq) == 1
	}

	pass(1) // fails, retried
	clock.Advance(time.Hour)
	if _, err := ops.PauseDelivery(context.Background(), pauser, "merchant down for maintenance"); err != nil {
		t.Fatal(err)
	}
	clock.Advance(24 * time.Hour)
	pass(0)
	clock.Advance(36 * time.Hour) // paused 60 hours
	if _, err := ops.ResumeDelivery(context.Background(), pauser, "merchant back"); err != nil {
		t.Fatal(err)
	}
	if n := count(t, pool, `SELECT attempts FROM events WHERE seq = $1`, ev.seq); n != 1 {
		t.Fatalf("attempts after the pause = %d, want 1: a paused pass spends none", n)
	}
	clock.Advance(12 * time.Hour) // 73 hours after creation, 13 of them unpaused
	pass(1)
	if givenUp() {
		t.Fatal("the event was given up 73 hours after creation, 60 of them paused")
	}
	clock.Advance(60 * time.Hour) // 133 hours after creation, 73 of them unpaused
	pass(1)
	if !givenUp() {
		t.Fatal("the event was not given up after 73 unpaused hours of failures")
	}
	if webhooks.RetryWindowForTest != 72*time.Hour {
		t.Fatalf("the retry window is %s; this test assumes 72h", webhooks.RetryWindowForTest)
	}
}
