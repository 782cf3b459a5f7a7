package apikeys_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/placetopay-gateway/gateway/internal/apikeys"
	"github.com/placetopay-gateway/gateway/internal/operators"
	"github.com/placetopay-gateway/gateway/internal/orders"
	"github.com/placetopay-gateway/gateway/internal/pgtest"
)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

var admin = operators.Actor{Kind: operators.ActorOperator, ID: "00000000-0000-0000-0000-000000000001", Name: "ana@shop.test"}

func TestCreateAuthenticateRevoke(t *testing.T) {
	ctx := context.Background()
	pool := pgtest.Pool(t)
	clk := &clock{t: time.Now().UTC().Truncate(time.Second)}
	svc := apikeys.NewService(pool, false, clk.now)
	live := apikeys.NewService(pool, true, clk.now)

	k, err := svc.Create(ctx, "  storefront  ", apikeys.Checkout, admin)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(k.Secret, apikeys.TestPrefix) || !apikeys.Recognise(k.Secret) || k.Name != "storefront" || k.Prefix != apikeys.PublicPrefix(k.Secret) {
		t.Fatalf("created %+v", k)
	}
	lk, err := live.Create(ctx, "production shop", apikeys.Full, admin)
	if err != nil || !strings.HasPrefix(lk.Secret, apikeys.LivePrefix) {
		t.Fatalf("live key %q, %v", lk.Secret, err)
	}
	// Only the hash is stored.
	var stored int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM api_keys WHERE hash = sha256($1::bytea) AND prefix = $2`, []byte(k.Secret), k.Prefix).Scan(&stored); err != nil || stored != 1 {
		t.Fatalf("stored rows with the key's SHA-256: %d, %v", stored, err)
	}
	var leaked int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM api_keys WHERE position($1 in row_to_json(api_keys)::text) > 0`, k.Secret[16:]).Scan(&leaked); err != nil || leaked != 0 {
		t.Fatalf("rows holding the key's secret part: %d, %v", leaked, err)
	}

	got, err := svc.Authenticate(ctx, k.Secret)
	if err != nil || got.ID != k.ID || got.Scope != apikeys.Checkout {
		t.Fatalf("Authenticate = %+v, %v", got, err)
	}
	// A key of the other kind is refused: a test key on a live gateway and the reverse.
	if _, err := live.Authenticate(ctx, k.Secret); orders.ErrorCode(err) != orders.EUnauthorized {
		t.Errorf("test key on a live service: %v", err)
	}
	if _, err := svc.Authenticate(ctx, lk.Secret); orders.ErrorCode(err) != orders.EUnauthorized {
		t.Errorf("live key on a test service: %v", err)
	}
	// A key with a right checksum and the stored prefix but another body is refused.
	forged := k.Prefix + strings.Repeat("x", 35)
	if _, err := svc.Authenticate(ctx, forged); orders.ErrorCode(err) != orders.EUnauthorized {
		t.Errorf("forged key: %v", err)
	}
	if _, err := svc.Create(ctx, "", apikeys.Read, admin); orders.ErrorCode(err) != orders.EInvalid {
		t.Errorf("no name: %v", err)
	}
	if _, err := svc.Create(ctx, "x", "admin", admin); orders.ErrorCode(err) != orders.EInvalid {
		t.Errorf("bad scope: %v", err)
	}

	if _, err := svc.Revoke(ctx, k.Prefix, "", admin); orders.ErrorCode(err) != orders.EInvalid {
		t.Errorf("revoke without a reason: %v", err)
	}
	r, err := svc.Revoke(ctx, k.Prefix, "leaked in a screenshot", admin)
	if err != nil || r.RevokedAt == nil || r.RevokeReason != "leaked in a screenshot" || r.RevokedBy != "operator ana@shop.test" {
		t.Fatalf("Revoke = %+v, %v", r, err)
	}
	if _, err := svc.Authenticate(ctx, k.Secret); orders.ErrorCode(err) != orders.EUnauthorized {
		t.Errorf("revoked key on the replica that revoked it: %v", err)
	}
	if _, err := svc.Revoke(ctx, k.ID.String(), "again", admin); orders.ErrorCode(err) != orders.EConflict {
		t.Errorf("second revoke: %v", err)
	}
	if _, err := svc.Revoke(ctx, "sk_test_nothing1", "why", admin); orders.ErrorCode(err) != orders.ENotFound {
		t.Errorf("revoke of an unknown key: %v", err)
	}
	var audit int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM audit_log WHERE actor_kind = 'operator' AND actor_name = 'ana@shop.test'
		AND ((action = 'api_key.create' AND target IN ($1, $2)) OR (action = 'api_key.revoke' AND target = $1 AND reason = 'leaked in a screenshot'))`,
		"api_key:"+k.Prefix+" storefront", "api_key:"+lk.Prefix+" production shop").Scan(&audit); err != nil || audit != 3 {
		t.Errorf("audit rows for two creates and a revoke: %d, %v", audit, err)
	}
	list, err := svc.List(ctx)
	if err != nil || len(list) != 2 {
		t.Fatalf("List = %+v, %v", list, err)
	}
}

// TestRevocationReachesAnotherReplicaWithinTheCacheTTL: a replica that trusted a key a
// moment ago refuses it once CacheTTL has passed since it last read it, with no restart.
func TestRevocationReachesAnotherReplicaWithinTheCacheTTL(t *testing.T) {
	ctx := context.Background()
	pool := pgtest.Pool(t)
	clk := &clock{t: time.Now().UTC()}
	a, b := apikeys.NewService(pool, false, clk.now), apikeys.NewService(pool, false, clk.now)
	k, err := a.Create(ctx, "shop", apikeys.Full, admin)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.Authenticate(ctx, k.Secret); err != nil {
		t.Fatalf("new key on the other replica: %v", err)
	}
	if _, err := a.Revoke(ctx, k.ID.String(), "rotated", admin); err != nil {
		t.Fatal(err)
	}
	clk.advance(apikeys.CacheTTL)
	if _, err := b.Authenticate(ctx, k.Secret); orders.ErrorCode(err) != orders.EUnauthorized {
		t.Fatalf("revoked key on the other replica after CacheTTL: %v", err)
	}
}

// TestLastUsedIsWrittenAtMostOncePerMinute: uses within TouchEvery write nothing.
func TestLastUsedIsWrittenAtMostOncePerMinute(t *testing.T) {
	ctx := context.Background()
	pool := pgtest.Pool(t)
	clk := &clock{t: time.Now().UTC().Truncate(time.Second)}
	svc := apikeys.NewService(pool, false, clk.now)
	k, err := svc.Create(ctx, "shop", apikeys.Read, admin)
	if err != nil {
		t.Fatal(err)
	}
	lastUsed := func() *time.Time {
		var at *time.Time
		if err := pool.QueryRow(ctx, `SELECT last_used_at FROM api_keys WHERE id = $1`, k.ID).Scan(&at); err != nil {
			t.Fatal(err)
		}
		return at
	}
	if lastUsed() != nil {
		t.Fatal("a new key has a last use")
	}
	first := clk.now()
	for range 3 {
		if _, err := svc.Authenticate(ctx, k.Secret); err != nil {
			t.Fatal(err)
		}
		clk.advance(10 * time.Second)
	}
	if at := lastUsed(); at == nil || !at.Equal(first) {
		t.Fatalf("last used %v after three uses in 30s, want %v", at, first)
	}
	clk.advance(apikeys.TouchEvery)
	if _, err := svc.Authenticate(ctx, k.Secret); err != nil {
		t.Fatal(err)
	}
	if at := lastUsed(); at == nil || !at.Equal(clk.now()) {
		t.Fatalf("last used %v a minute later, want %v", at, clk.now())
	}
}
