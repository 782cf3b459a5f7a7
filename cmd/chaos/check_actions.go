package main

import (
	"github.com/placetopay-gateway/gateway/internal/loadtest"
)

const (
	checkRefundsMade     = "every refund the gateway recorded as succeeded was made at the sandbox, once, for that amount"
	checkRefundsRecorded = "every refund the sandbox made is in the gateway's ledger as succeeded, none left unknown that a query can settle"
	checkRefundedAmounts = "each order's refunded amount is the sum of its succeeded refunds and no more than was paid"
	checkCaptures        = "every capture recorded matches one capture of its hold at the sandbox, amount included, and every sandbox capture is recorded"
	checkCapturedPaid    = "every captured order is paid, with paidAmount and amount the captured amount"
	checkAskedOnce       = "the sandbox made no refund or capture the run did not ask for: no retry asked twice"
)

// actionCounts count one kind of action, refund or capture, from every side.
type actionCounts struct {
	asked     int
	aimed     int            // asked of a replica killed while it was asked
	answers   map[string]int // what the run was answered
	made      int            // done at the sandbox
	ledger    map[string]int // in the gateway's ledger, by status
	crashed   int            // taken over by the recovery: the gateway stopped while PlacetoPay was asked
	recovered int            // settled by a session query
}

func (r *result) counts(kind string) *actionCounts {
	c := &r.captures
	if kind == "refund" {
		c = &r.refunds
	}
	if c.answers == nil {
		c.answers, c.ledger = map[string]int{}, map[string]int{}
	}
	return c
}

// checkActions compares the gateway's ledger of refunds and captures with what the sandbox
// did and what the run asked.
func (r *result) checkActions(sb sandboxRecord, orders []orderRow, ledger []entry, mine map[string]*payment) {
	for _, p := range mine {
		for _, a := range p.actions {
			c := r.counts(a.kind)
			c.asked++
			c.answers[a.answer]++
			if a.aimed {
				c.aimed++
			}
		}
	}
	r.counts("refund").made = countAll(sb.reversals)
	r.counts("capture").made = countAll(sb.captures)
	refunds, holds := map[int64][]entry{}, map[int64][]entry{}
	for _, e := range ledger {
		if e.action == "refund" {
			refunds[e.payment] = append(refunds[e.payment], e)
		} else {
			holds[e.payment] = append(holds[e.payment], e)
		}
		c := r.counts(e.action)
		c.ledger[e.status]++
		if e.crashed {
			c.crashed++
		}
		if e.reason == "resolved_by_query" {
			c.recovered++
		}
	}
	for pay := range union(refunds, sb.reversals) {
		r.checkRefunds(sb, pay, refunds[pay])
	}
	for hold := range union(holds, sb.captures) {
		r.checkCaptures(sb, hold, holds[hold])
	}
	r.checkOrderAmounts(sb, orders, ledger)
	r.checkAsked(sb, mine)
}

// checkRefunds compares the refunds of one payment.
func (r *result) checkRefunds(sb sandboxRecord, pay int64, list []entry) {
	succeeded, pending := split(list)
	made := sb.reversals[pay]
	for _, e := range succeeded {
		if e.reversal == nil {
			continue // settled by a query, which does not name the reversal
		}
		if d, ok := sb.byRef[*e.reversal]; !ok || d.Kind != "reversal" || d.ParentReference != pay || d.minor != e.minor {
			r.violate(checkRefundsMade, "%s: recorded as PlacetoPay's refund %d, which the sandbox did not make of that payment for that amount", e, *e.reversal)
		}
	}
	n, total := len(succeeded), sumEntries(succeeded)
	if pending != nil && pending.settleable() {
		r.wait(checkRefundsRecorded, "%s is still %s", *pending, pending.status)
		return
	}
	if pending != nil {
		// Either PlacetoPay made it or it did not; the gateway cannot tell, and says so.
		did := len(made) == n+1 && sum(made) == total+pending.minor
		if !did && (len(made) != n || sum(made) != total) {
			r.violate(checkRefundsMade, "payment %d of %s: the ledger holds %d refund(s) for %s and %s, the sandbox made %d for %s",
				pay, pending.reference, n, loadtest.Amount(total), *pending, len(made), loadtest.Amount(sum(made)))
			return
		}
		truth := "did not make it"
		if did {
			truth = "made it"
		}
		r.forPerson = append(r.forPerson, pending.String()+" is "+pending.status+"; the sandbox "+truth)
		return
	}
	ref := ""
	if len(list) > 0 {
		ref = list[0].reference
	} else if len(made) > 0 {
		ref = made[0].Reference
	}
	switch {
	case len(made) < n || sum(made) < total:
		r.violate(checkRefundsMade, "payment %d of %s: the ledger holds %d succeeded refund(s) for %s, the sandbox made %d for %s",
			pay, ref, n, loadtest.Amount(total), len(made), loadtest.Amount(sum(made)))
	case len(made) > n || sum(made) > total:
		r.violate(checkRefundsRecorded, "payment %d of %s: the sandbox made %d refund(s) for %s, the ledger holds %d succeeded for %s",
			pay, ref, len(made), loadtest.Amount(sum(made)), n, loadtest.Amount(total))
	}
}

// checkCaptures compares the preauthorization actions on one hold.
func (r *result) checkCaptures(sb sandboxRecord, hold int64, list []entry) {
	succeeded, pending := split(list)
	var captures []entry
	for _, e := range succeeded {
		if e.action == "capture" {
			captures = append(captures, e)
		}
	}
	made := sb.captures[hold]
	// The session query lists a capture that happened, so the gateway must settle it; one
	// that did not happen it leaves to a person, as it does whatever the query does not show.
	switch {
	case pending != nil && (pending.action != "capture" || len(made) > len(captures)):
		r.wait(checkCaptures, "%s is still %s", *pending, pending.status)
		return
	case pending != nil && len(made) == len(captures):
		r.forPerson = append(r.forPerson, pending.String()+" is "+pending.status+"; the sandbox did not make it")
	}
	for _, e := range captures {
		if e.reversal == nil {
			continue
		}
		if d, ok := sb.byRef[*e.reversal]; !ok || d.Kind != "capture" || d.ParentReference != hold || d.minor != e.minor {
			r.violate(checkCaptures, "%s: recorded as PlacetoPay's capture %d, which the sandbox did not make of that hold for that amount", e, *e.reversal)
		}
	}
	if len(made) != len(captures) || sum(made) != sumEntries(captures) {
		ref := ""
		if len(list) > 0 {
			ref = list[0].reference
		} else if len(made) > 0 {
			ref = made[0].Reference
		}
		r.violate(checkCaptures, "hold %d of %s: the ledger holds %d succeeded capture(s) for %s, the sandbox made %d for %s",
			hold, ref, len(captures), loadtest.Amount(sumEntries(captures)), len(made), loadtest.Amount(sum(made)))
	}
}

// checkOrderAmounts checks each order's refunded and paid amounts against its ledger and
// the sandbox's captures.
func (r *result) checkOrderAmounts(sb sandboxRecord, orders []orderRow, ledger []entry) {
	refunded, capturing := map[string]int64{}, map[string]bool{}
	for _, e := range ledger {
		switch {
		case e.action == "refund" && e.status == "succeeded":
			refunded[e.reference] += e.minor
		case e.action == "capture" && e.pending():
			capturing[e.reference] = true
		}
	}
	for _, o := range orders {
		if o.refunded > o.paidMinor || o.refunded != refunded[o.reference] {
			r.violate(checkRefundedAmounts, "%s: paid %s, refunded %s; its succeeded refunds add up to %s",
				o.reference, loadtest.Amount(o.paidMinor), loadtest.Amount(o.refunded), loadtest.Amount(refunded[o.reference]))
		}
		for _, d := range sb.byOrder[o.reference] {
			if d.Kind != "capture" || capturing[o.reference] {
				continue
			}
			if !wasPaid(o.status) || o.paidMinor != d.minor || o.totalMinor != d.minor {
				r.violate(checkCapturedPaid, "%s: %s, paid %s of an order of %s; the sandbox captured %s",
					o.reference, o.status, loadtest.Amount(o.paidMinor), loadtest.Amount(o.totalMinor), loadtest.Amount(d.minor))
			}
		}
	}
}

// checkAsked checks that the sandbox made no more refunds and captures of an order than the
// run asked for, and captured what it asked.
func (r *result) checkAsked(sb sandboxRecord, mine map[string]*payment) {
	for ref, list := range sb.byOrder {
		p := mine[ref]
		if p == nil {
			r.violate(checkAskedOnce, "%s: the sandbox refunded or captured an order the run did not make", ref)
			continue
		}
		asked := map[string][]action{}
		for _, a := range p.actions {
			asked[a.kind] = append(asked[a.kind], a)
		}
		made := map[string]int{}
		for _, d := range list {
			kind := "refund"
			if d.Kind == "capture" {
				kind = "capture"
				want := p.minor * int64(p.capture) / 100
				if d.minor != want {
					r.violate(checkAskedOnce, "%s: the sandbox captured %s, the run asked for %s", ref, loadtest.Amount(d.minor), loadtest.Amount(want))
				}
			}
			made[kind]++
		}
		for kind, n := range made {
			if n > len(asked[kind]) {
				r.violate(checkAskedOnce, "%s: the sandbox made %d %s(s), the run asked for %d", ref, n, kind, len(asked[kind]))
			}
		}
	}
}

// split returns the succeeded entries and the one in flight or unknown, if any (the gateway
// allows one per order at a time).
func split(list []entry) (succeeded []entry, pending *entry) {
	for _, e := range list {
		switch {
		case e.status == "succeeded":
			succeeded = append(succeeded, e)
		case e.pending():
			pending = &e
		}
	}
	return succeeded, pending
}

func sumEntries(list []entry) int64 {
	var n int64
	for _, e := range list {
		n += e.minor
	}
	return n
}

func countAll[K comparable, V any](m map[K][]V) int {
	n := 0
	for _, list := range m {
		n += len(list)
	}
	return n
}

// union is the keys of both maps.
func union[K comparable, A, B any](a map[K]A, b map[K]B) map[K]bool {
	out := map[K]bool{}
	for k := range a {
		out[k] = true
	}
	for k := range b {
		out[k] = true
	}
	return out
}
