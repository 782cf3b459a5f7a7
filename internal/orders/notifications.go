package orders

import (
	"context"
	"errors"
	"fmt"
	"time"

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
	Date              time.Time // the notification's status.date
	Algorithm         string    // sha1 or sha256
	DedupeKey         []byte
	Body              []byte
	// Site is the site whose endpoint received it, verified with that site's secret.
	Site string
}

// ErrOtherSite is a notification about a session of another site than the one whose endpoint
// received it: signed with this site's secret, yet naming a session this site never opened.
var ErrOtherSite = errors.New("orders: the notification names a session of another site")

// AcceptNotification stores a verified notification raw and, in the same statement, makes
// its session due for a check, unless it was checked since the notification's date; the
// query decides, never the body. A notification naming a session of another site than
// note.Site is ErrOtherSite, with nothing stored. duplicate reports a notification seen before, which is
// only counted.
func (n *Notifications) AcceptNotification(ctx context.Context, note Notification) (duplicate bool, err error) {
	inserted, otherSite, err := n.store.acceptNotification(ctx, note)
	if err != nil {
		return false, fmt.Errorf("orders: accept notification: %w", err)
	}
	if otherSite {
		return false, ErrOtherSite
	}
	n.waker.Wake()
	return !inserted, nil
}
