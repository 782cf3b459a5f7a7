package orders

import (
	"context"
	"encoding/json"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

func orderEvents(t *testing.T, pool *pgxpool.Pool, id uuid.UUID) []eventRow {
	t.Helper()
	rows, err := pool.Query(context.Background(), "SELECT type, data FROM events WHERE order_id = $1 ORDER BY seq", id)
	if err != nil {
		t.Fatal(err)
	}
	var out []eventRow
	for rows.Next() {
		var e eventRow
		var data []byte
		if err := rows.Scan(&e.Type, &data); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(data, &e.Data); err != nil {
			t.Fatal(err)
		}
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// timelineMoves returns the order's timeline transitions, oldest first, as "from->to".
func timelineMoves(t *testing.T, pool *pgxpool.Pool, id uuid.UUID) []string {
	t.Helper()
	rows, err := pool.Query(context.Background(),
		"SELECT coalesce(from_status, '') || '->' || coalesce(to_status, '') FROM order_timeline WHERE order_id = $1 AND kind = 'transition' ORDER BY id", id)
	if err != nil {
		t.Fatal(err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestCancelPending(t *testing.T) {
	ctx := context.Background()
	svc, pool := newTestService(t)
	o, _ := mustCreate(t, svc, validParams())

	got, err := svc.Cancel(ctx, o.ID)
	if err != nil {
		t.Fatalf("Cancel: %v", err)
	}
	if got.ID != o.ID || got.Status != StatusCancelled {
		t.Errorf("Cancel returned %s %s, want %s cancelled", got.ID, got.Status, o.ID)
	}
	if stored, err := svc.Get(ctx, o.ID); err != nil || stored.Status != StatusCancelled {
		t.Errorf("Get after Cancel = %s, %v; want cancelled", stored.Status, err)
	}
	if d := cmp.Diff([]string{"pending->cancelled"}, timelineMoves(t, pool, o.ID)); d != "" {
		t.Errorf("timeline transitions: %s", d)
	}
	wantData := map[string]any{
		"orderId": o.ID.String(), "reference": o.Reference, "status": "cancelled", "previousStatus": "pending",
		"amount":         map[string]any{"currency": "USD", "total": "10.50"},
		"paidAmount":     map[string]any{"currency": "USD", "total": "0.00"},
		"refundedAmount": map[string]any{"currency": "USD", "total": "0.00"},
	}
	if d := cmp.Diff([]eventRow{{Type: "order.cancelled", Data: wantData}}, orderEvents(t, pool, o.ID)); d != "" {
		t.Errorf("events: %s", d)
	}

	// A second cancel conflicts and records nothing more.
	_, err = svc.Cancel(ctx, o.ID)
	wantError(t, err, EConflict, "")
	if n := len(orderEvents(t, pool, o.ID)); n != 1 {
		t.Errorf("%d events after a second cancel, want 1", n)
	}
	if n := len(timelineMoves(t, pool, o.ID)); n != 1 {
		t.Errorf("%d transitions after a second cancel, want 1", n)
	}
}

// TestCancelFromEachStatus cancels an order in every status: only orders with no payment
// taken (pending, failed, and authorized, whose release takes nothing) can be cancelled.
func TestCancelFromEachStatus(t *testing.T) {
	ctx := context.Background()
	svc, pool := newTestService(t)
	for _, from := range Statuses() {
		t.Run(string(from), func(t *testing.T) {
			o, _ := mustCreate(t, svc, simpleParams("CANCEL-"+string(from)))
			if _, err := pool.Exec(ctx, "UPDATE orders SET status = $1 WHERE id = $2", from, o.ID); err != nil {
				t.Fatal(err)
			}
			got, err := svc.Cancel(ctx, o.ID)
			if expectAllowed(from, StatusCancelled) {
				if err != nil || got.Status != StatusCancelled {
					t.Fatalf("Cancel from %s = %s, %v; want cancelled", from, got.Status, err)
				}
				if n := len(orderEvents(t, pool, o.ID)); n != 1 {
					t.Errorf("%d events, want 1", n)
				}
				return
			}
			wantError(t, err, EConflict, "")
			var status string
			if err := pool.QueryRow(ctx, "SELECT status FROM orders WHERE id = $1", o.ID).Scan(&status); err != nil {
				t.Fatal(err)
			}
			if status != string(from) {
				t.Errorf("status = %s after a refused cancel, want %s", status, from)
			}
			if n := len(orderEvents(t, pool, o.ID)) + len(timelineMoves(t, pool, o.ID)); n != 0 {
				t.Errorf("a refused cancel wrote %d events and transitions", n)
			}
		})
	}
}

func TestCancelUnknown(t *testing.T) {
	svc, pool := newTestService(t)
	_, err := svc.Cancel(context.Background(), uuid.Must(uuid.NewV7()))
	wantError(t, err, ENotFound, "id")
	if n := count(t, pool, "SELECT count(*) FROM order_timeline") + count(t, pool, "SELECT count(*) FROM events"); n != 0 {
		t.Errorf("cancelling an unknown order wrote %d rows", n)
	}
}

func TestCancelConcurrently(t *testing.T) {
	ctx := context.Background()
	svc, pool := newTestService(t)
	o, _ := mustCreate(t, svc, validParams())

	const n = 10
	start := make(chan struct{})
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			_, errs[i] = svc.Cancel(ctx, o.ID)
		}()
	}
	close(start)
	wg.Wait()

	codes := map[string]int{}
	for _, err := range errs {
		codes[ErrorCode(err)]++
	}
	if d := cmp.Diff(map[string]int{"": 1, EConflict: n - 1}, codes); d != "" {
		t.Errorf("outcomes by error code (\"\" is success): %s; errors: %v", d, errs)
	}
	if d := cmp.Diff([]string{"order.cancelled"}, eventTypes(orderEvents(t, pool, o.ID))); d != "" {
		t.Errorf("events: %s", d)
	}
	if d := cmp.Diff([]string{"pending->cancelled"}, timelineMoves(t, pool, o.ID)); d != "" {
		t.Errorf("timeline transitions: %s", d)
	}
}

func eventTypes(events []eventRow) []string {
	var out []string
	for _, e := range events {
		out = append(out, e.Type)
	}
	return out
}
