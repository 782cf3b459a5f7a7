package endpoints_test

import (
	"context"
	"sync"
	"testing"

	"go.uber.org/zap"

	"github.com/placetopay-gateway/gateway/internal/endpoints"
	"github.com/placetopay-gateway/gateway/internal/tokens"
)

// TestFanOutAcrossReplicasQueuesEveryEventOnce: two replicas fanning out while events are
// written concurrently queue every event exactly once for every endpoint, none skipped.
func TestFanOutAcrossReplicasQueuesEveryEventOnce(t *testing.T) {
	f := newFixture(t, 0)
	f.create(t, "https://a.shop.test/hooks")
	f.create(t, "https://b.shop.test/hooks")
	other := endpoints.NewDeliverer(f.pool, tokens.Generate(), endpoints.DelivererConfig{Now: f.clock.Now, Log: zap.NewNop(), AllowPrivate: true})
	ctx := context.Background()
	order := insertOrder(t, f.pool)
	const events = 60
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for _, d := range []*endpoints.Deliverer{f.d, other} {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				if _, err := d.FanOut(ctx); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	var writers sync.WaitGroup
	for w := range 3 {
		writers.Go(func() {
			for i := range events / 3 {
				insertEvent(t, f.pool, order, []string{"order.paid", "order.refunded"}[(w+i)%2])
			}
		})
	}
	writers.Wait()
	close(stop)
	wg.Wait()
	f.pass(t) // whatever the last concurrent fan-out left
	var rows, distinct int
	if err := f.pool.QueryRow(ctx, `SELECT count(*), count(DISTINCT (endpoint_id, event_seq)) FROM endpoint_deliveries`).Scan(&rows, &distinct); err != nil {
		t.Fatal(err)
	}
	if rows != 2*events || distinct != rows {
		t.Fatalf("queued %d deliveries (%d distinct), want %d", rows, distinct, 2*events)
	}
}
