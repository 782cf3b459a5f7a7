package main

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/placetopay-gateway/gateway/internal/loadtest"
	"github.com/placetopay-gateway/gateway/internal/placetopay/sandbox"
)

// orderRow is an order as the gateway's database holds it.
type orderRow struct {
	id, reference, status           string
	totalMinor, paidMinor, refunded int64
	paidEvents, paidTransitions     int
}

// entry is one refund or preauthorization action of the gateway's ledger.
type entry struct {
	id, reference string // the action's id, its order's reference
	action        string // refund, capture, reauthorize or release
	payment       int64  // the internal reference of the payment (the hold) it acts on
	// paymentLeft is what a refund's payment has left to refund after the refunds that
	// succeeded: a query settles an unknown refund of all of it, not one of a part.
	paymentLeft int64
	minor       int64
	status      string // requested, succeeded, failed or unknown
	reversal    *int64 // PlacetoPay's transaction of a succeeded action, when the gateway knows it
	reason      string
	crashed     bool // the gateway stopped while PlacetoPay was asked: its recovery took it over
}

func (e entry) pending() bool { return e.status == "requested" || e.status == "unknown" }

// settleable reports whether a session query can settle the refund, were it unknown: not
// one of part of what its payment has left, which PlacetoPay's session does not show.
func (e entry) settleable() bool { return e.minor == e.paymentLeft }

func (e entry) String() string {
	return fmt.Sprintf("%s %s of %s (payment %d, action %s)", e.action, loadtest.Amount(e.minor), e.reference, e.payment, e.id)
}

// crashedNote finds the note the recovery writes when it takes over an action a stopped
// process left requested; it names the action.
const crashedNote = `EXISTS (SELECT 1 FROM order_timeline t WHERE t.order_id = a.order_id AND t.kind = 'note'
	AND t.reason = 'outcome_unknown' AND t.message LIKE '%' || a.id::text || '%')`

// querier runs a query: the pool, or a transaction that reads one snapshot.
type querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

func readOrders(ctx context.Context, db querier) ([]orderRow, error) {
	rows, _ := db.Query(ctx, `
		SELECT o.id::text, o.reference, o.status, o.total_minor, o.paid_minor, o.refunded_minor,
		  (SELECT count(*) FROM events e WHERE e.order_id = o.id AND e.type = 'order.paid'),
		  (SELECT count(*) FROM order_timeline t WHERE t.order_id = o.id AND t.kind = 'transition' AND t.to_status = 'paid')
		FROM orders o`)
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (orderRow, error) {
		var o orderRow
		err := row.Scan(&o.id, &o.reference, &o.status, &o.totalMinor, &o.paidMinor, &o.refunded, &o.paidEvents, &o.paidTransitions)
		return o, err
	})
}

// readLedger reads every refund and preauthorization action.
func readLedger(ctx context.Context, db querier) ([]entry, error) {
	rows, _ := db.Query(ctx, `
		SELECT a.id::text, o.reference, 'refund', p.internal_reference, p.amount_minor - p.refunded_minor,
		  a.amount_minor, a.status, a.internal_reference, coalesce(a.reason, ''), `+crashedNote+`
		FROM refunds a JOIN payments p ON p.id = a.payment_id JOIN orders o ON o.id = a.order_id
		UNION ALL
		SELECT a.id::text, o.reference, a.action, h.internal_reference, 0,
		  a.amount_minor, a.status, a.internal_reference, coalesce(a.reason, ''), `+crashedNote+`
		FROM preauth_actions a JOIN payments h ON h.id = a.payment_id JOIN orders o ON o.id = a.order_id`)
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (entry, error) {
		var e entry
		err := row.Scan(&e.id, &e.reference, &e.action, &e.payment, &e.paymentLeft, &e.minor, &e.status, &e.reversal, &e.reason, &e.crashed)
		return e, err
	})
}

// done is one transaction the sandbox made, amounts in minor units.
type done struct {
	sandbox.TransactionRecord
	minor int64
}

// sandboxRecord is the sandbox's own record, from one snapshot of its transactions.
type sandboxRecord struct {
	byRef     map[int64]done
	approved  map[string]string // order reference -> the kind of its approved payment or hold
	reversals map[int64][]done  // approved refunds, by the payment they refund
	captures  map[int64][]done  // approved captures, by their hold
	byOrder   map[string][]done // the approved refunds and captures, by order reference
}

func readSandbox(ctx context.Context, control sandbox.Control) (sandboxRecord, error) {
	list, err := control.Transactions(ctx)
	if err != nil {
		return sandboxRecord{}, err
	}
	return indexSandbox(list)
}

// indexSandbox indexes the sandbox's transactions by what the checks look them up by.
func indexSandbox(list []sandbox.TransactionRecord) (sandboxRecord, error) {
	sb := sandboxRecord{byRef: map[int64]done{}, approved: map[string]string{},
		reversals: map[int64][]done{}, captures: map[int64][]done{}, byOrder: map[string][]done{}}
	for _, t := range list {
		minor, err := t.Amount.Total.Minor(2)
		if err != nil {
			return sb, fmt.Errorf("sandbox transaction %d: %w", t.InternalReference, err)
		}
		d := done{TransactionRecord: t, minor: minor}
		sb.byRef[t.InternalReference] = d
		if t.Status.Status != "APPROVED" {
			continue
		}
		switch t.Kind {
		case "payment", "preauthorization":
			sb.approved[t.Reference] = t.Kind
		case "reversal":
			sb.reversals[t.ParentReference] = append(sb.reversals[t.ParentReference], d)
			sb.byOrder[t.Reference] = append(sb.byOrder[t.Reference], d)
		case "capture":
			sb.captures[t.ParentReference] = append(sb.captures[t.ParentReference], d)
			sb.byOrder[t.Reference] = append(sb.byOrder[t.Reference], d)
		}
	}
	return sb, nil
}

func sum(list []done) int64 {
	var n int64
	for _, d := range list {
		n += d.minor
	}
	return n
}
