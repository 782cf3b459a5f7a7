package main

import (
	"fmt"
	"io"
	"slices"
	"sort"
	"time"
)

// checkOrder is the order the checks are printed in.
var checkOrder = []string{
	checkApproved, checkNoFake, checkOnePaid, checkAcked, checkForged,
	checkRefundsMade, checkRefundsRecorded, checkRefundedAmounts, checkCaptures, checkCapturedPaid, checkAskedOnce,
}

func (r *result) print(w io.Writer, payments []*payment) {
	plans, errs, example := map[string]int{}, map[string]int{}, map[string]string{}
	made, gaveUp := 0, 0
	var took []time.Duration
	for _, p := range payments {
		plans[p.label]++
		if p.err != "" {
			gaveUp++
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
	say(w, "payments made at the sandbox: %d; flows that gave up: %d (%s)", made, gaveUp, counts(errs))
	for kind, body := range example {
		say(w, "  e.g. %s: %s", kind, body)
	}
	if len(took) > 0 {
		slices.Sort(took)
		say(w, "time per payment (create, checkout, pay, then its refunds or capture; retries included): p50 %s, p99 %s, max %s",
			took[len(took)/2].Round(time.Millisecond), took[len(took)*99/100].Round(time.Millisecond), took[len(took)-1].Round(time.Millisecond))
	}
	pgChaos := "Postgres crashes: 1"
	if r.failover != nil {
		pgChaos = "Postgres failovers: 1"
	}
	say(w, "replica kills: %d (%d aimed at a refund or capture); %s", r.kills, r.aimed, pgChaos)
	say(w, "transaction actions PlacetoPay held: %d; their replica died while held: %d before PlacetoPay was asked, %d after it answered",
		r.slow.Held, r.slow.GoneBefore, r.slow.GoneAfter)
	say(w, "sandbox approved: %d payments and %d holds", r.approved, r.holds)
	r.refunds.print(w, "refunds")
	r.captures.print(w, "captures")
	if len(r.forPerson) > 0 {
		sort.Strings(r.forPerson)
		say(w, "actions left unknown for a person (no session query shows a partial refund, or a capture that did not happen): %d", len(r.forPerson))
		for _, s := range r.forPerson {
			say(w, "  %s", s)
		}
	}
	say(w, "sandbox notifications: %d (dropped %d, duplicated %d, forged %d: %d accepted)",
		r.notifications.total, r.notifications.dropped, r.notifications.duplicated, r.notifications.forged, r.notifications.forgedAccepted)
	byRun := map[string]int{}
	for code, n := range r.forgedByRun {
		byRun["HTTP "+fmt.Sprint(code)] = n
	}
	say(w, "forged approvals posted by the run: %s; forged notifications stored: %d", counts(byRun), r.forgedStored)
	say(w, "orders by status: %s", counts(r.statuses))
	say(w, "not approved and still pending (session open, a declined card does not end it): %d", r.pendingDenied)
	say(w, "settle time after the last payment: %.1f s", r.settling.Seconds())
	for _, c := range checkOrder {
		v, waiting := r.checks[c], r.waiting[c]
		if len(v) == 0 && len(waiting) == 0 {
			say(w, "ok    %s", c)
			continue
		}
		say(w, "FAIL  %s: %d violation(s), %d not settled", c, len(v), len(waiting))
		if len(waiting) > 0 {
			sort.Strings(waiting)
			v = append(v, "not settled: "+list(waiting, 20))
		}
		for i, m := range v {
			if i == 20 {
				say(w, "        ... and %d more", len(v)-20)
				break
			}
			say(w, "        %s", m)
		}
	}
	if r.outage != nil {
		r.outage.print(w)
	}
	if r.failover != nil {
		r.failover.print(w)
	}
	if r.passed() {
		say(w, "PASS")
	} else {
		say(w, "FAIL")
	}
}

func (c actionCounts) print(w io.Writer, kind string) {
	say(w, "%s asked: %d (%d of a replica killed meanwhile); answered: %s", kind, c.asked, c.aimed, counts(c.answers))
	say(w, "%s made at the sandbox: %d; in the ledger: %s; the gateway stopped during %d, taken over by its recovery; %d settled by a session query",
		kind, c.made, counts(c.ledger), c.crashed, c.recovered)
}

func list(items []string, most int) string {
	s := ""
	for i, it := range items {
		if i == most {
			return s + fmt.Sprintf(", ... and %d more", len(items)-most)
		}
		if i > 0 {
			s += ", "
		}
		s += it
	}
	return s
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
