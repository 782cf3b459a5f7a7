package orders

import (
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/placetopay-gateway/gateway/internal/orders/ordersdb"
)

// TestDecide is the paid rule of the contract, without a database: paid only for an
// APPROVED session whose approved, not refunded payments equal the order's amount in its
// currency and carry its reference; any other approval goes to review.
func TestDecide(t *testing.T) {
	const ref = "ORDER-1"
	order := func(status Status, currency string, minor int64) *Order {
		return &Order{ID: uuid.Must(uuid.NewV7()), Reference: ref, Status: status, Amount: Money{Minor: minor, Currency: currency}}
	}
	pay := func(internal int64, status, currency string, minor int64) ordersdb.Payment {
		return ordersdb.Payment{InternalReference: internal, Reference: ref, Status: status, Currency: currency, AmountMinor: minor}
	}
	with := func(p ordersdb.Payment, edit func(*ordersdb.Payment)) ordersdb.Payment {
		edit(&p)
		return p
	}
	cases := []struct {
		name     string
		order    *Order
		kind     string
		session  string
		payments []ordersdb.Payment
		want     Status // "" for no change
		paid     int64
		reason   []string // what the reason must mention
	}{
		{
			name: "paid", order: order(StatusPending, "USD", 100_00), kind: "payment", session: "APPROVED",
			payments: []ordersdb.Payment{pay(1, "APPROVED", "USD", 100_00)},
			want:     StatusPaid, paid: 100_00, reason: []string{"100.00 USD"},
		},
		{
			name: "paid after earlier declines", order: order(StatusPending, "COP", 50_000_00), kind: "payment", session: "APPROVED",
			payments: []ordersdb.Payment{pay(3, "APPROVED", "COP", 50_000_00), pay(2, "REJECTED", "COP", 50_000_00), pay(1, "FAILED", "COP", 50_000_00)},
			want:     StatusPaid, paid: 50_000_00,
		},
		{
			name: "amount below the total goes to review", order: order(StatusPending, "USD", 100_00), kind: "payment", session: "APPROVED",
			payments: []ordersdb.Payment{pay(1, "APPROVED", "USD", 99_99)},
			want:     StatusReview, paid: 99_99, reason: []string{"99.99 USD", "100.00 USD"},
		},
		{
			name: "amount above the total goes to review", order: order(StatusPending, "USD", 100_00), kind: "payment", session: "APPROVED",
			payments: []ordersdb.Payment{pay(1, "APPROVED", "USD", 100_01)},
			want:     StatusReview, paid: 100_01, reason: []string{"100.01 USD", "100.00 USD"},
		},
		{
			name: "currency mismatch goes to review", order: order(StatusPending, "USD", 100_00), kind: "payment", session: "APPROVED",
			payments: []ordersdb.Payment{pay(7, "APPROVED", "COP", 100_00)},
			want:     StatusReview, paid: 0, reason: []string{"COP", "USD"},
		},
		{
			name: "unreadable amount (XXX) goes to review", order: order(StatusPending, "USD", 100_00), kind: "payment", session: "APPROVED",
			payments: []ordersdb.Payment{pay(7, "APPROVED", "XXX", 0)},
			want:     StatusReview, paid: 0, reason: []string{"XXX"},
		},
		{
			name: "reference mismatch goes to review", order: order(StatusPending, "USD", 100_00), kind: "payment", session: "APPROVED",
			payments: []ordersdb.Payment{with(pay(8, "APPROVED", "USD", 100_00), func(p *ordersdb.Payment) { p.Reference = "ORDER-2" })},
			want:     StatusReview, paid: 0, reason: []string{"ORDER-2", ref},
		},
		{
			name: "over-payment by two approvals goes to review", order: order(StatusPending, "USD", 100_00), kind: "payment", session: "APPROVED",
			payments: []ordersdb.Payment{pay(2, "APPROVED", "USD", 100_00), pay(1, "APPROVED", "USD", 100_00)},
			want:     StatusReview, paid: 200_00, reason: []string{"200.00 USD", "100.00 USD"},
		},
		{
			name: "partial approval", order: order(StatusPending, "USD", 100_00), kind: "payment", session: "APPROVED_PARTIAL",
			payments: []ordersdb.Payment{pay(1, "APPROVED", "USD", 40_00), pay(2, "REJECTED", "USD", 60_00)},
			want:     StatusPartiallyPaid, paid: 40_00, reason: []string{"40.00 USD", "100.00 USD"},
		},
		{
			name: "partial session expired with some paid", order: order(StatusPartiallyPaid, "USD", 100_00), kind: "payment", session: "PARTIAL_EXPIRED",
			payments: []ordersdb.Payment{pay(1, "APPROVED", "USD", 40_00)},
			want:     StatusPartiallyPaid, paid: 40_00,
		},
		{
			name: "partial payments completing the total", order: order(StatusPartiallyPaid, "USD", 100_00), kind: "payment", session: "APPROVED",
			payments: []ordersdb.Payment{pay(2, "APPROVED", "USD", 60_00), pay(1, "APPROVED", "USD", 40_00)},
			want:     StatusPaid, paid: 100_00,
		},
		{
			name: "rejected session fails the order", order: order(StatusPending, "USD", 100_00), kind: "payment", session: "REJECTED",
			payments: []ordersdb.Payment{pay(1, "REJECTED", "USD", 100_00)},
			want:     StatusFailed, paid: 0,
		},
		{
			name: "rejected with no payment at all (expired)", order: order(StatusPending, "USD", 100_00), kind: "payment", session: "REJECTED",
			want: StatusFailed, paid: 0,
		},
		{
			name: "pending changes nothing", order: order(StatusPending, "USD", 100_00), kind: "payment", session: "PENDING",
			payments: []ordersdb.Payment{pay(1, "PENDING", "USD", 100_00)},
			want:     "", paid: 0,
		},
		{
			name: "declined attempt on a pending session changes nothing", order: order(StatusPending, "USD", 100_00), kind: "payment", session: "PENDING",
			payments: []ordersdb.Payment{pay(1, "REJECTED", "USD", 100_00)},
			want:     "", paid: 0,
		},
		{
			name: "an approved payment on a session not yet approved does not pay", order: order(StatusPending, "USD", 100_00), kind: "payment", session: "PENDING",
			payments: []ordersdb.Payment{pay(1, "APPROVED", "USD", 100_00)},
			want:     "", paid: 0,
		},
		{
			name: "approved session with no approved payment goes to review", order: order(StatusPending, "USD", 100_00), kind: "payment", session: "APPROVED",
			payments: []ordersdb.Payment{pay(1, "REJECTED", "USD", 100_00)},
			want:     StatusReview, paid: 0,
		},
		{
			name: "preauthorization approved authorizes", order: order(StatusPending, "USD", 100_00), kind: "checkin", session: "APPROVED",
			payments: []ordersdb.Payment{pay(1, "APPROVED", "USD", 100_00)},
			want:     StatusAuthorized, paid: 0,
		},
		{
			name: "approved after cancelled goes to review", order: order(StatusCancelled, "USD", 100_00), kind: "payment", session: "APPROVED",
			payments: []ordersdb.Payment{pay(1, "APPROVED", "USD", 100_00)},
			want:     StatusReview, paid: 100_00, reason: []string{"cancelled"},
		},
		{
			name: "refunded payments are ignored", order: order(StatusPending, "USD", 100_00), kind: "payment", session: "APPROVED",
			payments: []ordersdb.Payment{
				pay(2, "APPROVED", "USD", 100_00),
				with(pay(1, "APPROVED", "USD", 100_00), func(p *ordersdb.Payment) { p.Refunded = true }),
			},
			want: StatusPaid, paid: 100_00,
		},
		{
			name: "refunded mismatching payment does not send to review", order: order(StatusPending, "USD", 100_00), kind: "payment", session: "APPROVED",
			payments: []ordersdb.Payment{
				pay(2, "APPROVED", "USD", 100_00),
				with(pay(1, "APPROVED", "COP", 5_00), func(p *ordersdb.Payment) { p.Refunded = true }),
			},
			want: StatusPaid, paid: 100_00,
		},
		{
			name: "only refunded approvals are not paid", order: order(StatusPending, "USD", 100_00), kind: "payment", session: "APPROVED",
			payments: []ordersdb.Payment{with(pay(1, "APPROVED", "USD", 100_00), func(p *ordersdb.Payment) { p.Refunded = true })},
			want:     StatusReview, paid: 0,
		},
		{
			name: "a late rejection does not fail a paid order", order: order(StatusPaid, "USD", 100_00), kind: "payment", session: "REJECTED",
			want: "", paid: 0,
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			c.order.PaidMinor = 0
			d := decide(c.order, c.kind, c.session, c.payments)
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
	mismatches := []ordersdb.Payment{
		{InternalReference: 1, Reference: "R", Status: "APPROVED", Currency: "COP", AmountMinor: 10_00},
		{InternalReference: 1, Reference: "X", Status: "APPROVED", Currency: "USD", AmountMinor: 10_00},
		{InternalReference: 1, Reference: "R", Status: "APPROVED", Currency: "USD", AmountMinor: 9_99},
		{InternalReference: 1, Reference: "R", Status: "APPROVED", Currency: "USD", AmountMinor: 10_01},
	}
	for _, session := range []string{"APPROVED", "APPROVED_PARTIAL", "PARTIAL_EXPIRED", "PENDING", "REJECTED"} {
		for _, kind := range []string{"payment", "checkin"} {
			for _, p := range mismatches {
				for _, from := range []Status{StatusPending, StatusFailed, StatusReview, StatusAuthorized, StatusPartiallyPaid} {
					o.Status = from
					if d := decide(o, kind, session, []ordersdb.Payment{p}); d.status == StatusPaid || d.status == StatusAuthorized {
						t.Errorf("decide(%s order, %s %s session, %+v) = %s", from, session, kind, p, d.status)
					}
				}
			}
		}
	}
}
