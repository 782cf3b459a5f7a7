package main

import (
	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"

	"github.com/placetopay-gateway/gateway/internal/orders"
)

// moneyPath is the orders domain's money path, wired: every part on one store, the
// PlacetoPay sites and one set of metrics.
type moneyPath struct {
	reconciler    *orders.Reconciler
	checkouts     *orders.Checkouts
	actions       *orders.Actions
	notifications *orders.Notifications
	prober        *orders.Prober
	wallet        *orders.Wallet
}

func wireMoneyPath(store *orders.Store, provider *orders.Sites, sealer orders.Sealer, cfg orders.Config, log *zap.Logger, reg prometheus.Registerer) moneyPath {
	metrics := orders.NewMetrics(reg)
	waker := orders.NewWaker()
	log = log.Named("payments")
	m := moneyPath{reconciler: orders.NewReconciler(store, provider, sealer, cfg, log, metrics)}
	m.checkouts = orders.NewCheckouts(store, provider, m.reconciler, waker, cfg, log)
	m.actions = orders.NewActions(store, provider, m.reconciler, waker, cfg, log, metrics)
	m.notifications = orders.NewNotifications(store, waker, log)
	m.prober = orders.NewProber(store, m.reconciler, waker, cfg, log, metrics, m.actions.Sweep)
	m.wallet = orders.NewWallet(store, m.reconciler, provider, sealer, cfg, log.Named("wallet"))
	return m
}
