package orders

import (
	"strings"
	"testing"

	"github.com/google/uuid"
)

// TestDecide is the paid rule of the contract, without a database: paid only for an
// APPROVED session whose approved, not refunded payments equal the order's amount in its
// currency and carry its reference; any other approval goes to review.
func TestDecide(t *testing.T) {
	const ref = "ORDER-1"
	order := func(status Status, currency string, minor int64) *Order {
		return &Order{ID: uuid.Must(uuid.NewV7()), Reference: ref, Status: status, Amount: Money{Minor: minor, Currency: currency}}
	}
	pay := func(internal int64, status ProviderStatus, currency string, minor int64) Payment {
		return Payment{InternalReference: internal, Reference: ref, Status: status, Amount: Money{Minor: minor, Currency: currency}}
	}
	with := func(p Payment, edit func(*Payment)) Payment {
		edit(&p)
		return p
	}
	cases := []struct {
		name     string
		order    *Order
		kind     SessionKind
		session  ProviderStatus
		payments []Payment
		want     Status // "" for no change
		paid     int64
		reason   []string // what the reason must mention
	}{
		{
			name: "paid", order: order(StatusPending, "USD", 100_00), kind: KindPayment, session: ProviderApproved,
			payments: []Payment{pay(1, "APPROVED", "USD", 100_00)},
			want:     StatusPaid, paid: 100_00, reason: []string{"100.00 USD"},
		},
		{
			name: "paid after earlier declines", order: order(StatusPending, "COP", 50_000_00), kind: KindPayment, session: ProviderApproved,
			payments: []Payment{pay(3, "APPROVED", "COP", 50_000_00), pay(2, "REJECTED", "COP", 50_000_00), pay(1, "FAILED", "COP", 50_000_00)},
			want:     StatusPaid, paid: 50_000_00,
		},
		{
			name: "amount below the total goes to review", order: order(StatusPending, "USD", 100_00), kind: KindPayment, session: ProviderApproved,
			payments: []Payment{pay(1, "APPROVED", "USD", 99_99)},
			want:     StatusReview, paid: 99_99, reason: []string{"99.99 USD", "100.00 USD"},
		},
		{
			name: "amount above the total goes to review", order: order(StatusPending, "USD", 100_00), kind: KindPayment, session: ProviderApproved,
			payments: []Payment{pay(1, "APPROVED", "USD", 100_01)},
			want:     StatusReview, paid: 100_01, reason: []string{"100.01 USD", "100.00 USD"},
		},
		{
			name: "currency mismatch goes to review", order: order(StatusPending, "USD", 100_00), kind: KindPayment, session: ProviderApproved,
			payments: []Payment{pay(7, "APPROVED", "COP", 100_00)},
			want:     StatusReview, paid: 0, reason: []string{"COP", "USD"},
		},
		{
			name: "unreadable amount (XXX) goes to review", order: order(StatusPending, "USD", 100_00), kind: KindPayment, session: ProviderApproved,
			payments: []Payment{pay(7, "APPROVED", "XXX", 0)},
			want:     StatusReview, paid: 0, reason: []string{"XXX"},
		},
		{
			name: "reference mismatch goes to review", order: order(StatusPending, "USD", 100_00), kind: KindPayment, session: ProviderApproved,
			payments: []Payment{with(pay(8, "APPROVED", "USD", 100_00), func(p *Payment) { p.Reference = "ORDER-2" })},
			want:     StatusReview, paid: 0, reason: []string{"ORDER-2", ref},
		},
		{
			name: "over-payment by two approvals goes to review", order: order(StatusPending, "USD", 100_00), kind: KindPayment, session: ProviderApproved,
			payments: []Payment{pay(2, "APPROVED", "USD", 100_00), pay(1, "APPROVED", "USD", 100_00)},
			want:     StatusReview, paid: 200_00, reason: []string{"200.00 USD", "100.00 USD"},
		},
		{
			name: "partial approval", order: order(StatusPending, "USD", 100_00), kind: KindPayment, session: ProviderApprovedPartial,
			payments: []Payment{pay(1, "APPROVED", "USD", 40_00), pay(2, "REJECTED", "USD", 60_00)},
			want:     StatusPartiallyPaid, paid: 40_00, reason: []string{"40.00 USD", "100.00 USD"},
		},
		{
			name: "partial session expired with some paid", order: order(StatusPartiallyPaid, "USD", 100_00), kind: KindPayment, session: ProviderPartialExpired,
			payments: []Payment{pay(1, "APPROVED", "USD", 40_00)},
			want:     StatusPartiallyPaid, paid: 40_00,
		},
		{
			name: "partial payments completing the total", order: order(StatusPartiallyPaid, "USD", 100_00), kind: KindPayment, session: ProviderApproved,
			payments: []Payment{pay(2, "APPROVED", "USD", 60_00), pay(1, "APPROVED", "USD", 40_00)},
			want:     StatusPaid, paid: 100_00,
		},
		{
			name: "rejected session fails the order", order: order(StatusPending, "USD", 100_00), kind: KindPayment, session: ProviderRejected,
			payments: []Payment{pay(1, "REJECTED", "USD", 100_00)},
			want:     StatusFailed, paid: 0,
		},
		{
			name: "rejected with no payment at all (expired)", order: order(StatusPending, "USD", 100_00), kind: KindPayment, session: ProviderRejected,
			want: StatusFailed, paid: 0,
		},
		{
			name: "pending changes nothing", order: order(StatusPending, "USD", 100_00), kind: KindPayment, session: ProviderPending,
			payments: []Payment{pay(1, "PENDING", "USD", 100_00)},
			want:     "", paid: 0,
		},
		{
			name: "declined attempt on a pending session changes nothing", order: order(StatusPending, "USD", 100_00), kind: KindPayment, session: ProviderPending,
			payments: []Payment{pay(1, "REJECTED", "USD", 100_00)},
			want:     "", paid: 0,
		},
		{
			name: "an approved payment on a session not yet approved does not pay", order: order(StatusPending, "USD", 100_00), kind: KindPayment, session: ProviderPending,
			payments: []Payment{pay(1, "APPROVED", "USD", 100_00)},
			want:     "", paid: 0,
		},
		{
			name: "approved session with no approved payment goes to review", order: order(StatusPending, "USD", 100_00), kind: KindPayment, session: ProviderApproved,
			payments: []Payment{pay(1, "REJECTED", "USD", 100_00)},
			want:     StatusReview, paid: 0,
		},
		{
			name: "preauthorization approved authorizes", order: order(StatusPending, "USD", 100_00), kind: KindCheckin, session: ProviderApproved,
			payments: []Payment{pay(1, "APPROVED", "USD", 100_00)},
			want:     StatusAuthorized, paid: 0,
		},
		{
			name: "approved after cancelled goes to review", order: order(StatusCancelled, "USD", 100_00), kind: KindPayment, session: ProviderApproved,
			payments: []Payment{pay(1, "APPROVED", "USD", 100_00)},
			want:     StatusReview, paid: 100_00, reason: []string{"cancelled"},
		},
		{
			name: "refunded payments are ignored", order: order(StatusPending, "USD", 100_00), kind: KindPayment, session: ProviderApproved,
			payments: []Payment{
				pay(2, "APPROVED", "USD", 100_00),
				with(pay(1, "APPROVED", "USD", 100_00), func(p *Payment) { p.Refunded = true }),
			},
			want: StatusPaid, paid: 100_00,
		},
		{
			name: "refunded mismatching payment does not send to review", order: order(StatusPending, "USD", 100_00), kind: KindPayment, session: ProviderApproved,
			payments: []Payment{
				pay(2, "APPROVED", "USD", 100_00),
				with(pay(1, "APPROVED", "COP", 5_00), func(p *Payment) { p.Refunded = true }),
			},
			want: StatusPaid, paid: 100_00,
		},
		{
			name: "only refunded approvals are not paid", order: order(StatusPending, "USD", 100_00), kind: KindPayment, session: ProviderApproved,
			payments: []Payment{with(pay(1, "APPROVED", "USD", 100_00), func(p *Payment) { p.Refunded = true })},
			want:     StatusReview, paid: 0,
		},
		{
			name: "approved money under a rejected session goes to review", order: order(StatusPending, "USD", 100_00), kind: KindPayment, session: ProviderRejected,
			payments: []Payment{pay(1, ProviderApproved, "USD", 100_00)},
			want:     StatusReview, paid: 100_00, reason: []string{"100.00 USD", "REJECTED"},
		},
		{
			name: "approved money under a rejected session of a paid order goes to review", order: order(StatusPaid, "USD", 100_00), kind: KindPayment, session: ProviderRejected,
			payments: []Payment{pay(1, ProviderApproved, "USD", 100_00)},
			want:     StatusReview, paid: 100_00,
		},
		{
			name: "a late rejection does not fail a paid order", order: order(StatusPaid, "USD", 100_00), kind: KindPayment, session: ProviderRejected,
			want: "", paid: 0,
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			c.order.PaidMinor = 0
			d := decide(facts{order: *c.order, kind: c.kind, session: c.session, payments: c.payments})
			if d.status != c.want && !(c.want == "" && d.status == c.order.Status) {
				t.Errorf("decide = status %q (%s), want %q", d.status, d.reason, c.want)
			}
			if d.paidMinor != c.paid {
				t.Errorf("decide paid = %d, want %d", d.paidMinor, c.paid)
			}
			for _, want := range c.reason {
				if !strings.Contains(d.reason, want) {
					t.Errorf("reason %q does not mention %q", d.reason, want)
				}
			}
		})
	}
}

// TestDecideNeverPaysAMismatch: whatever the session says, an approval in another currency,
// for another reference or for another amount never yields paid.
func TestDecideNeverPaysAMismatch(t *testing.T) {
	o := &Order{Reference: "R", Status: StatusPending, Amount: Money{Minor: 10_00, Currency: "USD"}}
	mismatches := []Payment{
		{InternalReference: 1, Reference: "R", Status: ProviderApproved, Amount: Money{Minor: 10_00, Currency: "COP"}},
		{InternalReference: 1, Reference: "X", Status: ProviderApproved, Amount: Money{Minor: 10_00, Currency: "USD"}},
		{InternalReference: 1, Reference: "R", Status: ProviderApproved, Amount: Money{Minor: 9_99, Currency: "USD"}},
		{InternalReference: 1, Reference: "R", Status: ProviderApproved, Amount: Money{Minor: 10_01, Currency: "USD"}},
	}
	for _, session := range []ProviderStatus{ProviderApproved, ProviderApprovedPartial, ProviderPartialExpired, ProviderPending, ProviderRejected} {
		for _, kind := range []SessionKind{KindPayment, KindCheckin} {
			for _, p := range mismatches {
				for _, from := range []Status{StatusPending, StatusFailed, StatusReview, StatusAuthorized, StatusPartiallyPaid} {
					o.Status = from
					if d := decide(facts{order: *o, kind: kind, session: session, payments: []Payment{p}}); d.status == StatusPaid || d.status == StatusAuthorized {
						t.Errorf("decide(%s order, %s %s session, %+v) = %s", from, session, kind, p, d.status)
					}
				}
			}
		}
	}
}

// TestDecideWithRefunds: PlacetoPay's session stays APPROVED after a refund and shows the
// payment refunded; the gateway's refund ledger decides partially_refunded and refunded, so
// a refund the gateway made never sends the order to review, while a refund it knows nothing
// about still does. Settled checkins and their captures are past what a query can change.
func TestDecideWithRefunds(t *testing.T) {
	const ref = "ORDER-R"
	order := func(status Status, paid, refunded int64) *Order {
		return &Order{ID: uuid.Must(uuid.NewV7()), Reference: ref, Status: status,
			Amount: Money{Minor: 100_00, Currency: "USD"}, PaidMinor: paid, RefundedMinor: refunded}
	}
	payID := uuid.Must(uuid.NewV7())
	pay := func(status ProviderStatus, refunded bool, refundedMinor int64) Payment {
		return Payment{ID: payID, InternalReference: 1, Reference: ref, Kind: PaymentOfSession, Status: status,
			Amount: Money{Minor: 100_00, Currency: "USD"}, Refunded: refunded, RefundedMinor: refundedMinor}
	}
	settled := func(p Payment, how string) Payment {
		p.Kind, p.Settled = PaymentCheckin, how
		return p
	}
	capture := Payment{ID: uuid.Must(uuid.NewV7()), InternalReference: 2, Reference: ref, Status: ProviderApproved,
		Amount: Money{Minor: 80_00, Currency: "USD"}, ParentID: &payID}
	cases := []struct {
		name      string
		order     *Order
		kind      SessionKind
		payments  []Payment
		refunding []uuid.UUID
		want      Status
		paid      int64
	}{
		{"refunded by the gateway: stays refunded", order(StatusRefunded, 100_00, 100_00), KindPayment,
			[]Payment{pay(ProviderApproved, true, 100_00)}, nil, "", 100_00},
		{"reported REFUNDED after a gateway refund: stays refunded", order(StatusRefunded, 100_00, 100_00), KindPayment,
			[]Payment{pay(ProviderRefunded, true, 100_00)}, nil, "", 100_00},
		{"partially refunded by the gateway: stays", order(StatusPartiallyRefunded, 100_00, 40_00), KindPayment,
			[]Payment{pay(ProviderApproved, false, 40_00)}, nil, "", 100_00},
		{"refund in flight, PlacetoPay already shows it: no review", order(StatusPaid, 100_00, 0), KindPayment,
			[]Payment{pay(ProviderApproved, true, 0)}, []uuid.UUID{payID}, StatusPaid, 100_00},
		{"a refund the gateway never made goes to review", order(StatusPaid, 100_00, 0), KindPayment,
			[]Payment{pay(ProviderApproved, true, 0)}, nil, StatusReview, 0},
		{"captured checkin: the query changes nothing", order(StatusPaid, 80_00, 0), KindCheckin,
			[]Payment{capture, settled(pay(ProviderApproved, false, 0), "captured")}, nil, "", 80_00},
		{"released checkin: stays cancelled, no review", order(StatusCancelled, 0, 0), KindCheckin,
			[]Payment{settled(pay(ProviderApproved, false, 0), "released")}, nil, "", 0},
		{"open checkin: authorized", order(StatusPending, 0, 0), KindCheckin,
			[]Payment{func() Payment { p := pay(ProviderApproved, false, 0); p.Kind = PaymentCheckin; return p }()}, nil, StatusAuthorized, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d := decide(facts{order: *c.order, kind: c.kind, session: ProviderApproved, payments: c.payments, refunding: c.refunding})
			if d.status != c.want || d.paidMinor != c.paid {
				t.Errorf("decide = %q paid %d (%s), want %q paid %d", d.status, d.paidMinor, d.reason, c.want, c.paid)
			}
		})
	}
}

// TestDecideMoneyAfterRefund: money approved after the order was refunded (a partial session
// paid further) is never absorbed silently: the order goes to review.
func TestDecideMoneyAfterRefund(t *testing.T) {
	part := func(ref int64) Payment {
		return Payment{ID: uuid.Must(uuid.NewV7()), InternalReference: ref, Reference: "PART-1", Kind: PaymentOfSession,
			Status: ProviderApproved, Amount: Money{Minor: 50_00, Currency: "USD"}}
	}
	first := part(1)
	first.RefundedMinor, first.Refunded = 50_00, true
	for _, st := range []Status{StatusRefunded, StatusPartiallyRefunded} {
		o := &Order{ID: uuid.Must(uuid.NewV7()), Reference: "PART-1", Status: st,
			Amount: Money{Minor: 100_00, Currency: "USD"}, PaidMinor: 50_00, RefundedMinor: 50_00}
		d := decide(facts{order: *o, kind: KindPayment, session: ProviderApproved, payments: []Payment{first, part(2)}})
		if d.status != StatusReview || d.paidMinor != 100_00 || d.reason == "" {
			t.Errorf("%s order, another 50.00 approved: %q paid %d (%s), want review paid 10000 with a reason", st, d.status, d.paidMinor, d.reason)
		}
	}
}

// TestDecideReviewIsSticky: an order in review is never moved out of it by a session query,
// whatever the query shows (the contract: review is never marked paid automatically); only
// its paid amount follows what PlacetoPay reports.
func TestDecideReviewIsSticky(t *testing.T) {
	o := &Order{ID: uuid.Must(uuid.NewV7()), Reference: "REV-1", Status: StatusReview,
		Amount: Money{Minor: 100_00, Currency: "USD"}, PaidMinor: 100_00}
	approved := []Payment{{ID: uuid.Must(uuid.NewV7()), InternalReference: 1, Reference: "REV-1", Kind: PaymentOfSession,
		Status: ProviderApproved, Amount: Money{Minor: 100_00, Currency: "USD"}}}
	// A cancelled order's late payment: review, not paid.
	cancelled := *o
	cancelled.Status, cancelled.PaidMinor = StatusCancelled, 0
	if d := decide(facts{order: cancelled, kind: KindPayment, session: ProviderApproved, payments: approved}); d.status != StatusReview {
		t.Fatalf("late payment on a cancelled order: %q, want review", d.status)
	}
	// The next query of the same session: still review, not paid.
	for _, st := range []ProviderStatus{ProviderApproved, ProviderApprovedPartial, ProviderRejected} {
		if d := decide(facts{order: *o, kind: KindPayment, session: st, payments: approved}); d.status != "" || d.paidMinor != 100_00 {
			t.Errorf("order in review, session %s: %q paid %d (%s), want no change, paid 10000", st, d.status, d.paidMinor, d.reason)
		}
	}
}

// TestDecideFailureLeavesANewerSession: a rejected session fails the order only when no other
// session of it is open: a newer checkout may still be paid.
func TestDecideFailureLeavesANewerSession(t *testing.T) {
	o := Order{Reference: "F-1", Status: StatusPending, Amount: Money{Minor: 10_00, Currency: "USD"}}
	if d := decide(facts{order: o, kind: KindPayment, session: ProviderRejected}); d.status != StatusFailed {
		t.Errorf("rejected, no other session: %q, want failed", d.status)
	}
	if d := decide(facts{order: o, kind: KindPayment, session: ProviderRejected, otherOpen: true}); d.status != "" {
		t.Errorf("rejected while another session is open: %q, want no change", d.status)
	}
}

// TestDecideSubscription: a subscription session stores a card and charges nothing, so
// neither its approval nor its rejection moves the order; a collect decides like a payment.
func TestDecideSubscription(t *testing.T) {
	o := Order{ID: uuid.Must(uuid.NewV7()), Reference: "R", Status: StatusPending, Amount: Money{Minor: 10_00, Currency: "USD"}}
	for _, st := range []ProviderStatus{ProviderApproved, ProviderRejected, ProviderPending} {
		if d := decide(facts{order: o, kind: KindSubscription, session: st}); d.status != "" || d.paidMinor != 0 {
			t.Errorf("subscription session %s: decision %+v, want no change", st, d)
		}
	}
	if d := decide(facts{order: o, kind: KindCollect, session: ProviderRejected}); d.status != StatusFailed {
		t.Errorf("rejected collect: decision %+v, want failed", d)
	}
}

// TestDecideSessionOptions: partial sessions and recurring charges.
func TestDecideSessionOptions(t *testing.T) {
	o := Order{Reference: "R-1", Status: StatusPending, Amount: Money{Minor: 100_00, Currency: "USD"}}
	pay := func(ref int64, kind PaymentKind, status ProviderStatus, minor int64) Payment {
		return Payment{InternalReference: ref, Kind: kind, Reference: "R-1", Status: status, Amount: Money{Minor: minor, Currency: "USD"}}
	}
	for _, c := range []struct {
		name     string
		order    Status
		session  ProviderStatus
		payments []Payment
		want     Status
		paid     int64
	}{
		{"first part", StatusPending, ProviderApprovedPartial, []Payment{pay(1, PaymentOfSession, ProviderApproved, 40_00)}, StatusPartiallyPaid, 40_00},
		{"parts complete", StatusPartiallyPaid, ProviderApproved, []Payment{pay(2, PaymentOfSession, ProviderApproved, 60_00), pay(1, PaymentOfSession, ProviderApproved, 40_00)}, StatusPaid, 100_00},
		{"expired after a part", StatusPartiallyPaid, ProviderPartialExpired, []Payment{pay(1, PaymentOfSession, ProviderApproved, 40_00)}, StatusPartiallyPaid, 40_00},
		{"expired with nothing countable", StatusPending, ProviderPartialExpired, []Payment{pay(1, PaymentOfSession, ProviderRejected, 100_00)}, StatusReview, 0},
		{"recurring charges are not the order's payment", StatusPaid, ProviderApproved,
			[]Payment{pay(3, PaymentRecurring, ProviderApproved, 100_00), pay(2, PaymentRecurring, ProviderApproved, 100_00), pay(1, PaymentOfSession, ProviderApproved, 100_00)}, StatusPaid, 100_00},
	} {
		t.Run(c.name, func(t *testing.T) {
			o.Status = c.order
			d := decide(facts{order: o, kind: KindPayment, session: c.session, payments: c.payments})
			if d.status != c.want || d.paidMinor != c.paid {
				t.Errorf("decide = %q paid %d (%s), want %q paid %d", d.status, d.paidMinor, d.reason, c.want, c.paid)
			}
		})
	}
}
