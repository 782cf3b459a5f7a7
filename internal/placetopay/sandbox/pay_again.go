package sandbox

import (
	"net/http"
	"strings"
	"time"

	pp "github.com/placetopay-gateway/gateway/internal/placetopay"
)

// payAgainLocked charges card a once more for the whole amount of an approved payment
// session: a shopper who paid in one tab and pays again in another, which PlacetoPay's page
// does not always prevent. The session gets a second approved transaction of the same amount
// and reference, and its approval is dated and notified anew (a notification is signed over
// the status date, so the new one is not a replay of the first). The merchant's query then
// shows two approved payments for one order: a double payment.
//
// Only a plain payment session that is APPROVED takes it (no preauthorization, no
// confirmation flow, no amount), with a card that approves at once; and not in the second
// its approval is dated, whose notification would read exactly as the first (move the clock
// first).
func (sb *Sandbox) payAgainLocked(s *session, a cardAttempt, amount string, now time.Time) *apiError {
	switch {
	case strings.TrimSpace(amount) != "":
		return refuse(http.StatusUnprocessableEntity, "", "again pays the session's whole amount: send no amount")
	case s.Kind != kindPayment || s.Checkin || s.Confirm:
		return refuse(http.StatusConflict, "", "session %d is not a plain payment session: only those can be paid again", s.ID)
	case s.State.Status != pp.StatusApproved:
		return refuse(http.StatusConflict, "", "session %d is %s: again pays an APPROVED session", s.ID, s.State.Status)
	case a.outcome(s.Amount) != approve:
		return refuse(http.StatusUnprocessableEntity, "", "again takes a card that approves at once; GET /sandbox/cards lists them")
	case sb.date(now) == s.State.Date:
		return refuse(http.StatusConflict, "", "session %d was approved this very second: its new approval would be notified exactly as the first; advance the clock (POST /sandbox/clock) or wait a second", s.ID)
	}
	t := sb.newTxLocked(s, txPayment, s.Amount, a.Card)
	t.Reference = s.Reference
	sb.disperseLocked(t)
	s.Payments = append(s.Payments, t)
	sb.approveLocked(t, now)
	s.Notice = notice{Kind: noticeApproved, Card: a.Card}
	s.State = sb.stateAt(now, pp.StatusApproved, "00", msgApproved)
	sb.notifyLocked(s)
	return nil
}
