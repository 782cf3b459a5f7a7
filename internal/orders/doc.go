// Package orders is the gateway's domain: orders, their PlacetoPay sessions and payments,
// and the money path that moves them.
//
// # The money rule
//
// An order becomes paid only from a query of its session made by the gateway itself, never
// from a notification body or a browser redirect: paid means PlacetoPay reports the session
// APPROVED and the approved, not refunded payments equal the order's amount, in its currency
// and for its reference. Any other approval puts the order in review, which only a person
// leaves. The decision is one pure function, decide (decide.go). Every status change is
// written with its timeline entry and its outbox event in one transaction, by one method,
// Store.record (store_record.go), under the order's row lock. Every call to PlacetoPay that
// can move money is written to the database before it is made, and an answer that is lost
// is resolved by querying, never by sending the call again.
//
// # Where things are
//
// The domain's types and rules, without a database:
//   - order.go, validate.go: Order, Session, Payment and the checks of a new order.
//   - kinds.go: session kinds, attempt states, PlacetoPay's statuses, action states.
//   - status.go: the order status machine; every allowed move, once.
//   - money.go: Money, int64 minor units and an ISO 4217 code, parsed exactly.
//   - decide.go: when an order is paid, partially paid, authorized, failed or in review.
//   - errors.go: the error vocabulary internal/http maps to HTTP.
//   - events.go: the event types beyond status changes (confirmation required, recurring
//     charge), and EventTypes, every type the order path writes.
//
// The money path, one part per job, each with its constructor (cmd/gateway wires them):
//   - Service (service.go): create, read and list orders.
//   - Checkouts (checkout.go, checkout_params.go, options.go, cancel.go): open a session for
//     an order, hand the open one out again, cancel an order with its session.
//   - Reconciler (reconcile.go, partial.go, instruments.go): query a session and apply the
//     answer; the only way an order is paid.
//   - Prober (probe.go, probe_unreadable.go): the durable queue of sessions due for a query,
//     and when each is due (schedule); Waker brings it forward. Queries that fail back off;
//     answers PlacetoPay keeps sending that cannot be read put the order in review.
//   - Actions (actions.go, refund*.go, preauth.go, confirm.go): refunds, a
//     preauthorization's capture, reauthorization and release, and confirmations.
//   - Notifications (notifications.go, recurring.go): PlacetoPay's verified notifications in.
//   - Wallet (wallet.go, charge.go): stored cards and charges of them.
//
// Storage: Store (store*.go) owns every SQL statement (the generated queries in ordersdb)
// and speaks domain types; rows.go converts the generated rows, in one place. What the
// domain needs from PlacetoPay is the Provider interface (provider.go), which
// internal/placetopay satisfies. metrics.go and collector.go are the Prometheus side.
package orders
