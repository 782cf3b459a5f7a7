// Package operators holds the people who run the gateway's console and their scripts:
// operators with a role, their passwords (argon2id), optional TOTP second factor, console
// sessions with a CSRF token each, operator API tokens, and the append-only audit log of
// what operators and merchant API keys did to orders.
package operators

import (
	"time"

	"github.com/google/uuid"

	"github.com/placetopay-gateway/gateway/internal/orders"
)

// Role is what an operator may do; see Allowed for the whole matrix.
type Role string

// The roles, from least to most trusted.
const (
	Viewer  Role = "viewer"  // reads everything, changes nothing
	Support Role = "support" // also queries PlacetoPay, redelivers events, refunds and cancels
	Admin   Role = "admin"   // also captures, releases, resolves reviews, settles unknown actions, pauses delivery
)

// ParseRole returns the role named s.
func ParseRole(s string) (Role, error) {
	switch r := Role(s); r {
	case Viewer, Support, Admin:
		return r, nil
	}
	return "", &orders.Error{Code: orders.EInvalid, Field: "role", Message: "must be viewer, support or admin"}
}

// Operator is one person (or their scripts) allowed into the console.
type Operator struct {
	ID          uuid.UUID
	Email       string
	Role        Role
	Enrolled    bool // has set a password
	TOTP        bool // has a second factor
	DisabledAt  *time.Time
	LockedUntil *time.Time
	CreatedAt   time.Time
}

// Actions an operator may take on the admin API, by name (also the audit log's action and
// the operator action metric's label).
const (
	ActionQuery     = "query"
	ActionRefund    = "refund"
	ActionCancel    = "cancel"
	ActionCapture   = "capture"
	ActionRelease   = "release"
	ActionResolve   = "resolve"
	ActionSettle    = "settle"
	ActionRedeliver = "redeliver"
	// Merchant event delivery as a whole, not one order's.
	ActionRedeliverSince = "redeliver_since"
	ActionPauseDelivery  = "pause_delivery"
	ActionResumeDelivery = "resume_delivery"
	// ActionManageKeys creates and revokes merchant API keys: not an action on an order
	// (Actions leaves it out), and its audit rows say which (api_key.create, api_key.revoke).
	ActionManageKeys = "manage_keys"
	// ActionManageEndpoints creates, disables, enables, rotates and replays webhook
	// endpoints (audit rows webhook_endpoint.*).
	ActionManageEndpoints = "manage_endpoints"
)

// allowed is the role matrix: the least role each action needs. Reading needs viewer.
// Support answers customers: it may look again at PlacetoPay, send an event again, give
// money back and cancel an unpaid order. Moving money a preauthorization holds and
// overriding what the machine decided (review, unknown outcomes) is for admins, and so is
// handing out or taking back the merchant's API keys.
var allowed = map[string]Role{
	ActionQuery:     Support,
	ActionRedeliver: Support,
	ActionRefund:    Support,
	ActionCancel:    Support,
	ActionCapture:   Admin,
	ActionRelease:   Admin,
	ActionResolve:   Admin,
	ActionSettle:    Admin,
	// Sending every event of a period again is support's, as one event is; stopping (and
	// restarting) delivery to the merchant altogether is an admin's.
	ActionRedeliverSince: Support,
	ActionPauseDelivery:  Admin,
	ActionResumeDelivery: Admin,

	ActionManageKeys:      Admin,
	ActionManageEndpoints: Admin,
}

var rank = map[Role]int{Viewer: 1, Support: 2, Admin: 3}

// Allowed reports whether role may take action. Unknown actions are refused.
func Allowed(role Role, action string) bool {
	need, ok := allowed[action]
	return ok && rank[role] >= rank[need]
}

// Actions lists every action on orders and events the matrix knows, for tests and
// documentation; ActionManageKeys and ActionManageEndpoints are the matrix's only other entries.
func Actions() []string {
	return []string{ActionQuery, ActionRefund, ActionCancel, ActionCapture, ActionRelease, ActionResolve, ActionSettle, ActionRedeliver,
		ActionRedeliverSince, ActionPauseDelivery, ActionResumeDelivery}
}
