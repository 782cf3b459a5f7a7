package orders_test

import (
	"context"
	"errors"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"
	"go.uber.org/zap"

	"github.com/placetopay-gateway/gateway/internal/orders"
	"github.com/placetopay-gateway/gateway/internal/pgtest"
	"github.com/placetopay-gateway/gateway/internal/placetopay"
	"github.com/placetopay-gateway/gateway/internal/placetopay/sandbox"
)

// crashClock is the money path's clock: the real time plus an offset the test moves, so
// that an attempt can be made stale without waiting two minutes.
type crashClock struct {
	mu  sync.Mutex
	off time.Duration
}

func (c *crashClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.off)
}

func (c *crashClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.off += d
}

type crashEnv struct {
	t       *testing.T
	pool    *pgxpool.Pool
	sandbox sandbox.Control
	clock   *crashClock
	svc     *orders.Service
	money   moneyPath
}

// newCrashEnv is the money path on a fresh database and a real sandbox over HTTP.
func newCrashEnv(t *testing.T) *crashEnv {
	t.Helper()
	pool := pgtest.Pool(t)
	// One clock for the gateway, its PlacetoPay client (tranKey seeds) and the sandbox, so
	// that moving it keeps them agreeing.
	clock := &crashClock{}
	sb, err := sandbox.New(sandbox.Config{Login: "crash-site", SecretKey: "crash-secret-key", Clock: sandbox.NewClock(clock.Now)})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(sb.Handler())
	t.Cleanup(srv.Close)
	t.Cleanup(sb.Close)
	client, err := placetopay.New(placetopay.Config{BaseURL: srv.URL, Clock: clock.Now,
		Credentials: placetopay.Credentials{Login: "crash-site", SecretKey: "crash-secret-key"}})
	if err != nil {
		t.Fatal(err)
	}
	store := orders.NewStore(pool, zap.NewNop())
	return &crashEnv{
		t: t, pool: pool, sandbox: sandbox.Control{BaseURL: srv.URL}, clock: clock,
		svc: orders.NewService(store, zap.NewNop()),
		money: wire(store, placetopay.Provider{Client: client}, orders.Config{
			PublicURL: "http://gateway.crash.test", ProbeInterval: time.Second, Clock: clock.Now,
		}),
	}
}

func (e *crashEnv) newOrder() orders.Order {
	e.t.Helper()
	amount, err := orders.NewMoney(15_00, "USD")
	if err != nil {
		e.t.Fatal(err)
	}
	o, _, err := e.svc.Create(context.Background(), orders.CreateParams{Description: "crash test", Amount: amount})
	if err != nil {
		e.t.Fatal(err)
	}
	return o
}

var shopper = orders.CheckoutParams{IPAddress: "203.0.113.7", UserAgent: "crash-test"}

type sessionRow struct {
	attempt    string
	requestID  *int64
	processURL *string
}

func (e *crashEnv) sessions(orderID uuid.UUID) []sessionRow {
	e.t.Helper()
	rows, err := e.pool.Query(context.Background(),
		`SELECT attempt, request_id, process_url FROM checkout_sessions WHERE order_id = $1 ORDER BY created_at, id`, orderID)
	if err != nil {
		e.t.Fatal(err)
	}
	defer rows.Close()
	var out []sessionRow
	for rows.Next() {
		var r sessionRow
		if err := rows.Scan(&r.attempt, &r.requestID, &r.processURL); err != nil {
			e.t.Fatal(err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		e.t.Fatal(err)
	}
	// The invariant the crash must not break: one session a shopper could pay, at most.
	payable := 0
	for _, r := range out {
		if r.attempt == "open" || r.attempt == "creating" {
			payable++
		}
	}
	if payable > 1 {
		e.t.Fatalf("order %s has %d sessions open or being opened: %+v", orderID, payable, out)
	}
	return out
}

func (e *crashEnv) count(query string, args ...any) int {
	e.t.Helper()
	var n int
	if err := e.pool.QueryRow(context.Background(), query, args...).Scan(&n); err != nil {
		e.t.Fatal(err)
	}
	return n
}

// pay pays a session at the sandbox with the approving test card, as the shopper would.
func (e *crashEnv) pay(requestID int64) {
	e.t.Helper()
	if _, err := e.sandbox.Pay(context.Background(), requestID, "4110760000000081"); err != nil {
		e.t.Fatal(err)
	}
}

// sandboxSession reads the sandbox's own view of a session.
func (e *crashEnv) sandboxSession(requestID int64) sandbox.SessionRecord {
	e.t.Helper()
	s, err := e.sandbox.Session(context.Background(), requestID)
	if err != nil {
		e.t.Fatal(err)
	}
	return s
}

var errCrash = errors.New("injected crash: the process died after PlacetoPay answered")
