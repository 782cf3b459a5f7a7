package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/placetopay-gateway/gateway/internal/placetopay/sandbox"
)

// result is what the database and the sandbox say after the run.
type result struct {
	approved      int            // payments the sandbox approved
	statuses      map[string]int // orders by status
	unsettled     int            // approved payments whose order is not (yet) paid or in review
	unsettledRefs []string
	pendingDenied int // not approved, order still pending: its session is still open
	paidChecked   int // paid orders whose order.paid events were counted
	notifications struct{ total, dropped, duplicated, forged, forgedAccepted int }
	forgedByRun   map[int]int // HTTP answers to the run's own forgeries
	forgedStored  int
	kills         int64
	checks        map[string][]string // check name -> violations
	violations    []string
}

const (
	checkApproved = "every approved payment's order is paid (review where the amount was changed)"
	checkNoFake   = "no order is paid (or in review) that the sandbox did not approve"
	checkOnePaid  = "each paid order has exactly one order.paid event and one transition to paid"
	checkForged   = "no forged notification was accepted or stored"
)

func (r *result) violate(check, format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	r.checks[check] = append(r.checks[check], msg)
	r.violations = append(r.violations, msg)
}

// settled is true when every approval is reflected. A declined card does not end a
// PlacetoPay session (the shopper may try again), so declined orders stay pending until their
// session expires; they are counted, not waited for.
func (r *result) settled() bool { return r.unsettled == 0 && len(r.violations) == 0 }

type orderRow struct {
	id, reference, status       string
	paidEvents, paidTransitions int
}

func check(ctx context.Context, db *pgxpool.Pool, control sandbox.Control, payments []*payment, forged *forgeries) (*result, error) {
	r := &result{statuses: map[string]int{}, checks: map[string][]string{}}
	approvals, err := control.Approvals(ctx)
	if err != nil {
		return nil, err
	}
	notes, err := control.Notifications(ctx)
	if err != nil {
		return nil, err
	}
	rows, err := db.Query(ctx, `
		SELECT o.id::text, o.reference, o.status,
		  (SELECT count(*) FROM events e WHERE e.order_id = o.id AND e.type = 'order.paid'),
		  (SELECT count(*) FROM order_timeline t WHERE t.order_id = o.id AND t.kind = 'transition' AND t.to_status = 'paid')
		FROM orders o`)
	if err != nil {
		return nil, err
	}
	orders := map[string]orderRow{}
	for rows.Next() {
		var o orderRow
		if err := rows.Scan(&o.id, &o.reference, &o.status, &o.paidEvents, &o.paidTransitions); err != nil {
			rows.Close()
			return nil, err
		}
		orders[o.reference] = o
		r.statuses[o.status]++
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	stored := map[string]bool{}
	bodies, err := db.Query(ctx, `SELECT body FROM notifications`)
	if err != nil {
		return nil, err
	}
	for bodies.Next() {
		var b []byte
		if err := bodies.Scan(&b); err != nil {
			bodies.Close()
			return nil, err
		}
		stored[signatureOf(b)] = true
	}
	bodies.Close()
	if err := bodies.Err(); err != nil {
		return nil, err
	}

	approved := map[string]bool{}
	for _, a := range approvals {
		approved[a.Reference] = true
		if _, ok := orders[a.Reference]; !ok {
			r.violate(checkApproved, "the sandbox approved %s (request %d) but the gateway has no such order", a.Reference, a.RequestID)
		}
	}
	r.approved = len(approvals)
	mine := map[string]*payment{}
	for _, p := range payments {
		mine[p.reference] = p
	}

	for ref, o := range orders {
		p := mine[ref]
		switch {
		case approved[ref] && p != nil && p.mismatch:
			if o.status == "paid" {
				r.violate(checkApproved, "%s: amount changed after checkout, yet the order is paid", ref)
			} else if o.status != "review" {
				r.unsettled++
				r.unsettledRefs = append(r.unsettledRefs, ref+" ("+o.status+", want review)")
			}
		case approved[ref]:
			if o.status != "paid" {
				r.unsettled++
				r.unsettledRefs = append(r.unsettledRefs, ref+" ("+o.status+")")
			}
		case o.status == "paid" || o.status == "review" || o.status == "partially_paid" || o.status == "authorized":
			r.violate(checkNoFake, "%s: order is %s but the sandbox approved no payment of it", ref, o.status)
		case p != nil && p.paid && o.status != "failed":
			r.pendingDenied++
		}
		if o.status == "paid" {
			r.paidChecked++
			if o.paidEvents != 1 || o.paidTransitions != 1 {
				r.violate(checkOnePaid, "%s: paid with %d order.paid event(s) and %d transition(s) to paid", ref, o.paidEvents, o.paidTransitions)
			}
		} else if o.paidEvents != 0 {
			r.violate(checkOnePaid, "%s: %s with %d order.paid event(s)", ref, o.status, o.paidEvents)
		}
	}

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
	forged.mu.Unlock()
	return r, nil
}

func signatureOf(body []byte) string {
	var n struct {
		Signature string `json:"signature"`
	}
	_ = json.Unmarshal(body, &n)
	return n.Signature
}

func (r *result) print(w io.Writer, payments []*payment) {
	plans, errs, example := map[string]int{}, map[string]int{}, map[string]string{}
	made := 0
	var took []time.Duration
	for _, p := range payments {
		plans[p.label]++
		if p.err != "" {
			errs[p.err]++
			example[p.err] = p.errBody
		}
		if p.took > 0 {
			took = append(took, p.took)
		}
		if p.paid {
			made++
		}
	}
	say(w, "payments planned: %d (%s)", len(payments), counts(plans))
	say(w, "payments made at the sandbox: %d; flows that gave up: %d (%s)", made, len(payments)-made, counts(errs))
	for kind, body := range example {
		say(w, "  e.g. %s: %s", kind, body)
	}
	if len(took) > 0 {
		slices.Sort(took)
		say(w, "time per payment (create, checkout, pay; retries included): p50 %s, p99 %s, max %s",
			took[len(took)/2].Round(time.Millisecond), took[len(took)*99/100].Round(time.Millisecond), took[len(took)-1].Round(time.Millisecond))
	}
	say(w, "replica kills: %d; Postgres crashes: 1", r.kills)
	say(w, "sandbox approved: %d payments", r.approved)
	say(w, "sandbox notifications: %d (dropped %d, duplicated %d, forged %d: %d accepted)",
		r.notifications.total, r.notifications.dropped, r.notifications.duplicated, r.notifications.forged, r.notifications.forgedAccepted)
	byRun := map[string]int{}
	for code, n := range r.forgedByRun {
		byRun["HTTP "+fmt.Sprint(code)] = n
	}
	say(w, "forged approvals posted by the run: %s; forged notifications stored: %d", counts(byRun), r.forgedStored)
	say(w, "orders by status: %s", counts(r.statuses))
	say(w, "approved payments not reflected: %d; not approved and still pending (session open, a declined card does not end it): %d", r.unsettled, r.pendingDenied)
	for _, c := range []string{checkApproved, checkNoFake, checkOnePaid, checkForged} {
		v := r.checks[c]
		if c == checkApproved && r.unsettled > 0 {
			sort.Strings(r.unsettledRefs)
			v = append(v, fmt.Sprintf("%d approved payment(s) whose order is not paid (or in review): %s",
				r.unsettled, strings.Join(r.unsettledRefs[:min(len(r.unsettledRefs), 20)], ", ")))
		}
		if len(v) == 0 {
			say(w, "ok    %s", c)
			continue
		}
		say(w, "FAIL  %s: %d violation(s)", c, len(v))
		for i, m := range v {
			if i == 20 {
				say(w, "        ... and %d more", len(v)-20)
				break
			}
			say(w, "        %s", m)
		}
	}
	if len(r.violations) == 0 && r.unsettled == 0 {
		say(w, "PASS")
	} else {
		say(w, "FAIL")
	}
}

func counts(m map[string]int) string {
	if len(m) == 0 {
		return "none"
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	s := ""
	for i, k := range keys {
		if i > 0 {
			s += ", "
		}
		s += fmt.Sprintf("%s %d", k, m[k])
	}
	return s
}
