package orders_test

import (
	"time"

	"go.uber.org/zap"

	"github.com/placetopay-gateway/gateway/internal/orders"
)

// moneyPath is the money path wired as cmd/gateway wires it, on a private registry.
type moneyPath struct {
	store         *orders.Store
	reconciler    *orders.Reconciler
	checkouts     *orders.Checkouts
	actions       *orders.Actions
	notifications *orders.Notifications
	prober        *orders.Prober
}

// testConfig is the money path's configuration in these tests; edit changes it.
func testConfig(edit ...func(*orders.Config)) orders.Config {
	cfg := orders.Config{PublicURL: "http://gw.test", ProbeInterval: time.Minute}
	for _, e := range edit {
		e(&cfg)
	}
	return cfg
}

func wire(store *orders.Store, provider orders.Provider, cfg orders.Config) moneyPath {
	log, metrics, waker := zap.NewNop(), orders.NewMetrics(nil), orders.NewWaker()
	m := moneyPath{store: store, reconciler: orders.NewReconciler(store, provider, nil, cfg, log, metrics)}
	m.checkouts = orders.NewCheckouts(store, provider, m.reconciler, waker, cfg, log)
	m.actions = orders.NewActions(store, provider, m.reconciler, waker, cfg, log, metrics)
	m.notifications = orders.NewNotifications(store, waker, log)
	m.prober = orders.NewProber(store, m.reconciler, waker, cfg, log, metrics, m.actions.Sweep)
	return m
}
