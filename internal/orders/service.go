package orders

import (
	"context"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"go.uber.org/zap"

	"github.com/placetopay-gateway/gateway/internal/orders/ordersdb"
)

// Service is what the merchant API does with orders.
type Service struct {
	store *Store
	log   *zap.Logger
}

// NewService returns a Service on store.
func NewService(store *Store, log *zap.Logger) *Service {
	if store == nil || log == nil {
		panic("orders: NewService needs a store and a logger")
	}
	return &Service{store: store, log: log}
}

// Create validates p and stores a new pending order. It returns the order and its client
// secret, which is shown only now: only its hash is kept.
func (s *Service) Create(ctx context.Context, p CreateParams) (Order, string, error) {
	if err := p.Validate(); err != nil {
		return Order{}, "", err
	}
	if p.Reference == "" {
		p.Reference = newReference()
	}
	id, err := uuid.NewV7()
	if err != nil {
		return Order{}, "", fmt.Errorf("orders: create: new id: %w", err)
	}
	var buyer []byte
	if p.Buyer != nil {
		if buyer, err = json.Marshal(p.Buyer); err != nil {
			return Order{}, "", fmt.Errorf("orders: create: buyer: %w", err)
		}
	}
	items := p.Items
	if items == nil {
		items = []Item{}
	}
	itemsJSON, err := json.Marshal(items)
	if err != nil {
		return Order{}, "", fmt.Errorf("orders: create: items: %w", err)
	}
	secret, secretHash := newClientSecret()
	var row ordersdb.Order
	err = s.store.inTx(ctx, func(tx pgx.Tx) error {
		row, err = s.store.q.InsertOrder(ctx, tx, ordersdb.InsertOrderParams{
			ID: id, Reference: p.Reference, Description: p.Description,
			Currency: p.Amount.Currency, TotalMinor: p.Amount.Minor,
			Buyer: buyer, Items: itemsJSON, ReturnUrl: nullable(p.ReturnURL),
			ClientSecretHash: secretHash,
		})
		if err != nil {
			return err
		}
		return s.store.q.InsertTimeline(ctx, tx, ordersdb.InsertTimelineParams{
			OrderID: id, Kind: "created", ToStatus: ptr(string(StatusPending)),
		})
	})
	if c, ok := uniqueViolation(err); ok && c == "orders_reference_key" {
		return Order{}, "", &Error{Code: EConflict, Field: "reference", Message: fmt.Sprintf("reference %q is already used by another order", p.Reference)}
	}
	if err != nil {
		return Order{}, "", fmt.Errorf("orders: create: %w", err)
	}
	o, err := orderFromRow(row)
	return o, secret, err
}

// Get returns the order with its sessions and payments.
func (s *Service) Get(ctx context.Context, id uuid.UUID) (Order, error) {
	row, err := s.store.q.GetOrder(ctx, s.store.pool, id)
	if errors.Is(err, pgx.ErrNoRows) {
		return Order{}, &Error{Code: ENotFound, Field: "id", Message: fmt.Sprintf("order %s does not exist", id)}
	}
	if err != nil {
		return Order{}, fmt.Errorf("orders: get %s: %w", id, err)
	}
	o, err := orderFromRow(row)
	if err != nil {
		return Order{}, err
	}
	sessions, err := s.store.q.ListSessions(ctx, s.store.pool, id)
	if err != nil {
		return Order{}, fmt.Errorf("orders: get %s: sessions: %w", id, err)
	}
	for _, r := range sessions {
		o.Sessions = append(o.Sessions, sessionFromRow(r))
	}
	payments, err := s.store.q.ListPayments(ctx, s.store.pool, id)
	if err != nil {
		return Order{}, fmt.Errorf("orders: get %s: payments: %w", id, err)
	}
	for _, r := range payments {
		o.Payments = append(o.Payments, paymentFromRow(r))
	}
	return o, nil
}

// GetWithClientSecret returns the order when secret is its client secret; the secrets are
// compared by hash in constant time.
func (s *Service) GetWithClientSecret(ctx context.Context, id uuid.UUID, secret string) (Order, error) {
	row, err := s.store.q.GetOrder(ctx, s.store.pool, id)
	if errors.Is(err, pgx.ErrNoRows) {
		return Order{}, &Error{Code: ENotFound, Field: "id", Message: fmt.Sprintf("order %s does not exist", id)}
	}
	if err != nil {
		return Order{}, fmt.Errorf("orders: get %s: %w", id, err)
	}
	if subtle.ConstantTimeCompare(HashClientSecret(secret), row.ClientSecretHash) != 1 {
		return Order{}, Errorf(EUnauthorized, "the client secret does not match this order")
	}
	return orderFromRow(row)
}

// ListParams selects a page of orders, newest first.
type ListParams struct {
	Status Status // empty for every status
	Limit  int    // 1 to 100; 0 means 20
	Cursor string // from the previous page's next cursor; empty for the first page
}

// List returns one page of orders and the cursor of the next page ("" on the last page).
func (s *Service) List(ctx context.Context, p ListParams) ([]Order, string, error) {
	if p.Limit == 0 {
		p.Limit = 20
	}
	if p.Limit < 1 || p.Limit > 100 {
		return nil, "", invalidField("limit", "must be between 1 and 100")
	}
	args := ordersdb.ListOrdersParams{MaxRows: int32(p.Limit + 1)}
	if p.Status != "" {
		if !p.Status.Valid() {
			return nil, "", invalidField("status", "%q is not an order status", p.Status)
		}
		args.Status = ptr(string(p.Status))
	}
	if p.Cursor != "" {
		t, id, err := decodeCursor(p.Cursor)
		if err != nil {
			return nil, "", invalidField("cursor", "is not a cursor this API returned")
		}
		args.BeforeCreated, args.BeforeID = &t, &id
	}
	rows, err := s.store.q.ListOrders(ctx, s.store.pool, args)
	if err != nil {
		return nil, "", fmt.Errorf("orders: list: %w", err)
	}
	next := ""
	if len(rows) > p.Limit {
		rows = rows[:p.Limit]
		last := rows[len(rows)-1]
		next = encodeCursor(last.CreatedAt, last.ID)
	}
	out := make([]Order, 0, len(rows))
	for _, r := range rows {
		o, err := orderFromRow(r)
		if err != nil {
			return nil, "", err
		}
		out = append(out, o)
	}
	return out, next, nil
}

// Cancel cancels an order that has no payment yet.
func (s *Service) Cancel(ctx context.Context, id uuid.UUID) (Order, error) {
	var o Order
	err := s.store.inTx(ctx, func(tx pgx.Tx) error {
		row, err := s.store.q.GetOrderForUpdate(ctx, tx, id)
		if errors.Is(err, pgx.ErrNoRows) {
			return &Error{Code: ENotFound, Field: "id", Message: fmt.Sprintf("order %s does not exist", id)}
		}
		if err != nil {
			return err
		}
		if o, err = orderFromRow(row); err != nil {
			return err
		}
		return s.store.transition(ctx, tx, &o, StatusCancelled, "cancelled by the merchant", nil)
	})
	if err != nil {
		if ErrorCode(err) != EInternal {
			return Order{}, err
		}
		return Order{}, fmt.Errorf("orders: cancel %s: %w", id, err)
	}
	return s.Get(ctx, id)
}

// transition moves o to status to inside tx: the guarded status update, the timeline entry
// and the outbox event commit together or not at all. sessionID names the session whose
// query caused the move, if any.
func (s *Store) transition(ctx context.Context, tx pgx.Tx, o *Order, to Status, reason string, sessionID *uuid.UUID) error {
	return s.transitionWith(ctx, tx, o, to, reason, sessionID, nil)
}

// transitionWith is transition with extra members in the event's data (a refund, a capture).
func (s *Store) transitionWith(ctx context.Context, tx pgx.Tx, o *Order, to Status, reason string, sessionID *uuid.UUID, extra map[string]any) error {
	from := o.Status
	if err := o.Transition(to); err != nil {
		return err
	}
	n, err := s.q.UpdateOrderStatus(ctx, tx, ordersdb.UpdateOrderStatusParams{
		ID: o.ID, FromStatus: string(from), ToStatus: string(to),
	})
	if err != nil {
		return err
	}
	if n != 1 {
		return Errorf(EConflict, "order %s changed while it was being updated", o.ID)
	}
	err = s.q.InsertTimeline(ctx, tx, ordersdb.InsertTimelineParams{
		OrderID: o.ID, SessionID: sessionID, Kind: "transition", FromStatus: ptr(string(from)), ToStatus: ptr(string(to)),
		Message: nullable(reason),
	})
	if err != nil {
		return err
	}
	typ := to.EventType()
	if typ == "" {
		return nil
	}
	return s.insertEvent(ctx, tx, o, from, typ, extra)
}

// insertEvent writes the outbox event typ of o, with extra members in its data.
func (s *Store) insertEvent(ctx context.Context, tx pgx.Tx, o *Order, from Status, typ string, extra map[string]any) error {
	fields := eventData(o, from)
	maps.Copy(fields, extra)
	data, err := json.Marshal(fields)
	if err != nil {
		return err
	}
	_, err = s.q.InsertEvent(ctx, tx, ordersdb.InsertEventParams{
		ID: uuid.Must(uuid.NewV7()), Type: typ, OrderID: o.ID, Data: data,
	})
	return err
}

// eventData is the payload of an order event: the order's money and statuses at the change.
func eventData(o *Order, from Status) map[string]any {
	money := func(m Money) map[string]string {
		return map[string]string{"currency": m.Currency, "total": m.Decimal()}
	}
	return map[string]any{
		"orderId": o.ID, "reference": o.Reference, "status": o.Status, "previousStatus": from,
		"amount": money(o.Amount), "paidAmount": money(o.Paid()), "refundedAmount": money(o.Refunded()),
	}
}

func encodeCursor(t time.Time, id uuid.UUID) string {
	return base64.RawURLEncoding.EncodeToString([]byte(t.UTC().Format(time.RFC3339Nano) + "," + id.String()))
}

func decodeCursor(c string) (time.Time, uuid.UUID, error) {
	raw, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil {
		return time.Time{}, uuid.UUID{}, err
	}
	ts, idText, ok := strings.Cut(string(raw), ",")
	if !ok {
		return time.Time{}, uuid.UUID{}, errors.New("no separator")
	}
	t, err := time.Parse(time.RFC3339Nano, ts)
	if err != nil {
		return time.Time{}, uuid.UUID{}, err
	}
	id, err := uuid.Parse(idText)
	return t, id, err
}

func ptr[T any](v T) *T { return &v }

func nullable(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
