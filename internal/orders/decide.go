package orders

import (
	"fmt"
	"slices"

	"github.com/google/uuid"
)

// When is an order paid? Here, and nowhere else. Reconcile gathers the facts of one
// PlacetoPay answer (the order as it stands, the session's kind and status, and every payment
// of the order as the ledger holds it after the answer) and applies the decision.

// facts is everything a decision reads.
type facts struct {
	order Order
	kind  SessionKind
	// session is the status PlacetoPay reports for the session it was asked about.
	session  ProviderStatus
	payments []Payment
	// refunding lists the payments with a refund in flight or of unknown outcome.
	refunding []uuid.UUID
	// otherOpen: another session of the order is open, so a failure of this one fails nothing.
	otherOpen bool
}

// decision is where the order should stand.
type decision struct {
	status    Status // "" for no change
	paidMinor int64
	reason    string // for the timeline; for review, what does not match
}

// decide applies the rule of the contract: paid means the session is APPROVED and the
// approved, not refunded payments equal the order's amount in its currency and carry its
// reference. Anything else approved goes to review; nothing approved and a rejected or
// expired session means failed.
//
// A payment PlacetoPay reports refunded still counts as paid when the gateway refunded it or
// has a refund of it in flight: the refund ledger, not the session query, decides
// partially_refunded and refunded. A refund the gateway knows nothing of goes to review.
// Captures are actions on a checkin, not approvals of the session, and a checkin that was
// captured or released is past what a session query can change.
func decide(f facts) decision {
	o := f.order
	unchanged := decision{paidMinor: o.PaidMinor}
	switch {
	case f.kind == KindSubscription:
		// A subscription session stores a card and charges nothing: the order does not move.
		return unchanged
	case f.kind == KindCheckin && checkinSettled(f.payments):
		return unchanged
	}
	d := decidePayments(f)
	switch {
	case o.Status == StatusReview:
		// Review is sticky: never marked paid (or anything else) automatically, whatever a
		// later query shows; only the amount PlacetoPay reports is kept up to date.
		return decision{paidMinor: d.paidMinor}
	case (o.Status == StatusPartiallyRefunded || o.Status == StatusRefunded) && d.paidMinor > o.PaidMinor:
		// Money approved after refunds were made (a partial session paid further): never
		// absorbed silently.
		return decision{status: StatusReview, paidMinor: d.paidMinor, reason: fmt.Sprintf(
			"PlacetoPay reports %s approved, more than the %s paid when the order was refunded", o.minor(d.paidMinor), o.Paid())}
	case d.status == StatusPaid && (o.Status == StatusPartiallyRefunded || o.Status == StatusRefunded):
		return decision{paidMinor: d.paidMinor}
	case d.status == StatusFailed && f.otherOpen:
		// Failed means the order's last session failed: a newer one may still be paid.
		return decision{paidMinor: d.paidMinor}
	}
	return d
}

func checkinSettled(payments []Payment) bool {
	for _, pay := range payments {
		if pay.Settled != "" { // only a checkin is settled; a captured one may be kind payment
			return true
		}
	}
	return false
}

// counts reports whether pay is money the order received: approved, or refunded by the
// gateway's own ledger (refunded in part or with a refund in flight).
func counts(pay Payment, refunding []uuid.UUID) bool {
	// Captures are actions on a checkin; a recurring charge is money after the order's
	// payment (recurring.go); a payment known only from a notification counts for nothing.
	if pay.ParentID != nil || pay.Kind == PaymentRecurring || pay.Unconfirmed {
		return false
	}
	if refunded := pay.Refunded || pay.Status == ProviderRefunded; refunded {
		return pay.RefundedMinor != 0 || slices.Contains(refunding, pay.ID)
	}
	return pay.Status == ProviderApproved
}

func decidePayments(f facts) decision {
	o := f.order
	var sum int64
	var approved int
	for _, pay := range f.payments {
		if !counts(pay, f.refunding) {
			continue
		}
		approved++
		switch {
		case pay.Amount.Currency != o.Amount.Currency:
			return decision{status: StatusReview, paidMinor: o.PaidMinor, reason: fmt.Sprintf(
				"payment %d was approved in %s; the order is in %s", pay.InternalReference, pay.Amount.Currency, o.Amount.Currency)}
		case pay.Reference != "" && pay.Reference != o.Reference:
			return decision{status: StatusReview, paidMinor: o.PaidMinor, reason: fmt.Sprintf(
				"payment %d was approved for reference %q; the order's is %q", pay.InternalReference, pay.Reference, o.Reference)}
		}
		sum += pay.Amount.Minor
	}
	total, session := o.Amount.Minor, f.session
	partial := session == ProviderApprovedPartial || session == ProviderPartialExpired
	switch {
	case approved > 0 && o.Status == StatusCancelled:
		return decision{status: StatusReview, paidMinor: sum, reason: "a payment was approved after the order was cancelled"}
	case sum > total:
		return decision{status: StatusReview, paidMinor: sum, reason: fmt.Sprintf(
			"approved payments of %s exceed the order total of %s", o.minor(sum), o.Amount)}
	case sum == total && session == ProviderApproved && f.kind == KindCheckin:
		return decision{status: StatusAuthorized, paidMinor: 0, reason: "preauthorization approved"}
	case sum == total && session == ProviderApproved:
		return decision{status: StatusPaid, paidMinor: sum, reason: "PlacetoPay approved " + o.minor(sum).String()}
	case sum > 0 && session == ProviderApproved:
		return decision{status: StatusReview, paidMinor: sum, reason: fmt.Sprintf(
			"PlacetoPay approved %s; the order total is %s", o.minor(sum), o.Amount)}
	case sum > 0 && partial:
		return decision{status: StatusPartiallyPaid, paidMinor: sum, reason: fmt.Sprintf("%s of %s approved", o.minor(sum), o.Amount)}
	case sum == 0 && session == ProviderPartialExpired:
		// PlacetoPay says payments were made on the session, yet none the gateway can count
		// (a dispersion's part approved, its payment APPROVED_PARTIAL): money may have been
		// taken, so never let the order sit as unpaid.
		return decision{status: StatusReview, paidMinor: 0, reason: "PlacetoPay reports the session PARTIAL_EXPIRED (payments were made) but no approved payment of the order's"}
	case sum == 0 && session == ProviderApproved:
		return decision{status: StatusReview, paidMinor: 0, reason: "the session is approved but no approved payment was reported"}
	case sum > 0 && session == ProviderRejected:
		// A final session that is not approved yet holds approved money: PlacetoPay's
		// answers disagree with each other, so a person must look.
		return decision{status: StatusReview, paidMinor: sum, reason: fmt.Sprintf(
			"PlacetoPay reports %s approved under a session it reports REJECTED", o.minor(sum))}
	case sum == 0 && session == ProviderRejected && o.Status == StatusPending:
		return decision{status: StatusFailed, paidMinor: 0, reason: "the session was rejected or expired with no approved payment"}
	}
	return decision{paidMinor: o.PaidMinor}
}
