package orders

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"go.uber.org/zap"

	"github.com/placetopay-gateway/gateway/internal/orders/ordersdb"
)

// newOrder is an order about to be stored, with the hash of its client secret.
type newOrder struct {
	Order
	secretHash []byte
	note       string // the "created" timeline entry's message
	requestKey []byte // the digest of the request that creates it (WithRequestKey), if any
}

// insertOrder stores a new pending order and its "created" timeline entry inside tx. A
// reference already in use is EConflict on the field reference.
func (s *Store) insertOrder(ctx context.Context, tx pgx.Tx, n newOrder) (Order, error) {
	var buyer []byte
	if n.Buyer != nil {
		var err error
		if buyer, err = json.Marshal(n.Buyer); err != nil {
			return Order{}, fmt.Errorf("buyer: %w", err)
		}
	}
	items := n.Items
	if items == nil {
		items = []Item{}
	}
	itemsJSON, err := json.Marshal(items)
	if err != nil {
		return Order{}, fmt.Errorf("items: %w", err)
	}
	taxes, details := n.Taxes, n.Details
	if taxes == nil {
		taxes = []Tax{}
	}
	if details == nil {
		details = []AmountDetail{}
	}
	site := n.Site
	if site == "" {
		site = DefaultSite
	}
	taxesJSON, _ := json.Marshal(taxes)     // plain structs: cannot fail
	detailsJSON, _ := json.Marshal(details) // plain structs: cannot fail
	row, err := s.q.InsertOrder(ctx, tx, ordersdb.InsertOrderParams{
		ID: n.ID, Reference: n.Reference, Description: n.Description,
		Currency: n.Amount.Currency, TotalMinor: n.Amount.Minor,
		Buyer: buyer, Items: itemsJSON, ReturnUrl: nullable(n.ReturnURL),
		ClientSecretHash: n.secretHash, AmountTaxes: taxesJSON, AmountDetails: detailsJSON, Site: site,
		RequestKey: n.requestKey,
	})
	if c, ok := uniqueViolation(err); ok && c == "orders_reference_key" {
		return Order{}, &Error{Code: EConflict, Field: "reference", Message: fmt.Sprintf("reference %q is already used by another order", n.Reference)}
	}
	if err != nil {
		return Order{}, err
	}
	err = s.q.InsertTimeline(ctx, tx, ordersdb.InsertTimelineParams{
		OrderID: n.ID, Kind: "created", ToStatus: ptr(string(StatusPending)), Message: nullable(n.note),
	})
	if err != nil {
		return Order{}, err
	}
	s.log.Info("order created", zap.String("order", n.ID.String()), zap.String("reference", n.Reference), zap.String("amount", n.Amount.String()))
	return orderFromRow(row)
}

// reissuedOrder is the order the request with key created already, with secretHash as its
// client secret from now on; ok is false when that request created none.
func (s *Store) reissuedOrder(ctx context.Context, tx pgx.Tx, key, secretHash []byte) (Order, bool, error) {
	row, err := s.q.ReissueOrderForRequest(ctx, tx, ordersdb.ReissueOrderForRequestParams{RequestKey: key, ClientSecretHash: secretHash})
	if ok, err := found(err); !ok {
		return Order{}, false, err
	}
	o, err := orderFromRow(row)
	return o, err == nil, err
}

// order reads an order; a missing one is ENotFound.
func (s *Store) order(ctx context.Context, id uuid.UUID) (Order, error) {
	o, _, err := s.orderWithSecret(ctx, id)
	return o, err
}

// orderWithSecret reads an order and the hash of its client secret.
func (s *Store) orderWithSecret(ctx context.Context, id uuid.UUID) (Order, []byte, error) {
	row, err := s.q.GetOrder(ctx, s.pool, id)
	if err != nil {
		return Order{}, nil, orderNotFound(err, id)
	}
	o, err := orderFromRow(row)
	return o, row.ClientSecretHash, err
}

// lockOrder reads an order FOR UPDATE inside tx: every change of an order, its sessions,
// payments and actions starts here, so that they serialise on the order's row. A missing
// order is ENotFound.
func (s *Store) lockOrder(ctx context.Context, tx pgx.Tx, id uuid.UUID) (Order, error) {
	row, err := s.q.GetOrderForUpdate(ctx, tx, id)
	if err != nil {
		return Order{}, orderNotFound(err, id)
	}
	return orderFromRow(row)
}

// lockOrderByReference is lockOrder by the order's reference; ok is false when no order
// has it.
func (s *Store) lockOrderByReference(ctx context.Context, tx pgx.Tx, reference string) (o Order, ok bool, err error) {
	row, err := s.q.GetOrderByReferenceForUpdate(ctx, tx, reference)
	if ok, err = found(err); !ok {
		return Order{}, false, err
	}
	o, err = orderFromRow(row)
	return o, err == nil, err
}

// orderPage is one page of ListOrders' keyset.
type orderPage struct {
	status        Status
	beforeCreated *time.Time
	beforeID      *uuid.UUID
	rows          int
}

// listOrders returns up to page.rows orders, newest first, before the page's key.
func (s *Store) listOrders(ctx context.Context, page orderPage) ([]Order, error) {
	args := ordersdb.ListOrdersParams{MaxRows: int32(page.rows), BeforeCreated: page.beforeCreated, BeforeID: page.beforeID}
	if page.status != "" {
		args.Status = ptr(string(page.status))
	}
	rows, err := s.q.ListOrders(ctx, s.pool, args)
	if err != nil {
		return nil, err
	}
	out := make([]Order, 0, len(rows))
	for _, r := range rows {
		o, err := orderFromRow(r)
		if err != nil {
			return nil, err
		}
		out = append(out, o)
	}
	return out, nil
}

// setPaid writes the amount PlacetoPay approved for the order.
func (s *Store) setPaid(ctx context.Context, tx pgx.Tx, o *Order, minor int64) error {
	if err := s.q.SetOrderPaid(ctx, tx, ordersdb.SetOrderPaidParams{ID: o.ID, PaidMinor: minor}); err != nil {
		return err
	}
	o.PaidMinor = minor
	return nil
}

// setAmount changes the order's amount: a capture of another amount than the order's.
func (s *Store) setAmount(ctx context.Context, tx pgx.Tx, o *Order, minor int64) error {
	if err := s.q.SetOrderAmount(ctx, tx, ordersdb.SetOrderAmountParams{ID: o.ID, TotalMinor: minor}); err != nil {
		return err
	}
	o.Amount.Minor = minor
	return nil
}

// withHistory fills the order's sessions and payments.
func (s *Store) withHistory(ctx context.Context, o *Order) error {
	if err := s.withSessions(ctx, o); err != nil {
		return err
	}
	payments, err := s.payments(ctx, s.pool, o.ID)
	if err != nil {
		return fmt.Errorf("payments: %w", err)
	}
	o.Payments = payments
	return nil
}

// withSessions reads the order's sessions into o.
func (s *Store) withSessions(ctx context.Context, o *Order) error {
	sessions, err := s.q.ListSessions(ctx, s.pool, o.ID)
	if err != nil {
		return fmt.Errorf("sessions: %w", err)
	}
	o.Sessions = sessionsFromRows(sessions)
	return nil
}

// orderView reads an order with its sessions and payments, as the merchant API shows it.
func (s *Store) orderView(ctx context.Context, id uuid.UUID) (Order, error) {
	o, err := s.order(ctx, id)
	if err != nil {
		return Order{}, err
	}
	if err := s.withHistory(ctx, &o); err != nil {
		return Order{}, fmt.Errorf("order %s: %w", id, err)
	}
	return o, nil
}
