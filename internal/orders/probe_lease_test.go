package orders_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/placetopay-gateway/gateway/internal/orders"
	"github.com/placetopay-gateway/gateway/internal/pgtest"
)

// slowProvider answers every query only once released: PlacetoPay on a slow day.
type slowProvider struct {
	*memoryProvider
	inFlight atomic.Int32
	release  chan struct{}
}

func (p *slowProvider) QuerySession(ctx context.Context, requestID int64) (orders.ProviderSession, error) {
	p.inFlight.Add(1)
	<-p.release
	return p.memoryProvider.QuerySession(ctx, requestID)
}

// TestProbeLeasesOnlyWhatItCanRun: while PlacetoPay is slow, the probe holds leases only on
// the sessions it is querying (a round of its concurrent queries, each bounded well within the
// lease), not on a whole batch whose last sessions it would reach after their lease ended, when
// another replica would query them too.
func TestProbeLeasesOnlyWhatItCanRun(t *testing.T) {
	ctx := context.Background()
	pool := pgtest.Pool(t)
	store := orders.NewStore(pool, zap.NewNop())
	prov := &slowProvider{memoryProvider: &memoryProvider{next: 6_000_000, sessions: map[int64]orders.ProviderSession{}}, release: make(chan struct{})}
	pay := wire(store, prov, testConfig())
	svc := orders.NewService(store, zap.NewNop())
	for i := range 20 {
		o, _, err := svc.Create(ctx, orders.CreateParams{Reference: fmt.Sprintf("LEASE-%d", i), Description: "probe order", Amount: orders.Money{Minor: 2500, Currency: "USD"}})
		if err != nil {
			t.Fatal(err)
		}
		s, _, err := pay.checkouts.Checkout(ctx, o.ID, orders.CheckoutParams{IPAddress: "190.85.12.44"})
		if err != nil {
			t.Fatal(err)
		}
		prov.mu.Lock()
		prov.sessions[*s.RequestID] = orders.ProviderSession{RequestID: *s.RequestID, Status: "PENDING", Payload: []byte(`{}`)}
		prov.mu.Unlock()
	}
	if _, err := pool.Exec(ctx, `UPDATE checkout_sessions SET next_check_at = now() - interval '1 minute'`); err != nil {
		t.Fatal(err)
	}
	done := make(chan int)
	go func() { done <- pay.prober.ProbeDue(ctx) }()
	for deadline := time.Now().Add(10 * time.Second); prov.inFlight.Load() < 4; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%d queries in flight, want 4", prov.inFlight.Load())
		}
	}
	var leased, due int
	if err := pool.QueryRow(ctx, `SELECT count(*) FILTER (WHERE next_check_at > now()), count(*) FILTER (WHERE next_check_at <= now())
		FROM checkout_sessions`).Scan(&leased, &due); err != nil {
		t.Fatal(err)
	}
	close(prov.release)
	if n := <-done; n != 20 {
		t.Errorf("ProbeDue handled %d sessions, want all 20", n)
	}
	if leased != 4 || due != 16 {
		t.Errorf("with 4 queries in flight, %d sessions were leased and %d left due for another replica; want 4 and 16", leased, due)
	}
}
