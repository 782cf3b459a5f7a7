package orders

// Status is where an order stands; the values are the contract's.
type Status string

// The order statuses of the contract.
const (
	StatusPending           Status = "pending"
	StatusAuthorized        Status = "authorized"
	StatusPartiallyPaid     Status = "partially_paid"
	StatusPaid              Status = "paid"
	StatusFailed            Status = "failed"
	StatusCancelled         Status = "cancelled"
	StatusReview            Status = "review"
	StatusPartiallyRefunded Status = "partially_refunded"
	StatusRefunded          Status = "refunded"
)

// transitions lists every allowed move, once. Anything not here is refused.
var transitions = map[Status][]Status{
	// No approved payment yet: any outcome a session query can show, or the merchant's cancel.
	StatusPending: {StatusAuthorized, StatusPartiallyPaid, StatusPaid, StatusFailed, StatusCancelled, StatusReview},
	// A new checkout may start; a late approval of the old session is still applied.
	StatusFailed: {StatusPending, StatusAuthorized, StatusPartiallyPaid, StatusPaid, StatusCancelled, StatusReview},
	// Preauthorization: captured, released (nothing was taken), or something unexpected.
	StatusAuthorized: {StatusPaid, StatusCancelled, StatusReview},
	// More of a partial session approved, or money returned.
	StatusPartiallyPaid: {StatusPaid, StatusReview, StatusPartiallyRefunded, StatusRefunded},
	StatusPaid:          {StatusPartiallyRefunded, StatusRefunded, StatusReview},
	// A payment that landed after the merchant cancelled, or after everything was refunded,
	// is never silently accepted.
	StatusCancelled: {StatusReview},
	StatusRefunded:  {StatusReview},
	// Review is left only by an operator, by hand: never automatically.
	StatusReview:            {},
	StatusPartiallyRefunded: {StatusRefunded, StatusReview},
}

// Statuses returns every status, in the contract's order.
func Statuses() []Status {
	return []Status{StatusPending, StatusAuthorized, StatusPartiallyPaid, StatusPaid, StatusFailed,
		StatusCancelled, StatusReview, StatusPartiallyRefunded, StatusRefunded}
}

// Valid reports whether s is one of the contract's statuses.
func (s Status) Valid() bool {
	_, ok := transitions[s]
	return ok
}

// CanTransition reports whether an order may move from s to to.
func (s Status) CanTransition(to Status) bool {
	for _, allowed := range transitions[s] {
		if allowed == to {
			return true
		}
	}
	return false
}

// EventType returns the outbox event type a move into s emits, or "" when it emits none.
func (s Status) EventType() string {
	switch s {
	case StatusPaid:
		return "order.paid"
	case StatusPartiallyPaid:
		return "order.partially_paid"
	case StatusAuthorized:
		return "order.authorized"
	case StatusFailed:
		return "order.failed"
	case StatusPending:
		// Only a failed order moves back to pending (a new checkout); a new order is created
		// pending without an event.
		return "order.pending"
	case StatusCancelled:
		return "order.cancelled"
	case StatusReview:
		return "order.review"
	case StatusPartiallyRefunded, StatusRefunded:
		return "order.refunded"
	}
	return ""
}

// holdsMoney reports a status in which PlacetoPay took (or holds) the shopper's money for the
// order: a new payment of it would be a second charge.
func (s Status) holdsMoney() bool {
	return s == StatusPaid || s == StatusAuthorized || s == StatusPartiallyPaid
}
