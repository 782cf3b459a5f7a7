package orders

import (
	"context"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"go.uber.org/zap"
)

// Service is what the merchant API does with orders.
type Service struct {
	store *Store
	sites *Sites // nil: the default site alone, taking every currency
	log   *zap.Logger
}

// NewService returns a Service on store.
func NewService(store *Store, log *zap.Logger) *Service {
	if store == nil || log == nil {
		panic("orders: NewService needs a store and a logger")
	}
	return &Service{store: store, log: log}
}

// WithSites returns the service choosing each new order's site among sites.
func (s *Service) WithSites(sites *Sites) *Service {
	c := *s
	c.sites = sites
	return &c
}

// chooseSite returns the site of a new order: the one it names, else the one that takes its
// currency.
func (s *Service) chooseSite(p CreateParams) (string, error) {
	if s.sites != nil {
		return s.sites.Choose(p.Site, p.Amount.Currency)
	}
	if p.Site != "" && p.Site != DefaultSite {
		return "", invalidField("site", "%q is not a site of this gateway (sites: %s)", p.Site, DefaultSite)
	}
	return DefaultSite, nil
}

// Create validates p and stores a new pending order. It returns the order and its client
// secret, which is shown only now: only its hash is kept. The request that created an order
// (WithRequestKey), run again because its answer was lost, gets that order back with a new
// client secret instead of a second order or a conflict on its reference.
func (s *Service) Create(ctx context.Context, p CreateParams) (Order, string, error) {
	if err := p.Validate(); err != nil {
		return Order{}, "", err
	}
	site, err := s.chooseSite(p)
	if err != nil {
		return Order{}, "", err
	}
	if p.Reference == "" {
		p.Reference = newReference()
	}
	secret, secretHash := newClientSecret()
	n := newOrder{Order: Order{ID: uuid.Must(uuid.NewV7()), Reference: p.Reference, Description: p.Description,
		Amount: p.Amount, Taxes: p.Taxes, Details: p.Details, Buyer: p.Buyer, Items: p.Items, ReturnURL: p.ReturnURL, Site: site},
		secretHash: secretHash, requestKey: requestKey(ctx)}
	var o Order
	err = s.store.inTx(ctx, func(tx pgx.Tx) error {
		if n.requestKey != nil {
			// The same request again, its first answer lost: that order, with a new client
			// secret (the first one was only ever in the lost answer).
			again, ok, err := s.store.reissuedOrder(ctx, tx, n.requestKey, secretHash)
			if err != nil || ok {
				o = again
				return err
			}
		}
		var err error
		o, err = s.store.insertOrder(ctx, tx, n)
		return err
	})
	if err != nil {
		return Order{}, "", wrap("create", n.ID, err)
	}
	return o, secret, nil
}

// Get returns the order with its sessions and payments.
func (s *Service) Get(ctx context.Context, id uuid.UUID) (Order, error) {
	o, err := s.store.orderView(ctx, id)
	if err != nil {
		return Order{}, wrap("get", id, err)
	}
	return o, nil
}

// GetWithClientSecret returns the order with its sessions and payments, as Get does, when
// secret is its client secret; the secrets are compared by hash in constant time.
func (s *Service) GetWithClientSecret(ctx context.Context, id uuid.UUID, secret string) (Order, error) {
	o, err := s.StatusWithClientSecret(ctx, id, secret)
	if err != nil {
		return Order{}, err
	}
	if o.Payments, err = s.store.payments(ctx, s.store.pool, id); err != nil {
		return Order{}, wrap("get", id, fmt.Errorf("payments: %w", err))
	}
	return o, nil
}

// StatusWithClientSecret is GetWithClientSecret without the payments (Order.Payments is
// nil): what a shopper's page polls for, the order's status and its sessions, in two
// queries instead of three.
func (s *Service) StatusWithClientSecret(ctx context.Context, id uuid.UUID, secret string) (Order, error) {
	o, hash, err := s.store.orderWithSecret(ctx, id)
	if err != nil {
		return Order{}, wrap("get", id, err)
	}
	if subtle.ConstantTimeCompare(HashClientSecret(secret), hash) != 1 {
		return Order{}, Errorf(EUnauthorized, "the client secret does not match this order")
	}
	if err := s.store.withSessions(ctx, &o); err != nil {
		return Order{}, wrap("get", id, err)
	}
	return o, nil
}

// Status returns the order with its sessions, without its payments (Order.Payments is nil).
func (s *Service) Status(ctx context.Context, id uuid.UUID) (Order, error) {
	o, err := s.store.order(ctx, id)
	if err != nil {
		return Order{}, wrap("get", id, err)
	}
	if err := s.store.withSessions(ctx, &o); err != nil {
		return Order{}, wrap("get", id, err)
	}
	return o, nil
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
	page := orderPage{rows: p.Limit + 1}
	if p.Status != "" {
		if !p.Status.Valid() {
			return nil, "", invalidField("status", "%q is not an order status", p.Status)
		}
		page.status = p.Status
	}
	if p.Cursor != "" {
		t, id, err := decodeCursor(p.Cursor)
		if err != nil {
			return nil, "", invalidField("cursor", "is not a cursor this API returned")
		}
		page.beforeCreated, page.beforeID = &t, &id
	}
	out, err := s.store.listOrders(ctx, page)
	if err != nil {
		return nil, "", fmt.Errorf("orders: list: %w", err)
	}
	next := ""
	if len(out) > p.Limit {
		out = out[:p.Limit]
		last := out[len(out)-1]
		next = encodeCursor(last.CreatedAt, last.ID)
	}
	return out, next, nil
}

// Cancel cancels an order that has no session: with the money path, Checkouts.Cancel also
// cancels the open session first.
func (s *Service) Cancel(ctx context.Context, id uuid.UUID) (Order, error) {
	err := s.store.inTx(ctx, func(tx pgx.Tx) error {
		o, err := s.store.lockOrder(ctx, tx, id)
		if err != nil {
			return err
		}
		before := auditState(o)
		if err := s.store.record(ctx, tx, &o, Change{To: StatusCancelled, Reason: "cancelled by the merchant"}); err != nil {
			return err
		}
		return audit(ctx, tx, AuditChange{OrderID: o.ID, Before: before, After: auditState(o)})
	})
	if err != nil {
		return Order{}, wrap("cancel", id, err)
	}
	return s.Get(ctx, id)
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
