package endpoints_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/placetopay-gateway/gateway/internal/endpoints"
	"github.com/placetopay-gateway/gateway/internal/orders"
)

// TestConcurrentCreatesNeverPassTheEndpointLimit: creates racing for the last free places
// leave exactly MaxEndpoints enabled; the others are conflicts and store nothing. An
// endpoint cannot be enabled again past the limit either.
func TestConcurrentCreatesNeverPassTheEndpointLimit(t *testing.T) {
	f := newFixture(t, 0)
	ctx := context.Background()
	for i := range endpoints.MaxEndpoints - 2 {
		f.create(t, fmt.Sprintf("https://203.0.113.%d/hooks", i+1))
	}
	const racers = 40
	var wg sync.WaitGroup
	errs := make([]error, racers)
	start := make(chan struct{})
	for i := range racers {
		wg.Go(func() {
			<-start
			_, errs[i] = f.svc.Create(ctx, fmt.Sprintf("https://198.51.100.%d/hooks", i+1), nil, admin)
		})
	}
	close(start)
	wg.Wait()
	created, conflicts := 0, 0
	for _, err := range errs {
		var e *orders.Error
		switch {
		case err == nil:
			created++
		case errors.As(err, &e) && e.Code == orders.EConflict:
			conflicts++
		default:
			t.Errorf("create: %v, want success or a conflict", err)
		}
	}
	var stored, enabled int
	if err := f.pool.QueryRow(ctx, `SELECT count(*), count(*) FILTER (WHERE disabled_at IS NULL) FROM webhook_endpoints`).Scan(&stored, &enabled); err != nil {
		t.Fatal(err)
	}
	if created != 2 || conflicts != racers-2 || stored != endpoints.MaxEndpoints || enabled != endpoints.MaxEndpoints {
		t.Fatalf("%d created, %d conflicts, %d stored, %d enabled; want 2, %d, %d, %d", created, conflicts, stored, enabled,
			racers-2, endpoints.MaxEndpoints, endpoints.MaxEndpoints)
	}

	// Full: disabling one makes room for one create, and enabling it again is then refused.
	all, err := f.svc.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	first := all[1].ID // after the default endpoint
	if _, err := f.svc.Disable(ctx, first, "moving", admin); err != nil {
		t.Fatal(err)
	}
	f.create(t, "https://192.0.2.10/hooks")
	var e *orders.Error
	if _, _, err := f.svc.Enable(ctx, first, "back", time.Time{}, admin); !errors.As(err, &e) || e.Code != orders.EConflict {
		t.Errorf("enable past the limit: %v, want a conflict", err)
	}
}
