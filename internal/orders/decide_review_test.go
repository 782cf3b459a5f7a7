package orders

import (
	"testing"

	"github.com/google/uuid"

	"github.com/placetopay-gateway/gateway/internal/orders/ordersdb"
)

// TestDecideReviewIsSticky: an order in review is never moved out of it by a session query,
// whatever the query shows (the contract: review is never marked paid automatically); only
// its paid amount follows what PlacetoPay reports.
func TestDecideReviewIsSticky(t *testing.T) {
	o := &Order{ID: uuid.Must(uuid.NewV7()), Reference: "REV-1", Status: StatusReview,
		Amount: Money{Minor: 100_00, Currency: "USD"}, PaidMinor: 100_00}
	approved := []ordersdb.Payment{{ID: uuid.Must(uuid.NewV7()), InternalReference: 1, Reference: "REV-1", Kind: "payment",
		Status: "APPROVED", Currency: "USD", AmountMinor: 100_00}}
	// A cancelled order's late payment: review, not paid.
	cancelled := *o
	cancelled.Status, cancelled.PaidMinor = StatusCancelled, 0
	if d := decide(&cancelled, "payment", "APPROVED", approved); d.status != StatusReview {
		t.Fatalf("late payment on a cancelled order: %q, want review", d.status)
	}
	// The next query of the same session: still review, not paid.
	for _, st := range []string{"APPROVED", "APPROVED_PARTIAL", "REJECTED"} {
		if d := decide(o, "payment", st, approved); d.status != "" || d.paidMinor != 100_00 {
			t.Errorf("order in review, session %s: %q paid %d (%s), want no change, paid 10000", st, d.status, d.paidMinor, d.reason)
		}
	}
}
