package orders

import (
	"testing"

	"github.com/google/uuid"

	"github.com/placetopay-gateway/gateway/internal/orders/ordersdb"
)

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
	pay := func(status string, refunded bool, refundedMinor int64) ordersdb.Payment {
		return ordersdb.Payment{ID: payID, InternalReference: 1, Reference: ref, Kind: "payment", Status: status,
			Currency: "USD", AmountMinor: 100_00, Refunded: refunded, RefundedMinor: refundedMinor}
	}
	settled := func(p ordersdb.Payment, how string) ordersdb.Payment {
		p.Kind, p.Settled = "checkin", &how
		return p
	}
	capture := ordersdb.Payment{ID: uuid.Must(uuid.NewV7()), InternalReference: 2, Reference: ref, Status: "APPROVED",
		Currency: "USD", AmountMinor: 80_00, ParentID: &payID}
	cases := []struct {
		name      string
		order     *Order
		kind      string
		payments  []ordersdb.Payment
		refunding []uuid.UUID
		want      Status
		paid      int64
	}{
		{"refunded by the gateway: stays refunded", order(StatusRefunded, 100_00, 100_00), "payment",
			[]ordersdb.Payment{pay("APPROVED", true, 100_00)}, nil, "", 100_00},
		{"reported REFUNDED after a gateway refund: stays refunded", order(StatusRefunded, 100_00, 100_00), "payment",
			[]ordersdb.Payment{pay("REFUNDED", true, 100_00)}, nil, "", 100_00},
		{"partially refunded by the gateway: stays", order(StatusPartiallyRefunded, 100_00, 40_00), "payment",
			[]ordersdb.Payment{pay("APPROVED", false, 40_00)}, nil, "", 100_00},
		{"refund in flight, PlacetoPay already shows it: no review", order(StatusPaid, 100_00, 0), "payment",
			[]ordersdb.Payment{pay("APPROVED", true, 0)}, []uuid.UUID{payID}, StatusPaid, 100_00},
		{"a refund the gateway never made goes to review", order(StatusPaid, 100_00, 0), "payment",
			[]ordersdb.Payment{pay("APPROVED", true, 0)}, nil, StatusReview, 0},
		{"captured checkin: the query changes nothing", order(StatusPaid, 80_00, 0), "checkin",
			[]ordersdb.Payment{capture, settled(pay("APPROVED", false, 0), "captured")}, nil, "", 80_00},
		{"released checkin: stays cancelled, no review", order(StatusCancelled, 0, 0), "checkin",
			[]ordersdb.Payment{settled(pay("APPROVED", false, 0), "released")}, nil, "", 0},
		{"open checkin: authorized", order(StatusPending, 0, 0), "checkin",
			[]ordersdb.Payment{func() ordersdb.Payment { p := pay("APPROVED", false, 0); p.Kind = "checkin"; return p }()}, nil, StatusAuthorized, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d := decideWithRefunds(c.order, c.kind, "APPROVED", c.payments, c.refunding)
			if d.status != c.want || d.paidMinor != c.paid {
				t.Errorf("decide = %q paid %d (%s), want %q paid %d", d.status, d.paidMinor, d.reason, c.want, c.paid)
			}
		})
	}
}

// TestDecideMoneyAfterRefund: money approved after the order was refunded (a partial session
// paid further) is never absorbed silently: the order goes to review.
func TestDecideMoneyAfterRefund(t *testing.T) {
	part := func(ref int64) ordersdb.Payment {
		return ordersdb.Payment{ID: uuid.Must(uuid.NewV7()), InternalReference: ref, Reference: "PART-1", Kind: "payment",
			Status: "APPROVED", Currency: "USD", AmountMinor: 50_00}
	}
	first := part(1)
	first.RefundedMinor, first.Refunded = 50_00, true
	for _, st := range []Status{StatusRefunded, StatusPartiallyRefunded} {
		o := &Order{ID: uuid.Must(uuid.NewV7()), Reference: "PART-1", Status: st,
			Amount: Money{Minor: 100_00, Currency: "USD"}, PaidMinor: 50_00, RefundedMinor: 50_00}
		d := decideWithRefunds(o, "payment", "APPROVED", []ordersdb.Payment{first, part(2)}, nil)
		if d.status != StatusReview || d.paidMinor != 100_00 || d.reason == "" {
			t.Errorf("%s order, another 50.00 approved: %q paid %d (%s), want review paid 10000 with a reason", st, d.status, d.paidMinor, d.reason)
		}
	}
}
