package orders_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"
	"go.uber.org/zap"

	"github.com/placetopay-gateway/gateway/internal/orders"
	"github.com/placetopay-gateway/gateway/internal/pgtest"
	"github.com/placetopay-gateway/gateway/internal/placetopay"
)

// placetopayQueries opens sessions like fakeProvider (requestId 4242), and queries them
// through the real PlacetoPay client and Provider, against a server answering every query
// with what the test set.
type placetopayQueries struct {
	fakeProvider
	server *httptest.Server
	query  placetopay.Provider

	mu   sync.Mutex
	body string
}

func newPlacetoPayQueries(t *testing.T) *placetopayQueries {
	t.Helper()
	p := &placetopayQueries{}
	p.server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		p.mu.Lock()
		defer p.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(p.body))
	}))
	t.Cleanup(p.server.Close)
	client, err := placetopay.New(placetopay.Config{
		BaseURL: p.server.URL, Credentials: placetopay.Credentials{Login: "login", SecretKey: "secret"},
		Timeout: 5 * time.Second, MaxAttempts: 1,
	})
	if err != nil {
		t.Fatal(err)
	}
	p.query = placetopay.Provider{Client: client}
	return p
}

func (p *placetopayQueries) QuerySession(ctx context.Context, requestID int64) (orders.ProviderSession, error) {
	return p.query.QuerySession(ctx, requestID)
}

// answer makes the server answer every query with body.
func (p *placetopayQueries) answer(body string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.body = body
}

// answerFile reads one of the real session answers kept with the PlacetoPay client.
func answerFile(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "placetopay", "testdata", "answers", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// openOrder creates an order of amount with reference and opens its session (requestId 4242).
func openOrder(t *testing.T, pay moneyPath, reference string, amount orders.Money) uuid.UUID {
	t.Helper()
	ctx := context.Background()
	o, _, err := orders.NewService(pay.store, zap.NewNop()).Create(ctx, orders.CreateParams{Reference: reference, Description: "unreadable answers", Amount: amount})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := pay.checkouts.Checkout(ctx, o.ID, orders.CheckoutParams{IPAddress: "127.0.0.1"}); err != nil {
		t.Fatal(err)
	}
	return o.ID
}

// probeNow makes the order's session due and runs the probe once.
func probeNow(t *testing.T, pool *pgxpool.Pool, pay moneyPath, orderID uuid.UUID) {
	t.Helper()
	ctx := context.Background()
	if _, err := pool.Exec(ctx, `UPDATE checkout_sessions SET next_check_at = now() - interval '1 second' WHERE order_id = $1`, orderID); err != nil {
		t.Fatal(err)
	}
	if n := pay.prober.ProbeDue(ctx); n != 1 {
		t.Fatalf("the probe claimed %d sessions, want 1", n)
	}
}

// statusOf reads the order's status and its session's failure counts.
func statusOf(t *testing.T, pool *pgxpool.Pool, orderID uuid.UUID) (status string, failures, unreadable int) {
	t.Helper()
	err := pool.QueryRow(context.Background(), `SELECT o.status, s.check_failures, s.unreadable_answers
		FROM orders o JOIN checkout_sessions s ON s.order_id = o.id WHERE o.id = $1`, orderID).Scan(&status, &failures, &unreadable)
	if err != nil {
		t.Fatal(err)
	}
	return status, failures, unreadable
}

// An approval whose answer writes its numbers as PHP's json_encode does (factor 2.1e-5, total
// 1.0E+5, internalReference 1.643293E+6) is applied at once, to the exact amount.
func TestAnAnswerWithExponentsIsApplied(t *testing.T) {
	ctx := context.Background()
	pool := pgtest.Pool(t)
	provider := newPlacetoPayQueries(t)
	pay := wire(orders.NewStore(pool, zap.NewNop()), provider, testConfig())
	orderID := openOrder(t, pay, "PHP-FLOATS-1", orders.Money{Minor: 100_000_00, Currency: "COP"})
	provider.answer(answerFile(t, "approved_php_floats.json"))

	if err := pay.reconciler.Reconcile(ctx, 4242); err != nil {
		t.Fatalf("Reconcile: %v", err)
	}
	var status, currency string
	var paid, minor int64
	err := pool.QueryRow(ctx, `SELECT o.status, o.paid_minor, p.currency, p.amount_minor FROM orders o
		JOIN payments p ON p.order_id = o.id AND p.internal_reference = 1643293 WHERE o.id = $1`, orderID).Scan(&status, &paid, &currency, &minor)
	if err != nil {
		t.Fatal(err)
	}
	if status != "paid" || paid != 100_000_00 || currency != "COP" || minor != 100_000_00 {
		t.Errorf("order %s paid %d, payment %d %s; want paid, 10000000, 10000000 COP", status, paid, minor, currency)
	}
}

// PlacetoPay answering something the gateway cannot read is retried, less and less often;
// at the tenth such answer in a row the order goes to review, once, with the reason on its
// timeline and an order.review event. An answer that reads again resets the count.
func TestUnreadableAnswersPutTheOrderInReview(t *testing.T) {
	ctx := context.Background()
	pool := pgtest.Pool(t)
	provider := newPlacetoPayQueries(t)
	pay := wire(orders.NewStore(pool, zap.NewNop()), provider, testConfig())
	orderID := openOrder(t, pay, "UNREADABLE-1", orders.Money{Minor: 1000, Currency: "USD"})
	provider.answer(`{"requestId":4242,"status":{"status":"APPROVED","reason":"00","date":"2026-03-10T09:31:12-05:00"},
		"payment":[{"status":{"status":"APPROVED","reason":"00"},"internalReference":{"id":5},"amount":{"from":{"currency":"USD","total":10}}}]}`)

	for i := 1; i <= 9; i++ {
		probeNow(t, pool, pay, orderID)
	}
	if status, failures, unreadable := statusOf(t, pool, orderID); status != "pending" || failures != 9 || unreadable != 9 {
		t.Fatalf("after 9 unreadable answers: order %s, %d failures, %d unreadable; want pending, 9, 9", status, failures, unreadable)
	}
	probeNow(t, pool, pay, orderID)
	probeNow(t, pool, pay, orderID)
	if status, _, unreadable := statusOf(t, pool, orderID); status != "review" || unreadable != 11 {
		t.Fatalf("after 11 unreadable answers: order %s, %d unreadable; want review, 11", status, unreadable)
	}
	var events, entries int
	var message string
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM events WHERE order_id = $1 AND type = 'order.review'`, orderID).Scan(&events); err != nil {
		t.Fatal(err)
	}
	err := pool.QueryRow(ctx, `SELECT count(*), max(message) FROM order_timeline WHERE order_id = $1 AND to_status = 'review'`, orderID).Scan(&entries, &message)
	if err != nil {
		t.Fatal(err)
	}
	if events != 1 || entries != 1 || !strings.Contains(message, "cannot read") {
		t.Errorf("%d order.review events, %d timeline entries (%q); want 1, 1 saying PlacetoPay's answers cannot be read", events, entries, message)
	}

	provider.answer(`{"requestId":4242,"status":{"status":"PENDING","reason":"PT","date":"2026-03-10T09:31:12-05:00"},"payment":null}`)
	probeNow(t, pool, pay, orderID)
	if status, failures, unreadable := statusOf(t, pool, orderID); status != "review" || failures != 0 || unreadable != 0 {
		t.Errorf("after a readable answer: order %s, %d failures, %d unreadable; want review (only a person leaves it), 0, 0", status, failures, unreadable)
	}
}

// A PlacetoPay that cannot be reached is retried for as long as it takes: however many
// failures, the order is never put in review for it.
func TestUnreachablePlacetoPayNeverPutsAnOrderInReview(t *testing.T) {
	pool := pgtest.Pool(t)
	provider := newPlacetoPayQueries(t)
	pay := wire(orders.NewStore(pool, zap.NewNop()), provider, testConfig())
	orderID := openOrder(t, pay, "UNREACHABLE-1", orders.Money{Minor: 1000, Currency: "USD"})
	provider.server.Close()

	for range 12 {
		probeNow(t, pool, pay, orderID)
	}
	if status, failures, unreadable := statusOf(t, pool, orderID); status != "pending" || failures != 12 || unreadable != 0 {
		t.Errorf("after 12 failures to reach PlacetoPay: order %s, %d failures, %d unreadable; want pending, 12, 0", status, failures, unreadable)
	}
}
