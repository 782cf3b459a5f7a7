package webhooks_test

import (
	"context"
	"encoding/base64"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/placetopay-gateway/gateway/internal/pgtest"
	"github.com/placetopay-gateway/gateway/internal/webhooks"
)

// listUntil reads after cursor until the page holds n events, within a generous deadline:
// a transaction elsewhere on the server may hold the feed back for a moment.
func listUntil(t *testing.T, log *webhooks.EventLog, cursor string, n int) webhooks.EventPage {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		p, err := log.List(context.Background(), cursor, webhooks.MaxListLimit, webhooks.EventFilter{})
		if err != nil {
			t.Fatalf("List: %v", err)
		}
		if len(p.Events) == n {
			return p
		}
		if len(p.Events) > n || time.Now().After(deadline) {
			t.Fatalf("listed %d events after %q, want %d", len(p.Events), cursor, n)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func eventIDs(p webhooks.EventPage) []uuid.UUID {
	var out []uuid.UUID
	for _, ev := range p.Events {
		out = append(out, ev.ID)
	}
	return out
}

func TestListCursors(t *testing.T) {
	ctx := context.Background()
	pool := pgtest.Pool(t)
	log := webhooks.NewEventLog(pool)

	start, err := log.List(ctx, "", 10, webhooks.EventFilter{})
	if err != nil || len(start.Events) != 0 || start.Next == "" {
		t.Fatalf("empty feed: %+v, %v; want no events and a cursor", start, err)
	}
	again, err := log.List(ctx, start.Next, 10, webhooks.EventFilter{})
	if err != nil || again.Next != start.Next {
		t.Errorf("after the start cursor on an empty feed: next %q, %v; want the same cursor back", again.Next, err)
	}

	orderID := insertOrder(t, pool)
	a, b := insertEvent(t, pool, orderID, "order.authorized"), insertEvent(t, pool, orderID, "order.paid")
	p := listUntil(t, log, start.Next, 2)
	if d := cmp.Diff([]uuid.UUID{a.id, b.id}, eventIDs(p)); d != "" {
		t.Errorf("events after the start (-want +got):\n%s", d)
	}
	if ev := p.Events[0]; ev.Type != "order.authorized" || ev.OrderID != orderID || string(ev.Data) == "" || ev.CreatedAt.Location() != time.UTC {
		t.Errorf("event = %+v", ev)
	}
	one, err := log.List(ctx, start.Next, 1, webhooks.EventFilter{})
	if err != nil || len(one.Events) != 1 || one.Events[0].ID != a.id {
		t.Fatalf("limit 1: %+v, %v", one, err)
	}
	rest, err := log.List(ctx, one.Next, 1, webhooks.EventFilter{})
	if err != nil || len(rest.Events) != 1 || rest.Events[0].ID != b.id {
		t.Fatalf("after the first: %+v, %v", rest, err)
	}
	end, err := log.List(ctx, rest.Next, 1, webhooks.EventFilter{})
	if err != nil || len(end.Events) != 0 || end.Next != rest.Next {
		t.Errorf("at the end: %+v, %v; want no events and the same cursor", end, err)
	}

	enc := func(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }
	for _, bad := range []string{"%%", "e1:1.2", enc("e1:1"), enc("e1:1.x"), enc("e1:-1.2"), enc("e2:1.2")} {
		if _, err := log.List(ctx, bad, 10, webhooks.EventFilter{}); !errors.Is(err, webhooks.ErrInvalidCursor) {
			t.Errorf("List(%q) = %v, want ErrInvalidCursor", bad, err)
		}
	}
	for _, limit := range []int{0, -1, webhooks.MaxListLimit + 1} {
		if _, err := log.List(ctx, "", limit, webhooks.EventFilter{}); err == nil || errors.Is(err, webhooks.ErrInvalidCursor) {
			t.Errorf("List(limit %d) = %v, want a limit error", limit, err)
		}
	}
}

// TestListIsNeverPassedByALateCommit is the case a seq cursor gets wrong. Transaction
// "older" gets its id first; "younger" inserts an event (lower seq) and stays open; "older"
// inserts an event (higher seq) and commits. The feed may list older's event now, since every
// transaction older than it has ended, and must still list younger's event, with its lower
// seq, once younger commits: the cursor orders by transaction, then seq.
func TestListIsNeverPassedByALateCommit(t *testing.T) {
	ctx := context.Background()
	pool := pgtest.Pool(t)
	log := webhooks.NewEventLog(pool)
	orderA, orderB := insertOrder(t, pool), insertOrder(t, pool)

	older := begin(t, pool)
	var olderTx int64
	if err := older.QueryRow(ctx, `SELECT pg_current_xact_id()::text::bigint`).Scan(&olderTx); err != nil {
		t.Fatal(err)
	}
	younger := begin(t, pool)
	var youngerSeq, youngerTx int64
	var youngerID uuid.UUID
	if err := younger.QueryRow(ctx, `INSERT INTO events (id, type, order_id, data) VALUES (gen_random_uuid(), 'order.paid', $1, '{}')
		RETURNING id, seq, tx_id::text::bigint`, orderA).Scan(&youngerID, &youngerSeq, &youngerTx); err != nil {
		t.Fatal(err)
	}
	var olderSeq int64
	var olderID uuid.UUID
	if err := older.QueryRow(ctx, `INSERT INTO events (id, type, order_id, data) VALUES (gen_random_uuid(), 'order.paid', $1, '{}')
		RETURNING id, seq`, orderB).Scan(&olderID, &olderSeq); err != nil {
		t.Fatal(err)
	}
	if !(olderTx < youngerTx && youngerSeq < olderSeq) {
		t.Fatalf("setup: older tx %d seq %d, younger tx %d seq %d", olderTx, olderSeq, youngerTx, youngerSeq)
	}
	if err := older.Commit(ctx); err != nil {
		t.Fatal(err)
	}

	first := listUntil(t, log, "", 1)
	if first.Events[0].ID != olderID {
		t.Fatalf("listed %v, want older's event %s", eventIDs(first), olderID)
	}
	if err := younger.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	next := listUntil(t, log, first.Next, 1)
	if next.Events[0].ID != youngerID {
		t.Errorf("after older's event: %v, want younger's event %s (seq %d < %d)", eventIDs(next), youngerID, youngerSeq, olderSeq)
	}
}

func begin(t *testing.T, pool *pgxpool.Pool) pgx.Tx {
	t.Helper()
	tx, err := pool.Begin(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = tx.Rollback(context.Background()) })
	return tx
}
