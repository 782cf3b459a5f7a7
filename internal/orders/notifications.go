package orders

import (
	"context"
	"fmt"

	"go.uber.org/zap"
)

// Notifications take PlacetoPay's verified notifications in. A notification never decides
// anything by itself: a checkout notification makes its session due for the prober's query,
// and a recurring charge, which PlacetoPay offers no query for, is recorded without moving
// the order (recurring.go).
type Notifications struct {
	store *Store
	waker *Waker
	log   *zap.Logger
}

// NewNotifications returns the notification intake on store; waker hears of every new one.
func NewNotifications(store *Store, waker *Waker, log *zap.Logger) *Notifications {
	if store == nil || waker == nil || log == nil {
		panic("orders: NewNotifications needs a store, a waker and a logger")
	}
	return &Notifications{store: store, waker: waker, log: log}
}

// Notification is a verified PlacetoPay notification as the inbox stores it.
type Notification struct {
	Kind              string // checkout or recurring
	RequestID         int64
	InternalReference int64
	Reference         string
	Status            ProviderStatus
	Algorithm         string // sha1 or sha256
	DedupeKey         []byte
	Body              []byte
}

// AcceptNotification stores a verified notification raw and, in the same statement, makes
// its session due for a check; the query decides, never the body. duplicate reports a
// notification seen before.
func (n *Notifications) AcceptNotification(ctx context.Context, note Notification) (duplicate bool, err error) {
	inserted, err := n.store.acceptNotification(ctx, note)
	if err != nil {
		return false, fmt.Errorf("orders: accept notification: %w", err)
	}
	n.waker.Wake()
	return !inserted, nil
}
