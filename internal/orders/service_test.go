package orders

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"
	"go.uber.org/zap"

	"github.com/placetopay-gateway/gateway/internal/pgtest"
)

// newTestService returns a Service on a fresh migrated database, and the pool to inspect it.
func newTestService(t *testing.T) (*Service, *pgxpool.Pool) {
	t.Helper()
	pool := pgtest.Pool(t)
	return NewService(NewStore(pool, zap.NewNop()), zap.NewNop()), pool
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
	created, _ := mustCreate(t, svc, CreateParams{Description: "test order", Amount: Money{Minor: 1500, Currency: "CLP"}})
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
