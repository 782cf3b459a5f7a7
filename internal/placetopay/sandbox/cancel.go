package sandbox

import (
	"net/http"
	"time"

	pp "github.com/placetopay-gateway/gateway/internal/placetopay"
)

// Like the rest of the state machine (machine.go), this runs with sb.mu held.

// cancelByMerchantLocked is POST /api/session/{id}/cancel (docs/placetopay.md#cancel-a-session).
func (sb *Sandbox) cancelByMerchantLocked(s *session, now time.Time) *apiError {
	if s.State.Status != pp.StatusPending || s.approvedCents() > 0 || s.inProgress() != nil {
		return refuse(http.StatusBadRequest, "action_not_allowed", "Sessions that are not pending cannot be cancelled")
	}
	sb.finishLocked(s, sb.stateAt(now, pp.StatusRejected, "MC", msgMerchantCancel), true)
	return nil
}

// cancelByPayerLocked is the hosted page's cancel button: it ends the session, keeping what
// was already approved of a partial one.
func (sb *Sandbox) cancelByPayerLocked(s *session, now time.Time) *apiError {
	switch {
	case s.State.final():
		return nil
	case s.inProgress() != nil:
		return refuse(http.StatusConflict, "", "a payment is being processed; the session cannot be cancelled now")
	case s.approvedCents() > 0:
		sb.finishLocked(s, sb.stateAt(now, pp.StatusPartialExpired, "PX", msgPartialExpired), true)
	default:
		sb.finishLocked(s, sb.stateAt(now, pp.StatusRejected, "?C", msgUserCancelled), true)
	}
	return nil
}
