package http_test

import (
	"context"
	"net/http"
	"sync"
	"testing"

	gatewayhttp "github.com/placetopay-gateway/gateway/internal/http"
)

// The triggers anyone holding an order's id or client secret can pull (the return page, a
// refresh with X-Client-Secret) query PlacetoPay at most once per session every few seconds,
// across replicas, however often they are pulled; a refresh with the API key still queries
// every time, and so do notifications and the probe.
func TestBrowserTriggersQueryASessionAtMostOnceEveryFewSeconds(t *testing.T) {
	a := newMoneyEnv(t, gatewayhttp.Config{})
	b := newMoneyEnvOn(t, a.pool, a.provider, gatewayhttp.Config{})
	o, rid := a.checkout(t, "10.00")
	secret := http.Header{"X-Client-Secret": {o.ClientSecret}}

	// One after the other, on both replicas.
	for i := range 10 {
		e := []*moneyEnv{a, b}[i%2]
		e.do(t, http.MethodGet, "/return/"+o.ID, "", nil).wantStatus(t, http.StatusOK)
		e.do(t, http.MethodGet, "/v1/orders/"+o.ID+"?refresh=true", "", secret).wantStatus(t, http.StatusOK)
	}
	// And all at once.
	var wg sync.WaitGroup
	for i := range 40 {
		e := []*moneyEnv{a, b}[i%2]
		wg.Go(func() {
			req, _ := http.NewRequestWithContext(context.Background(), http.MethodGet, e.ts.URL+"/return/"+o.ID, nil)
			if res, err := e.ts.Client().Do(req); err == nil {
				res.Body.Close()
			}
		})
	}
	wg.Wait()
	if n := a.provider.queried(rid); n != 1 {
		t.Fatalf("60 browser triggers queried PlacetoPay %d times, want once", n)
	}

	for range 3 {
		a.do(t, http.MethodGet, "/v1/orders/"+o.ID+"?refresh=true", "", auth(apiKey)).wantStatus(t, http.StatusOK)
	}
	if n := a.provider.queried(rid); n != 4 {
		t.Fatalf("after 3 refreshes with the API key PlacetoPay was queried %d times, want 4", n)
	}
	// Notifications and the probe reconcile the session directly: never spaced.
	for range 2 {
		if err := b.money.Reconciler.Reconcile(context.Background(), rid); err != nil {
			t.Fatal(err)
		}
	}
	if n := a.provider.queried(rid); n != 6 {
		t.Fatalf("after 2 reconciliations PlacetoPay was queried %d times, want 6", n)
	}

	// Once the session was last checked long enough ago, the next trigger queries again.
	if _, err := a.pool.Exec(context.Background(), `UPDATE checkout_sessions SET last_checked_at = now() - interval '6 seconds'`); err != nil {
		t.Fatal(err)
	}
	b.do(t, http.MethodGet, "/return/"+o.ID, "", nil).wantStatus(t, http.StatusOK)
	b.do(t, http.MethodGet, "/return/"+o.ID, "", nil).wantStatus(t, http.StatusOK)
	if n := a.provider.queried(rid); n != 7 {
		t.Fatalf("after the window PlacetoPay was queried %d times in all, want 7", n)
	}
}
