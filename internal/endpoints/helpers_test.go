package endpoints_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"
)

type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// receiver is a merchant endpoint on loopback; fail decides whether it answers 500.
type receiver struct {
	srv  *httptest.Server
	mu   sync.Mutex
	ok   []delivery // 2xx answers, in the order received
	all  int
	fail bool
}

type delivery struct {
	header http.Header
	body   []byte
	id     uuid.UUID
	order  uuid.UUID
	typ    string
}

func newReceiver(t *testing.T) *receiver {
	r := &receiver{}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		defer r.mu.Unlock()
		r.all++
		if r.fail {
			w.WriteHeader(http.StatusInternalServerError)
			return
		}
		var ev struct {
			ID      uuid.UUID `json:"id"`
			OrderID uuid.UUID `json:"orderId"`
			Type    string    `json:"type"`
		}
		if err := json.Unmarshal(body, &ev); err != nil {
			t.Errorf("receiver: body %s: %v", body, err)
		}
		r.ok = append(r.ok, delivery{header: req.Header.Clone(), body: body, id: ev.ID, order: ev.OrderID, typ: ev.Type})
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *receiver) setFail(f bool) { r.mu.Lock(); r.fail = f; r.mu.Unlock() }

func (r *receiver) received() []delivery {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]delivery(nil), r.ok...)
}

func (r *receiver) has(id uuid.UUID) bool {
	for _, d := range r.received() {
		if d.id == id {
			return true
		}
	}
	return false
}

func insertOrder(t *testing.T, pool *pgxpool.Pool) uuid.UUID {
	t.Helper()
	id := uuid.Must(uuid.NewV7())
	if _, err := pool.Exec(context.Background(),
		`INSERT INTO orders (id, reference, currency, total_minor, client_secret_hash) VALUES ($1, $2, 'USD', 1000, $3)`,
		id, "ref-"+id.String()[24:], make([]byte, 32)); err != nil {
		t.Fatalf("insert order: %v", err)
	}
	return id
}

func insertEvent(t *testing.T, pool *pgxpool.Pool, orderID uuid.UUID, typ string) uuid.UUID {
	t.Helper()
	id := uuid.Must(uuid.NewV7())
	if _, err := pool.Exec(context.Background(), `INSERT INTO events (id, type, order_id, data) VALUES ($1, $2, $3, '{}')`,
		id, typ, orderID); err != nil {
		t.Fatalf("insert event: %v", err)
	}
	return id
}
