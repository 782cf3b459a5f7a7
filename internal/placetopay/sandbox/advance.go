package sandbox

import (
	"time"

	pp "github.com/placetopay-gateway/gateway/internal/placetopay"
)

// Like the rest of the state machine (machine.go), this runs with sb.mu held.

// advanceLocked applies, in time order, everything that came due in s up to now: pending
// payments resolving, confirmation windows closing, the session expiring.
func (sb *Sandbox) advanceLocked(s *session, now time.Time) {
	for {
		var next *transaction
		var at time.Time
		for _, t := range s.Payments {
			due := t.ResolveAt
			if t.status() == pp.StatusPendingConfirmation {
				due = t.ConfirmBy
			} else if t.status() != pp.StatusPending {
				continue
			}
			if !due.After(now) && (next == nil || due.Before(at)) {
				next, at = t, due
			}
		}
		if next == nil {
			break
		}
		if next.status() == pp.StatusPending {
			sb.resolveLocked(next, next.Resolves, at)
			sb.settleLocked(s, at)
			continue
		}
		next.State = sb.stateAt(at, pp.StatusRejected, sb.cfg.ExpiryReason, msgConfirmExpired)
		next.ConfirmExpired = true
		sb.finishLocked(s, sb.stateAt(at, pp.StatusRejected, sb.cfg.ExpiryReason, msgConfirmExpired), true)
	}
	if s.State.final() || s.inProgress() != nil || now.Before(s.ExpiresAt) {
		return
	}
	at := s.ExpiresAt
	for _, t := range s.Payments {
		if t.State.At.After(at) {
			at = t.State.At
		}
	}
	if s.approvedCents() > 0 {
		sb.finishLocked(s, sb.stateAt(at, pp.StatusPartialExpired, "PX", msgPartialExpired), true)
		return
	}
	sb.finishLocked(s, sb.stateAt(at, pp.StatusRejected, sb.cfg.ExpiryReason, msgExpired), !sb.cfg.SkipExpiryNotification)
}
