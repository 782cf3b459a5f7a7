package orders

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"go.uber.org/zap"

	"github.com/placetopay-gateway/gateway/internal/orders/ordersdb"
)

func TestListParams(t *testing.T) {
	svc, _ := newTestService(t)
	for i := range 25 {
		mustCreate(t, svc, simpleParams(fmt.Sprintf("LIST-%02d", i)))
	}
	cursor := encodeRaw
	tests := []struct {
		name      string
		p         ListParams
		wantLen   int
		wantNext  bool
		wantField string
	}{
		{"limit 0 means 20", ListParams{}, 20, true, ""},
		{"limit 1", ListParams{Limit: 1}, 1, true, ""},
		{"limit 25 is the last page", ListParams{Limit: 25}, 25, false, ""},
		{"limit 100", ListParams{Limit: 100}, 25, false, ""},
		{"limit 101", ListParams{Limit: 101}, 0, false, "limit"},
		{"limit -1", ListParams{Limit: -1}, 0, false, "limit"},
		{"status pending", ListParams{Status: StatusPending, Limit: 100}, 25, false, ""},
		{"status paid", ListParams{Status: StatusPaid}, 0, false, ""},
		{"unknown status", ListParams{Status: "bogus"}, 0, false, "status"},
		{"uppercase status", ListParams{Status: "PENDING"}, 0, false, "status"},
		{"cursor not base64", ListParams{Cursor: "not a cursor!"}, 0, false, "cursor"},
		{"cursor without separator", ListParams{Cursor: cursor("hello")}, 0, false, "cursor"},
		{"cursor with bad time", ListParams{Cursor: cursor("yesterday," + uuid.NewString())}, 0, false, "cursor"},
		{"cursor with bad id", ListParams{Cursor: cursor("2026-01-02T03:04:05.123456Z,not-a-uuid")}, 0, false, "cursor"},
		{"cursor with empty id", ListParams{Cursor: cursor("2026-01-02T03:04:05Z,")}, 0, false, "cursor"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, next, err := svc.List(context.Background(), tt.p)
			if tt.wantField != "" {
				wantError(t, err, EInvalid, tt.wantField)
				return
			}
			if err != nil {
				t.Fatalf("List(%+v) = %v", tt.p, err)
			}
			if len(got) != tt.wantLen || (next != "") != tt.wantNext {
				t.Errorf("List(%+v) = %d orders, next %q; want %d, next %t", tt.p, len(got), next, tt.wantLen, tt.wantNext)
			}
		})
	}
}

func TestListStatusFilter(t *testing.T) {
	ctx := context.Background()
	svc, _ := newTestService(t)
	want := map[Status][]uuid.UUID{}
	for i := range 7 {
		o, _ := mustCreate(t, svc, simpleParams(fmt.Sprintf("FILTER-%d", i)))
		st := StatusPending
		if i%3 == 0 {
			if _, err := svc.Cancel(ctx, o.ID); err != nil {
				t.Fatal(err)
			}
			st = StatusCancelled
		}
		want[st] = append([]uuid.UUID{o.ID}, want[st]...) // newest first
	}
	for _, st := range []Status{StatusPending, StatusCancelled, StatusPaid} {
		t.Run(string(st), func(t *testing.T) {
			page, next, err := svc.List(ctx, ListParams{Status: st, Limit: 100})
			if err != nil {
				t.Fatal(err)
			}
			var got []uuid.UUID
			for _, o := range page {
				if o.Status != st {
					t.Errorf("order %s is %s in a list of %s orders", o.ID, o.Status, st)
				}
				got = append(got, o.ID)
			}
			if d := cmp.Diff(want[st], got); d != "" || next != "" {
				t.Errorf("List(status %s): next %q, ids %s", st, next, d)
			}
		})
	}
	// The filter holds across pages too.
	first, next, err := svc.List(ctx, ListParams{Status: StatusPending, Limit: 2})
	if err != nil || next == "" {
		t.Fatalf("List pending, limit 2 = %d orders, next %q, %v", len(first), next, err)
	}
	rest, _, err := svc.List(ctx, ListParams{Status: StatusPending, Limit: 100, Cursor: next})
	if err != nil {
		t.Fatal(err)
	}
	var got []uuid.UUID
	for _, o := range append(first, rest...) {
		got = append(got, o.ID)
	}
	if d := cmp.Diff(want[StatusPending], got); d != "" {
		t.Errorf("pending orders over two pages: %s", d)
	}
}

// TestListPagesUnderConcurrentInserts walks 45 orders in pages of 7 while another goroutine
// creates 30 more. The walker waits for 10 inserts after its first page and 20 after its
// second, so inserts certainly land between pages; the rest run alongside the walk.
func TestListPagesUnderConcurrentInserts(t *testing.T) {
	ctx := context.Background()
	svc, _ := newTestService(t)
	original := map[uuid.UUID]bool{}
	for i := range 45 {
		o, _ := mustCreate(t, svc, simpleParams(fmt.Sprintf("OLD-%02d", i)))
		original[o.ID] = true
	}

	milestones := []chan struct{}{make(chan struct{}), make(chan struct{})}
	done := make(chan struct{})
	var insertErr error
	go func() {
		defer close(done)
		reached := 0
		defer func() { // never leave the walker waiting, even after a failure
			for ; reached < len(milestones); reached++ {
				close(milestones[reached])
			}
		}()
		for i := range 30 {
			if _, _, err := svc.Create(ctx, simpleParams(fmt.Sprintf("NEW-%02d", i))); err != nil {
				insertErr = err
				return
			}
			if (i+1)%10 == 0 && reached < len(milestones) {
				close(milestones[reached])
				reached++
			}
		}
	}()

	var walked []Order
	cursor := ""
	for page := 0; ; page++ {
		if page > 20 {
			t.Fatalf("still paging after %d pages", page)
		}
		got, next, err := svc.List(ctx, ListParams{Limit: 7, Cursor: cursor})
		if err != nil {
			t.Fatalf("page %d: %v", page, err)
		}
		if len(got) > 7 || (next != "" && len(got) != 7) {
			t.Fatalf("page %d has %d orders and next cursor %q", page, len(got), next)
		}
		walked = append(walked, got...)
		if page < len(milestones) {
			<-milestones[page]
		}
		if next == "" {
			break
		}
		cursor = next
	}
	<-done
	if insertErr != nil {
		t.Fatalf("concurrent insert: %v", insertErr)
	}

	seen := map[uuid.UUID]int{}
	for i, o := range walked {
		seen[o.ID]++
		if seen[o.ID] > 1 {
			t.Errorf("order %s (%s) appears more than once", o.ID, o.Reference)
		}
		if i > 0 && !before(o, walked[i-1]) {
			t.Errorf("order %d (%s, %v) does not come strictly after %s (%v) in (createdAt, id) descending order",
				i, o.ID, o.CreatedAt, walked[i-1].ID, walked[i-1].CreatedAt)
		}
	}
	for id := range original {
		if seen[id] != 1 {
			t.Errorf("original order %s appears %d times, want once", id, seen[id])
		}
	}
}

// TestListPagesOrdersWithTheSameCreatedAt pages through orders inserted in one transaction,
// which share created_at, so that only the id breaks the ties between pages.
func TestListPagesOrdersWithTheSameCreatedAt(t *testing.T) {
	ctx := context.Background()
	svc, pool := newTestService(t)
	store := NewStore(pool, zap.NewNop())
	want := map[uuid.UUID]bool{}
	err := store.inTx(ctx, func(tx pgx.Tx) error {
		for i := range 9 {
			_, hash := newClientSecret()
			row, err := store.q.InsertOrder(ctx, tx, ordersdb.InsertOrderParams{
				ID: uuid.Must(uuid.NewV7()), Reference: fmt.Sprintf("TIE-%d", i), Currency: "USD",
				TotalMinor: 100, Items: []byte("[]"), ClientSecretHash: hash, AmountTaxes: []byte("[]"), AmountDetails: []byte("[]"),
			})
			if err != nil {
				return err
			}
			want[row.ID] = true
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n := count(t, pool, "SELECT count(DISTINCT created_at) FROM orders"); n != 1 {
		t.Fatalf("the orders have %d distinct created_at values, want 1", n)
	}
	seen := map[uuid.UUID]int{}
	var walked []Order
	cursor := ""
	for page := 0; page < 10; page++ {
		got, next, err := svc.List(ctx, ListParams{Limit: 2, Cursor: cursor})
		if err != nil {
			t.Fatal(err)
		}
		walked = append(walked, got...)
		if next == "" {
			break
		}
		cursor = next
	}
	for i, o := range walked {
		seen[o.ID]++
		if i > 0 && !before(o, walked[i-1]) {
			t.Errorf("order %s does not come strictly after %s", o.ID, walked[i-1].ID)
		}
	}
	if len(walked) != len(want) {
		t.Errorf("walked %d orders, want %d", len(walked), len(want))
	}
	for id := range want {
		if seen[id] != 1 {
			t.Errorf("order %s appears %d times, want once", id, seen[id])
		}
	}
}

// before reports whether a sorts strictly after b in the newest-first order: an earlier
// createdAt, or the same createdAt and a smaller id.
func before(a, b Order) bool {
	if !a.CreatedAt.Equal(b.CreatedAt) {
		return a.CreatedAt.Before(b.CreatedAt)
	}
	return bytes.Compare(a.ID[:], b.ID[:]) < 0
}

func TestCursorRoundTrip(t *testing.T) {
	at := time.Date(2026, 5, 15, 10, 11, 12, 123456000, time.FixedZone("COT", -5*3600))
	id := uuid.Must(uuid.NewV7())
	gotAt, gotID, err := decodeCursor(encodeCursor(at, id))
	if err != nil {
		t.Fatal(err)
	}
	if !gotAt.Equal(at) || gotID != id {
		t.Errorf("decodeCursor(encodeCursor(%v, %s)) = %v, %s", at, id, gotAt, gotID)
	}
}

// encodeRaw encodes s the way cursors are encoded, to forge cursors with bad contents.
func encodeRaw(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }
