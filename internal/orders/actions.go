package orders

import (
	"context"
	"time"

	"go.uber.org/zap"
)

// Actions act on an order's transactions at PlacetoPay: refunds (refund.go), a
// preauthorization's capture, reauthorization and release (preauth.go), and the
// confirmation of a payment awaiting it (confirm.go). Each action is written under the
// order's lock before PlacetoPay is called and settled once after; one whose answer is lost
// is never sent again, but resolved from the session query.
type Actions struct {
	store      *Store
	provider   Provider
	reconciler *Reconciler
	waker      *Waker
	cfg        Config
	log        *zap.Logger
	metrics    *Metrics
}

// NewActions returns the transaction actions on store and provider.
func NewActions(store *Store, provider Provider, reconciler *Reconciler, waker *Waker, cfg Config, log *zap.Logger, metrics *Metrics) *Actions {
	if store == nil || provider == nil || reconciler == nil || waker == nil || log == nil || metrics == nil {
		panic("orders: NewActions needs a store, a provider, a reconciler, a waker, a logger and metrics")
	}
	return &Actions{store: store, provider: provider, reconciler: reconciler, waker: waker, cfg: cfg.withDefaults(), log: log, metrics: metrics}
}

// Sweep does the actions' background work, on every round of the prober: it makes the
// actions a stopped process left requested unknown (recovery.go), resolves the unknown ones
// with session queries, warns of confirmation windows about to close, and makes the refund
// checks that are due (refund_checks.go). It returns how many things it looked at.
func (a *Actions) Sweep(ctx context.Context) int {
	return a.RecoverRequested(ctx) + a.ResolveUnknownRefunds(ctx) + a.ResolveUnknownPreauthActions(ctx) +
		a.ResolveUnknownConfirmActions(ctx) + a.WarnConfirmationDeadlines(ctx) + a.CheckRefunds(ctx)
}

// afterCall is the context in which PlacetoPay's answer to an action is recorded: detached
// from the caller, who may hang up once the call is made, and bounded.
func afterCall(ctx context.Context, timeout time.Duration) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), timeout)
}
