package orders

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"go.uber.org/zap"

	"github.com/placetopay-gateway/gateway/internal/orders/ordersdb"
	"github.com/placetopay-gateway/gateway/internal/pgtest"
)

// newTestService returns a Service on a fresh migrated database, and the pool to inspect it.
func newTestService(t *testing.T) (*Service, *pgxpool.Pool) {
	t.Helper()
	pool := pgtest.Pool(t)
	return NewService(NewStore(pool), zap.NewNop()), pool
}

// count returns the single integer a query selects.
func count(t *testing.T, pool *pgxpool.Pool, query string, args ...any) int {
	t.Helper()
	var n int
	if err := pool.QueryRow(context.Background(), query, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}

// mustCreate creates an order from p, failing the test on any error.
func mustCreate(t *testing.T, svc *Service, p CreateParams) (Order, string) {
	t.Helper()
	o, secret, err := svc.Create(context.Background(), p)
	if err != nil {
		t.Fatalf("Create(%q) = %v", p.Reference, err)
	}
	return o, secret
}

// simpleParams returns valid CreateParams with reference ref (generated when empty).
func simpleParams(ref string) CreateParams {
	return CreateParams{Reference: ref, Description: "test order", Amount: Money{Minor: 1000, Currency: "USD"}}
}

// storedFields is what Create must store and Get must return, compared as one value.
type storedFields struct {
	Reference, Description, ReturnURL string
	Status                            Status
	Amount                            Money
	PaidMinor, RefundedMinor          int64
	Buyer                             *Person
	Items                             []Item
}

func fieldsOf(o Order) storedFields {
	return storedFields{
		Reference: o.Reference, Description: o.Description, ReturnURL: o.ReturnURL, Status: o.Status,
		Amount: o.Amount, PaidMinor: o.PaidMinor, RefundedMinor: o.RefundedMinor, Buyer: o.Buyer, Items: o.Items,
	}
}

func TestCreateStoresTheOrder(t *testing.T) {
	ctx := context.Background()
	svc, pool := newTestService(t)
	p := validParams()
	created, secret := mustCreate(t, svc, p)

	want := storedFields{
		Reference: p.Reference, Description: p.Description, ReturnURL: p.ReturnURL, Status: StatusPending,
		Amount: p.Amount, Buyer: p.Buyer, Items: p.Items,
	}
	if d := cmp.Diff(want, fieldsOf(created)); d != "" {
		t.Errorf("Create returned: %s", d)
	}
	if created.ID.Version() != 7 {
		t.Errorf("id %s is a version %d UUID, want 7", created.ID, created.ID.Version())
	}
	if !strings.HasPrefix(secret, "cs_") || len(secret) < 40 {
		t.Errorf("client secret %q is not a cs_ secret of at least 40 characters", secret)
	}

	got, err := svc.Get(ctx, created.ID)
	if err != nil {
		t.Fatalf("Get: %v", err)
	}
	if d := cmp.Diff(want, fieldsOf(got)); d != "" {
		t.Errorf("Get returned: %s", d)
	}
	if got.ID != created.ID || !got.CreatedAt.Equal(created.CreatedAt) || !got.UpdatedAt.Equal(created.UpdatedAt) {
		t.Errorf("Get: id %s, created %v, updated %v; Create returned %s, %v, %v",
			got.ID, got.CreatedAt, got.UpdatedAt, created.ID, created.CreatedAt, created.UpdatedAt)
	}
	if len(got.Sessions) != 0 || len(got.Payments) != 0 {
		t.Errorf("a new order has %d sessions and %d payments", len(got.Sessions), len(got.Payments))
	}

	var hash []byte
	if err := pool.QueryRow(ctx, "SELECT client_secret_hash FROM orders WHERE id = $1", created.ID).Scan(&hash); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(hash, HashClientSecret(secret)) {
		t.Error("the stored hash is not the hash of the returned client secret")
	}
	if bytes.Contains(hash, []byte(secret)) {
		t.Error("the client secret is stored in clear")
	}
	var kind, to string
	if err := pool.QueryRow(ctx, "SELECT kind, to_status FROM order_timeline WHERE order_id = $1", created.ID).Scan(&kind, &to); err != nil {
		t.Fatalf("timeline: %v", err)
	}
	if kind != "created" || to != string(StatusPending) {
		t.Errorf("timeline entry = %s to %s, want created to pending", kind, to)
	}
	if n := count(t, pool, "SELECT count(*) FROM events"); n != 0 {
		t.Errorf("creating an order wrote %d events, want 0", n)
	}
}

func TestCreateWithoutBuyerOrItems(t *testing.T) {
	svc, _ := newTestService(t)
	created, _ := mustCreate(t, svc, CreateParams{Amount: Money{Minor: 1500, Currency: "CLP"}})
	got, err := svc.Get(context.Background(), created.ID)
	if err != nil {
		t.Fatalf("Get: %v", err)
	}
	if got.Buyer != nil || len(got.Items) != 0 || got.ReturnURL != "" || got.Amount != (Money{1500, "CLP"}) {
		t.Errorf("Get = buyer %+v, items %+v, returnUrl %q, amount %v; want none, none, empty, 1500 CLP",
			got.Buyer, got.Items, got.ReturnURL, got.Amount)
	}
}

func TestCreateGeneratesUniqueReferences(t *testing.T) {
	svc, _ := newTestService(t)
	seen := map[string]bool{}
	for range 20 {
		o, _ := mustCreate(t, svc, simpleParams(""))
		ref := o.Reference
		if ref == "" || len(ref) > maxReference || seen[ref] {
			t.Fatalf("generated reference %q: empty, longer than 32 or repeated", ref)
		}
		seen[ref] = true
		p := simpleParams(ref) // a generated reference must itself be a valid one
		if err := p.Validate(); err != nil {
			t.Errorf("generated reference %q does not validate: %v", ref, err)
		}
		got, err := svc.Get(context.Background(), o.ID)
		if err != nil || got.Reference != ref {
			t.Errorf("Get(%s) = reference %q, %v; want %q", o.ID, got.Reference, err, ref)
		}
	}
}

func TestCreateDuplicateReference(t *testing.T) {
	svc, pool := newTestService(t)
	first, _ := mustCreate(t, svc, simpleParams("ORDER-1"))

	dup := simpleParams("ORDER-1")
	dup.Amount = Money{Minor: 99, Currency: "COP"}
	o, secret, err := svc.Create(context.Background(), dup)
	wantError(t, err, EConflict, "reference")
	if o.ID != uuid.Nil || secret != "" {
		t.Errorf("a refused Create returned order %s and secret %q", o.ID, secret)
	}
	if n := count(t, pool, "SELECT count(*) FROM orders"); n != 1 {
		t.Errorf("%d orders stored, want 1", n)
	}
	if n := count(t, pool, "SELECT count(*) FROM order_timeline"); n != 1 {
		t.Errorf("%d timeline entries stored, want 1", n)
	}
	got, err := svc.Get(context.Background(), first.ID)
	if err != nil || got.Amount != first.Amount {
		t.Errorf("the first order now has amount %v (%v), want %v", got.Amount, err, first.Amount)
	}
}

func TestCreateInvalidWritesNothing(t *testing.T) {
	tests := []struct {
		name  string
		edit  func(p *CreateParams)
		field string
	}{
		{"total 0", func(p *CreateParams) { p.Amount.Minor = 0 }, "amount.total"},
		{"unknown currency", func(p *CreateParams) { p.Amount.Currency = "XXX" }, "amount.currency"},
		{"relative returnUrl", func(p *CreateParams) { p.ReturnURL = "/return" }, "returnUrl"},
		{"long reference", func(p *CreateParams) { p.Reference = strings.Repeat("R", 33) }, "reference"},
		{"card number in name", func(p *CreateParams) { p.Buyer.Name = "4111111111111111" }, "buyer.name"},
	}
	svc, pool := newTestService(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := validParams()
			tt.edit(&p)
			_, _, err := svc.Create(context.Background(), p)
			wantError(t, err, EInvalid, tt.field)
			for _, table := range []string{"orders", "order_timeline", "events"} {
				if n := count(t, pool, "SELECT count(*) FROM "+table); n != 0 {
					t.Errorf("%d rows in %s, want 0", n, table)
				}
			}
		})
	}
}

func TestGetUnknown(t *testing.T) {
	svc, _ := newTestService(t)
	_, err := svc.Get(context.Background(), uuid.Must(uuid.NewV7()))
	wantError(t, err, ENotFound, "id")
}

func TestGetWithClientSecret(t *testing.T) {
	svc, _ := newTestService(t)
	o, secret := mustCreate(t, svc, validParams())
	_, otherSecret := mustCreate(t, svc, simpleParams("ORDER-2"))

	tests := []struct {
		name     string
		id       uuid.UUID
		secret   string
		wantCode string
	}{
		{"right secret", o.ID, secret, ""},
		{"wrong secret", o.ID, "cs_wrong", EUnauthorized},
		{"empty secret", o.ID, "", EUnauthorized},
		{"secret with a trailing space", o.ID, secret + " ", EUnauthorized},
		{"another order's secret", o.ID, otherSecret, EUnauthorized},
		{"the stored hash itself", o.ID, string(HashClientSecret(secret)), EUnauthorized},
		{"unknown id", uuid.Must(uuid.NewV7()), secret, ENotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := svc.GetWithClientSecret(context.Background(), tt.id, tt.secret)
			if tt.wantCode != "" {
				if code := ErrorCode(err); code != tt.wantCode {
					t.Fatalf("GetWithClientSecret = %v, want code %s", err, tt.wantCode)
				}
				if got.ID != uuid.Nil {
					t.Errorf("a refused read returned order %s", got.ID)
				}
				return
			}
			if err != nil {
				t.Fatalf("GetWithClientSecret = %v", err)
			}
			if got.ID != o.ID || got.Status != StatusPending || got.Amount != o.Amount {
				t.Errorf("GetWithClientSecret = %s %s %v, want %s pending %v", got.ID, got.Status, got.Amount, o.ID, o.Amount)
			}
		})
	}
}

// eventRow is an outbox row as the tests read it back.
type eventRow struct {
	Type string
	Data map[string]any
}

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
	store := NewStore(pool)
	want := map[uuid.UUID]bool{}
	err := store.inTx(ctx, func(tx pgx.Tx) error {
		for i := range 9 {
			_, hash := newClientSecret()
			row, err := store.q.InsertOrder(ctx, tx, ordersdb.InsertOrderParams{
				ID: uuid.Must(uuid.NewV7()), Reference: fmt.Sprintf("TIE-%d", i), Currency: "USD",
				TotalMinor: 100, Items: []byte("[]"), ClientSecretHash: hash,
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
