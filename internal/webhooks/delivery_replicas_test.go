package webhooks_test

import (
	"context"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/placetopay-gateway/gateway/internal/pgtest"
	"github.com/placetopay-gateway/gateway/internal/webhooks"
)

// TestReplicasDeliverEachEventOnce: two deliverers, each with its own pool as two replicas
// would have, run passes at the same time over the same events. With SKIP LOCKED claims and
// leases no event reaches a healthy endpoint twice, and each order's events arrive in order.
func TestReplicasDeliverEachEventOnce(t *testing.T) {
	const orders, perOrder = 20, 3
	url := pgtest.URL(t)
	secret := testSecret(t)
	m := newMerchant(t, func(w http.ResponseWriter, _ *http.Request, _ int, _ string) {
		time.Sleep(5 * time.Millisecond) // a little work, so that the replicas' passes overlap
		w.WriteHeader(http.StatusOK)
	})
	var replicas []*webhooks.Deliverer
	var pools []*pgxpool.Pool
	for range 2 {
		pool, err := pgxpool.New(context.Background(), url)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(pool.Close)
		d, _ := newTestDeliverer(t, pool, m, secret, nil)
		replicas, pools = append(replicas, d), append(pools, pool)
	}
	pool := pools[0]
	seqOf := map[string]int64{}
	orderOf := map[string]string{}
	for range orders {
		orderID := insertOrder(t, pool)
		for range perOrder {
			ev := insertEvent(t, pool, orderID, "order.failed")
			seqOf[ev.id.String()], orderOf[ev.id.String()] = ev.seq, orderID.String()
		}
	}

	start := make(chan struct{})
	var wg sync.WaitGroup
	passes := make([]int, len(replicas))
	for i, d := range replicas {
		wg.Go(func() {
			<-start
			deadline := time.Now().Add(30 * time.Second)
			for count(t, pool, `SELECT count(*) FROM events WHERE delivered_at IS NULL`) > 0 && time.Now().Before(deadline) {
				if _, err := d.DeliverDue(context.Background()); err != nil {
					t.Errorf("replica %d: %v", i, err)
					return
				}
				passes[i]++
			}
		})
	}
	close(start)
	wg.Wait()

	reqs := m.requests()
	got := map[string]int{}
	lastSeq := map[string]int64{} // per order
	for _, r := range reqs {
		verify(t, secret, r, true)
		id := r.header.Get("webhook-id")
		got[id]++
		if seqOf[id] < lastSeq[orderOf[id]] {
			t.Errorf("order %s: event seq %d arrived after seq %d", orderOf[id], seqOf[id], lastSeq[orderOf[id]])
		}
		lastSeq[orderOf[id]] = seqOf[id]
	}
	for id := range seqOf {
		if got[id] != 1 {
			t.Errorf("event %s reached the merchant %d times, want exactly once", id, got[id])
		}
	}
	if len(reqs) != orders*perOrder {
		t.Errorf("merchant got %d requests for %d events", len(reqs), orders*perOrder)
	}
	if n := count(t, pool, `SELECT count(*) FROM events WHERE delivered_at IS NOT NULL AND attempts = 1`); n != orders*perOrder {
		t.Errorf("%d events delivered on their first attempt, want all %d", n, orders*perOrder)
	}
	if n := count(t, pool, `SELECT count(*) FROM event_deliveries WHERE status_code = 200`); n != orders*perOrder {
		t.Errorf("event_deliveries has %d successful attempts, want %d", n, orders*perOrder)
	}
	t.Logf("passes per replica: %v", passes)
}
