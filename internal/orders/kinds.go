package orders

// SessionKind is what a checkout session is for; the checkout_sessions.kind values.
type SessionKind string

// The kinds of session.
const (
	KindPayment      SessionKind = "payment"      // a payment: basic, partial, dispersed or recurring
	KindCheckin      SessionKind = "checkin"      // a preauthorization, captured or released later
	KindSubscription SessionKind = "subscription" // stores a card and charges nothing
	KindCollect      SessionKind = "collect"      // a charge of a stored card, with no shopper
)

// sessionKind is the kind of session a checkout type opens.
func sessionKind(typ string) SessionKind {
	if k := SessionKind(typ); k == KindCheckin || k == KindSubscription {
		return k
	}
	return KindPayment
}

// Attempt is where the gateway's attempt to open a session stands; the
// checkout_sessions.attempt values.
type Attempt string

// The attempt states. An order has at most one creating or open attempt at a time.
const (
	AttemptCreating  Attempt = "creating"  // written before PlacetoPay is called
	AttemptOpen      Attempt = "open"      // PlacetoPay opened it: it is handed out and may be paid
	AttemptClosed    Attempt = "closed"    // final, expired here or cancelled; probed while a payment may still land
	AttemptAbandoned Attempt = "abandoned" // PlacetoPay never confirmed it: nobody received its processUrl
)

// PaymentKind is where a payment came from; the payments.kind values.
type PaymentKind string

// The kinds of payment.
const (
	PaymentOfSession PaymentKind = "payment"   // a transaction of a payment or subscription session
	PaymentCheckin   PaymentKind = "checkin"   // a preauthorization's hold
	PaymentCollect   PaymentKind = "collect"   // a charge of a stored card
	PaymentRecurring PaymentKind = "recurring" // a recurring charge, known from its notification
)

// paymentKind is the kind of the payments a session of kind k reports.
func paymentKind(k SessionKind) PaymentKind {
	switch k {
	case KindCheckin:
		return PaymentCheckin
	case KindCollect:
		return PaymentCollect
	}
	return PaymentOfSession
}

// ProviderStatus is a status PlacetoPay reports, of a session or of one of its transactions.
type ProviderStatus string

// PlacetoPay's statuses (docs/placetopay.md#statuses).
const (
	ProviderOK                  ProviderStatus = "OK"
	ProviderPending             ProviderStatus = "PENDING"
	ProviderApproved            ProviderStatus = "APPROVED"
	ProviderRejected            ProviderStatus = "REJECTED"
	ProviderFailed              ProviderStatus = "FAILED"
	ProviderApprovedPartial     ProviderStatus = "APPROVED_PARTIAL"   // session: part of the total paid
	ProviderPartialExpired      ProviderStatus = "PARTIAL_EXPIRED"    // session: expired with part paid
	ProviderRefunded            ProviderStatus = "REFUNDED"           // transaction
	ProviderPendingValidation   ProviderStatus = "PENDING_VALIDATION" // transaction
	ProviderPendingConfirmation ProviderStatus = "PENDING_CONFIRMATION"
)

// final reports a session status that never changes again.
func (s ProviderStatus) final() bool {
	return s == ProviderApproved || s == ProviderRejected || s == ProviderPartialExpired
}

// transaction reports a status a transaction (a payment) can have.
func (s ProviderStatus) transaction() bool {
	switch s {
	case ProviderApproved, ProviderPending, ProviderPendingValidation, ProviderPendingConfirmation,
		ProviderRejected, ProviderFailed, ProviderRefunded:
		return true
	}
	return false
}

// pending reports a transaction status that will still change.
func (s ProviderStatus) pending() bool {
	return s == ProviderPending || s == ProviderPendingValidation || s == ProviderPendingConfirmation
}

// sessionState is s as a session row keeps it: anything PlacetoPay might add later is
// kept as PENDING, so that the session goes on being checked.
func (s ProviderStatus) sessionState() ProviderStatus {
	switch s {
	case ProviderPending, ProviderApproved, ProviderRejected, ProviderApprovedPartial, ProviderPartialExpired, ProviderFailed:
		return s
	}
	return ProviderPending
}

// ActionState is where a refund or another transaction action stands.
type ActionState string

// The action states.
const (
	ActionRequested ActionState = "requested" // written before PlacetoPay is called
	ActionSucceeded ActionState = "succeeded"
	ActionFailed    ActionState = "failed"  // PlacetoPay refused it: nothing happened
	ActionUnknown   ActionState = "unknown" // PlacetoPay did not answer: resolved by querying the session
)
