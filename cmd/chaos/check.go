package main

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/placetopay-gateway/gateway/internal/loadtest"
	"github.com/placetopay-gateway/gateway/internal/placetopay/sandbox"
)

// result is what the database and the sandbox say after the run.
type result struct {
	outage        *outageResult   // the -outage checks; nil without one
	failover      *failoverResult // the -failover checks; nil without one
	approved      int             // payments the sandbox approved
	holds         int             // preauthorizations it approved
	statuses      map[string]int  // orders by status
	pendingDenied int             // not approved, order still pending: its session is still open
	paidChecked   int             // paid orders whose order.paid events were counted
	notifications struct{ total, dropped, duplicated, forged, forgedAccepted int }
	forgedByRun   map[int]int // HTTP answers to the run's own forgeries
	forgedStored  int
	refunds       actionCounts
	captures      actionCounts
	// forPerson are the actions left unknown that no session query shows: a refund of part of
	// a payment, a capture that did not happen. The gateway leaves them to a person, as
	// documented; they are listed with what the sandbox did.
	forPerson []string
	kills     int64
	aimed     int64
	slow      loadtest.ActionCounts
	settling  time.Duration
	// checks holds each check's violations; waiting what the gateways have yet to settle for
	// it. After the settle time, both fail the run.
	checks     map[string][]string
	waiting    map[string][]string
	violations int
	// lostOrders and lostSessions are orders and checkouts a gateway answered 201 for that
	// the database does not hold.
	lostOrders, lostSessions int
}

const (
	checkApproved = "every approved payment's order is paid (refunded as its refunds say; review where the amount was changed; authorized, or paid once captured, for a hold)"
	checkNoFake   = "no order is paid, authorized, refunded or in review that the sandbox did not approve"
	checkOnePaid  = "each paid (or refunded) order has exactly one order.paid event and one transition to paid"
	checkForged   = "no forged notification was accepted or stored"
	checkAcked    = "every order and checkout a gateway answered 201 for is in the database"
)

func (r *result) violate(check, format string, args ...any) {
	r.checks[check] = append(r.checks[check], fmt.Sprintf(format, args...))
	r.violations++
}

func (r *result) wait(check, format string, args ...any) {
	r.waiting[check] = append(r.waiting[check], fmt.Sprintf(format, args...))
}

// settled is true when everything the sandbox did is reflected. A declined card does not end
// a PlacetoPay session (the shopper may try again), so declined orders stay pending until
// their session expires; they are counted, not waited for.
func (r *result) settled() bool { return r.violations == 0 && len(r.waiting) == 0 }

func (r *result) passed() bool {
	return r.settled() && (r.outage == nil || r.outage.passed()) && (r.failover == nil || r.failover.passed())
}

func check(ctx context.Context, db *pgxpool.Pool, control sandbox.Control, payments []*payment, forged *forgeries) (*result, error) {
	r := &result{statuses: map[string]int{}, checks: map[string][]string{}, waiting: map[string][]string{}}
	sb, err := readSandbox(ctx, control)
	if err != nil {
		return nil, err
	}
	notes, err := control.Notifications(ctx)
	if err != nil {
		return nil, err
	}
	// The gateway's side in one snapshot, read after the sandbox's: every action the sandbox
	// made is in it, at least as requested (the gateway writes it before it calls).
	tx, err := db.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return nil, err
	}
	defer func() { _ = tx.Rollback(ctx) }()
	orders, err := readOrders(ctx, tx)
	if err != nil {
		return nil, err
	}
	ledger, err := readLedger(ctx, tx)
	if err != nil {
		return nil, err
	}
	stored, err := storedSignatures(ctx, tx)
	if err != nil {
		return nil, err
	}
	sessions, err := sessionRequests(ctx, tx)
	if err != nil {
		return nil, err
	}
	mine := map[string]*payment{}
	for _, p := range payments {
		mine[p.reference] = p
	}
	r.checkOrders(sb, orders, mine)
	r.checkAcked(orders, sessions, payments)
	r.checkActions(sb, orders, ledger, mine)
	r.checkNotifications(notes, stored, forged)
	return r, nil
}

// checkOrders compares each order's status with what the sandbox approved.
func (r *result) checkOrders(sb sandboxRecord, orders []orderRow, mine map[string]*payment) {
	byRef := map[string]orderRow{}
	for _, o := range orders {
		byRef[o.reference] = o
		r.statuses[o.status]++
	}
	for ref, kind := range sb.approved {
		if kind == "preauthorization" {
			r.holds++
		} else {
			r.approved++
		}
		if _, ok := byRef[ref]; !ok {
			r.violate(checkApproved, "the sandbox approved %s but the gateway has no such order", ref)
		}
	}
	captured := map[string]bool{}
	for _, list := range sb.captures {
		for _, c := range list {
			captured[c.Reference] = true
		}
	}
	for ref, o := range byRef {
		p := mine[ref]
		kind, approved := sb.approved[ref]
		switch {
		case approved && p != nil && p.mismatch:
			if o.status == "paid" {
				r.violate(checkApproved, "%s: amount changed after checkout, yet the order is paid", ref)
			} else if o.status != "review" {
				r.wait(checkApproved, "%s (%s, want review)", ref, o.status)
			}
		case approved:
			want := "authorized"
			if kind == "payment" || captured[ref] {
				want = paidStatus(o)
			}
			if o.status != want {
				r.wait(checkApproved, "%s (%s, want %s)", ref, o.status, want)
			}
		case o.status != "pending" && o.status != "failed" && o.status != "cancelled":
			r.violate(checkNoFake, "%s: order is %s but the sandbox approved no payment of it", ref, o.status)
		case p != nil && p.paid && o.status == "pending":
			r.pendingDenied++
		}
		if wasPaid(o.status) {
			r.paidChecked++
			if o.paidEvents != 1 || o.paidTransitions != 1 {
				r.violate(checkOnePaid, "%s: %s with %d order.paid event(s) and %d transition(s) to paid", ref, o.status, o.paidEvents, o.paidTransitions)
			}
		} else if o.paidEvents != 0 {
			r.violate(checkOnePaid, "%s: %s with %d order.paid event(s)", ref, o.status, o.paidEvents)
		}
	}
}

// checkAcked checks that what the gateways acknowledged is still there: each order created
// (201) and each checkout opened (201, with PlacetoPay's session), whatever became of Postgres.
func (r *result) checkAcked(orders []orderRow, sessions map[int64]bool, payments []*payment) {
	refs := map[string]bool{}
	for _, o := range orders {
		refs[o.reference] = true
	}
	for _, p := range payments {
		if p.orderID != "" && !refs[p.reference] {
			r.lostOrders++
			r.violate(checkAcked, "order %s was created (201) but the database has no such order", p.reference)
		}
		if p.requestID != 0 && !sessions[p.requestID] {
			r.lostSessions++
			r.violate(checkAcked, "checkout of %s was opened (201, session %d) but the database has no such session", p.reference, p.requestID)
		}
	}
}

// sessionRequests are the PlacetoPay sessions the database holds, by request id.
func sessionRequests(ctx context.Context, db querier) (map[int64]bool, error) {
	rows, _ := db.Query(ctx, `SELECT request_id FROM checkout_sessions WHERE request_id IS NOT NULL`)
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return nil, err
	}
	out := make(map[int64]bool, len(ids))
	for _, id := range ids {
		out[id] = true
	}
	return out, nil
}

// paidStatus is the status a paid order has with the refunds its ledger holds.
func paidStatus(o orderRow) string {
	switch {
	case o.refunded == 0:
		return "paid"
	case o.refunded >= o.paidMinor:
		return "refunded"
	}
	return "partially_refunded"
}

func wasPaid(status string) bool {
	return status == "paid" || status == "partially_refunded" || status == "refunded"
}

// checkNotifications checks that no forged notification, the sandbox's or the run's, was
// accepted or stored, and counts the faults.
func (r *result) checkNotifications(notes []sandbox.NotificationRecord, stored map[string]bool, forged *forgeries) {
	for _, n := range notes {
		r.notifications.total++
		for _, f := range n.Faults {
			switch f {
			case "dropped":
				r.notifications.dropped++
			case "duplicated":
				r.notifications.duplicated++
			case "corrupted":
				r.notifications.forged++
				for _, d := range n.Deliveries {
					if d.Status >= 200 && d.Status < 300 {
						r.notifications.forgedAccepted++
						r.violate(checkForged, "forged notification for request %d answered %d", n.RequestID, d.Status)
					}
				}
				if stored[signatureOf(n.Body)] {
					r.forgedStored++
					r.violate(checkForged, "forged notification for request %d was stored", n.RequestID)
				}
			}
		}
	}
	forged.mu.Lock()
	defer forged.mu.Unlock()
	r.forgedByRun = map[int]int{}
	for code, n := range forged.answers {
		r.forgedByRun[code] = n
		if code >= 200 && code < 300 {
			r.violate(checkForged, "%d forged approval(s) posted by the run were answered %d", n, code)
		}
	}
	for _, sig := range forged.signatures {
		if stored[sig] {
			r.forgedStored++
			r.violate(checkForged, "a forged approval posted by the run was stored")
		}
	}
}

// storedSignatures are the signatures of the notifications the gateways stored.
func storedSignatures(ctx context.Context, db querier) (map[string]bool, error) {
	rows, err := db.Query(ctx, `SELECT body FROM notifications`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	stored := map[string]bool{}
	for rows.Next() {
		var b []byte
		if err := rows.Scan(&b); err != nil {
			return nil, err
		}
		stored[signatureOf(b)] = true
	}
	return stored, rows.Err()
}

func signatureOf(body []byte) string {
	var n struct {
		Signature string `json:"signature"`
	}
	_ = json.Unmarshal(body, &n)
	return n.Signature
}
