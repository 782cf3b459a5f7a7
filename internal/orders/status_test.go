package orders

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"
)

// allowedMoves is the status machine as the contract describes it, written independently of
// the transitions table in status.go:
//   - pending and failed have no approved payment: any outcome a session query can show, the
//     merchant's cancel, and (from failed only) a new checkout back to pending;
//   - authorized is captured (paid), released (cancelled), or shows a mismatch (review);
//   - partially_paid completes (paid), is refunded, or shows a mismatch;
//   - paid and partially_refunded can only be refunded further or show a mismatch;
//   - cancelled and refunded orders hold no money the gateway expects, so an approved payment
//     that lands on them afterwards must surface as review rather than be ignored;
//   - review is never left automatically (the contract: never marked paid automatically);
//     an operator resolves it by hand, outside the status machine.
//
// No status moves to itself: a move is a status change, and each one is recorded.
var allowedMoves = map[Status][]Status{
	StatusPending:           {StatusAuthorized, StatusPartiallyPaid, StatusPaid, StatusFailed, StatusCancelled, StatusReview},
	StatusFailed:            {StatusPending, StatusAuthorized, StatusPartiallyPaid, StatusPaid, StatusCancelled, StatusReview},
	StatusAuthorized:        {StatusPaid, StatusCancelled, StatusReview},
	StatusPartiallyPaid:     {StatusPaid, StatusPartiallyRefunded, StatusRefunded, StatusReview},
	StatusPaid:              {StatusPartiallyRefunded, StatusRefunded, StatusReview},
	StatusPartiallyRefunded: {StatusRefunded, StatusReview},
	StatusCancelled:         {StatusReview},
	StatusRefunded:          {StatusReview},
	StatusReview:            {},
}

func expectAllowed(from, to Status) bool {
	for _, s := range allowedMoves[from] {
		if s == to {
			return true
		}
	}
	return false
}

func TestStatuses(t *testing.T) {
	want := []Status{"pending", "authorized", "partially_paid", "paid", "failed", "cancelled",
		"review", "partially_refunded", "refunded"}
	if d := cmp.Diff(want, Statuses()); d != "" {
		t.Errorf("Statuses(): %s", d)
	}
	if len(allowedMoves) != len(want) {
		t.Fatalf("the expected table covers %d statuses, want %d", len(allowedMoves), len(want))
	}
}

func TestCanTransitionEveryPair(t *testing.T) {
	for _, from := range Statuses() {
		for _, to := range Statuses() {
			t.Run(string(from)+"->"+string(to), func(t *testing.T) {
				if got, want := from.CanTransition(to), expectAllowed(from, to); got != want {
					t.Errorf("%s.CanTransition(%s) = %t, want %t", from, to, got, want)
				}
			})
		}
	}
	for _, s := range Statuses() {
		if s.CanTransition("") || s.CanTransition("unknown") || Status("unknown").CanTransition(s) {
			t.Errorf("a move between %s and an unknown status is allowed", s)
		}
	}
}

func TestOrderTransition(t *testing.T) {
	for _, from := range Statuses() {
		for _, to := range Statuses() {
			t.Run(string(from)+"->"+string(to), func(t *testing.T) {
				o := Order{ID: uuid.New(), Status: from}
				err := o.Transition(to)
				if expectAllowed(from, to) {
					if err != nil {
						t.Fatalf("Transition(%s) from %s = %v", to, from, err)
					}
					if o.Status != to {
						t.Errorf("status = %s after Transition(%s), want %s", o.Status, to, to)
					}
					return
				}
				wantError(t, err, EConflict, "")
				if o.Status != from {
					t.Errorf("status = %s after a refused Transition(%s), want it unchanged (%s)", o.Status, to, from)
				}
			})
		}
	}
}

func TestStatusEventType(t *testing.T) {
	want := map[Status]string{
		StatusPending:           "order.pending", // only a failed order moves back to pending (a new checkout)
		StatusAuthorized:        "order.authorized",
		StatusPartiallyPaid:     "order.partially_paid",
		StatusPaid:              "order.paid",
		StatusFailed:            "order.failed",
		StatusCancelled:         "order.cancelled",
		StatusReview:            "order.review",
		StatusPartiallyRefunded: "order.refunded",
		StatusRefunded:          "order.refunded",
	}
	for _, s := range Statuses() {
		w, ok := want[s]
		if !ok {
			t.Fatalf("no expected event type for %s", s)
		}
		if got := s.EventType(); got != w {
			t.Errorf("%s.EventType() = %q, want %q", s, got, w)
		}
	}
	if got := Status("unknown").EventType(); got != "" {
		t.Errorf(`Status("unknown").EventType() = %q, want ""`, got)
	}
}

func TestStatusValid(t *testing.T) {
	for _, s := range Statuses() {
		if !s.Valid() {
			t.Errorf("%s.Valid() = false", s)
		}
	}
	for _, s := range []Status{"", "PENDING", "Paid", "paid ", "canceled", "partially-paid", "unknown"} {
		if s.Valid() {
			t.Errorf("Status(%q).Valid() = true", s)
		}
	}
}
