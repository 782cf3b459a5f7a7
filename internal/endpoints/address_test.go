package endpoints_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/placetopay-gateway/gateway/internal/endpoints"
	"github.com/placetopay-gateway/gateway/internal/orders"
	"github.com/placetopay-gateway/gateway/internal/pgtest"
	"github.com/placetopay-gateway/gateway/internal/tokens"
)

// TestEndpointURLsMustNotReachInternalAddresses: without AllowPrivate (production's
// default), an endpoint whose URL names or resolves to the gateway's own networks is
// refused (invalid, field url) and nothing is stored; a public address is taken; with
// AllowPrivate (development's default) loopback is taken.
func TestEndpointURLsMustNotReachInternalAddresses(t *testing.T) {
	pool := pgtest.Pool(t)
	keys := tokens.Generate()
	strict := endpoints.NewService(pool, endpoints.Config{Keys: keys, EventTypes: orders.EventTypes()})
	ctx := context.Background()
	for _, tc := range []struct{ url, want string }{
		{"http://127.0.0.1:8080/hooks", "loopback"},
		{"http://127.9.9.9/hooks", "loopback"},
		{"http://[::1]/hooks", "loopback"},
		{"http://[::ffff:127.0.0.1]/hooks", "loopback"},
		{"http://localhost:9090/admin/api", "resolves to"},
		{"http://0.0.0.0/hooks", "unspecified"},
		{"http://[::]/hooks", "unspecified"},
		{"http://169.254.169.254/latest/meta-data/", "link-local"},
		{"http://[fe80::1]/hooks", "link-local"},
		{"http://10.0.0.5/hooks", "private"},
		{"https://172.16.3.4/hooks", "private"},
		{"https://192.168.1.1/hooks", "private"},
		{"http://[fd00:ec2::254]/latest", "private"},
		{"http://100.100.100.200/latest", "internal"},
		{"http://239.1.2.3/hooks", "multicast"},
		{"http://[64:ff9b::a00:1]/hooks", "internal"},
		{"http://no-such-host.invalid/hooks", "does not resolve"},
		{"ftp://203.0.113.10/hooks", "absolute http or https"},
		{"https://user:pass@203.0.113.10/hooks", "no user"},
	} {
		t.Run(tc.url, func(t *testing.T) {
			_, err := strict.Create(ctx, tc.url, nil, admin)
			var e *orders.Error
			if !errors.As(err, &e) || e.Code != orders.EInvalid || e.Field != "url" || !strings.Contains(e.Message, tc.want) {
				t.Fatalf("Create(%s) = %v, want invalid url saying %q", tc.url, err, tc.want)
			}
		})
	}
	var n int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM webhook_endpoints`).Scan(&n); err != nil || n != 0 {
		t.Fatalf("%d endpoints stored after refusals (%v), want 0", n, err)
	}
	if _, err := strict.Create(ctx, "https://203.0.113.10/hooks", nil, admin); err != nil {
		t.Errorf("a public address is refused: %v", err)
	}
	dev := endpoints.NewService(pool, endpoints.Config{Keys: keys, EventTypes: orders.EventTypes(), AllowPrivate: true})
	if _, err := dev.Create(ctx, "http://127.0.0.1:8080/hooks", nil, admin); err != nil {
		t.Errorf("with AllowPrivate, loopback is refused: %v", err)
	}
}

// TestDeliveryRefusesToConnectToInternalAddresses: a stored endpoint whose host is (now) an
// internal address (a name that resolved elsewhere when it was created: DNS rebinding) gets
// no post without AllowPrivate: the connection is refused as it is made, the attempt
// fails and says why, and the receiver hears nothing.
func TestDeliveryRefusesToConnectToInternalAddresses(t *testing.T) {
	f := newFixture(t, 0) // creates with AllowPrivate, as if the name had resolved elsewhere
	rcv := newReceiver(t)
	ep := f.create(t, rcv.srv.URL)
	strict := endpoints.NewDeliverer(f.pool, f.keys, endpoints.DelivererConfig{Now: f.clock.Now, Log: zap.NewNop()})
	ev := insertEvent(t, f.pool, insertOrder(t, f.pool), "order.paid")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for {
		if _, err := strict.FanOut(ctx); err != nil {
			t.Fatal(err)
		}
		var queued int
		if err := f.pool.QueryRow(ctx, `SELECT count(*) FROM endpoint_deliveries WHERE endpoint_id = $1`, ep.ID).Scan(&queued); err != nil {
			t.Fatal(err)
		}
		if queued > 0 || ctx.Err() != nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if n, _ := strict.DeliverDue(ctx); n != 1 {
		t.Fatalf("attempted %d deliveries, want 1", n)
	}
	var lastErr string
	if err := f.pool.QueryRow(ctx, `SELECT coalesce(d.last_error, '') FROM endpoint_deliveries d JOIN events e ON e.seq = d.event_seq
		WHERE d.endpoint_id = $1 AND e.id = $2 AND d.status = 'pending'`, ep.ID, ev).Scan(&lastErr); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(lastErr, "refused to connect to 127.0.0.1") {
		t.Errorf("last_error %q, want the refused connection", lastErr)
	}
	rcv.mu.Lock()
	defer rcv.mu.Unlock()
	if rcv.all != 0 {
		t.Errorf("the internal receiver got %d posts, want none", rcv.all)
	}
}
