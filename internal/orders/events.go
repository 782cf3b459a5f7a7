package orders

import "slices"

// Event types that announce something other than a move of the order's status (those are
// Status.EventType's). Each is written by Store.record, with a timeline note, in the
// transaction that learns what it announces.
const (
	// EventConfirmationRequired: a payment entered PENDING_CONFIRMATION and waits for the
	// merchant's confirm or cancel until its deadline (confirm.go). Once per payment.
	EventConfirmationRequired = "order.confirmation_required"
	// EventRecurringCharge: PlacetoPay's notification reported a charge of a recurring
	// payment, or a new status of one (recurring.go). Unconfirmed: it is never counted.
	EventRecurringCharge = "order.recurring_charge"
)

// EventTypes returns every event type the gateway writes about orders, sorted.
func EventTypes() []string {
	types := []string{EventConfirmationRequired, EventRecurringCharge}
	for _, s := range Statuses() {
		if typ := s.EventType(); typ != "" && !slices.Contains(types, typ) {
			types = append(types, typ)
		}
	}
	slices.Sort(types)
	return types
}
