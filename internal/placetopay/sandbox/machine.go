package sandbox

import (
	"net/http"
	"time"

	pp "github.com/placetopay-gateway/gateway/internal/placetopay"
)

// The session state machine (docs/placetopay.md#statuses and #where-the-documents-are-silent). Every function here runs with sb.mu
// held and takes the time of the event it applies, which is not always "now": pending
// payments and expiries that came due between two requests are applied at the time they
// were due, in order, so their dates do not depend on when someone looked.

// Session status texts.
const (
	msgPending         = "The request is pending"
	msgApproved        = "The petition has been successfully approved"
	msgPartial         = "The request is partially approved"
	msgPartialExpired  = "The request has expired or been cancelled and payments have been made"
	msgUserCancelled   = "The payment process has been cancelled by the user"
	msgMerchantCancel  = "The request has been cancelled by the merchant"
	msgExpired         = "The request has expired"
	msgAttempts        = "The request has been rejected: the limit of payment attempts was reached"
	msgRejected        = "The request has been rejected"
	msgConfirmExpired  = "The confirmation window expired"
	msgConfirmCanceled = "Cancelled by the merchant"
)

// stateAt builds a status entered at t.
func (sb *Sandbox) stateAt(t time.Time, status, reason, message string) state {
	return state{Status: status, Reason: reason, Message: message, At: t, Date: sb.date(t)}
}

func (sb *Sandbox) date(t time.Time) string { return t.In(sb.cfg.Location).Format(time.RFC3339) }

// payableLocked explains why s cannot take a payment now, or returns nil.
func (sb *Sandbox) payableLocked(s *session, now time.Time) *apiError {
	switch {
	case s.Kind == kindCollect:
		return refuse(http.StatusConflict, "", "session %d is a collect: it is charged through /api/collect", s.ID)
	case s.State.final():
		return refuse(http.StatusConflict, "", "session %d is %s", s.ID, s.State.Status)
	case s.inProgress() != nil:
		return refuse(http.StatusConflict, "", "session %d has a payment being processed", s.ID)
	case !now.Before(s.ExpiresAt):
		return refuse(http.StatusConflict, "", "session %d has expired", s.ID)
	case s.Kind == kindAutopay && s.Autopay.Action == "EDIT" && sb.autopays[s.Autopay.ID].State.Status != pp.StatusApproved:
		return refuse(http.StatusConflict, "", "the autopay %s this session edits was cancelled", s.Autopay.ID)
	}
	return nil
}

// payLocked applies a card to s as the hosted page or the control API does. amount is the
// part a partial session pays (nil: everything still due).
func (sb *Sandbox) payLocked(s *session, a cardAttempt, amount *money, now time.Time) *apiError {
	if err := sb.payableLocked(s, now); err != nil {
		return err
	}
	if s.Kind == kindSubscription || s.Kind == kindAutopay {
		sb.tokenizeLocked(s, a, now)
		return nil
	}
	due := s.remaining()
	if amount != nil {
		switch {
		case amount.Currency != due.Currency:
			return refuse(http.StatusUnprocessableEntity, "", "the amount must be in %s", due.Currency)
		case amount.Cents > due.Cents:
			return refuse(http.StatusUnprocessableEntity, "", "the amount exceeds the %s still due", due)
		case !s.AllowPartial && amount.Cents != due.Cents:
			return refuse(http.StatusUnprocessableEntity, "", "session %d is not partial: it takes %s at once", s.ID, due)
		}
		due = *amount
	}
	sb.chargeLocked(s, a, due, now)
	return nil
}

// chargeLocked charges card a for due in s: a new transaction with the card's outcome.
func (sb *Sandbox) chargeLocked(s *session, a cardAttempt, due money, now time.Time) {
	kind := txPayment
	if s.Checkin {
		kind = txPreauth
	}
	t := sb.newTxLocked(s, kind, due, a.Card)
	t.Reference = s.Reference
	sb.disperseLocked(t)
	s.Payments = append(s.Payments, t)
	switch out := a.outcome(due); out {
	case approve, deny:
		sb.resolveLocked(t, out, now)
	default:
		delay := a.Card.Delay
		if delay == 0 {
			delay = sb.cfg.PendingDelay
		}
		t.State = sb.stateAt(now, pp.StatusPending, "?-", "The transaction is pending")
		t.Authorization = "000000"
		t.ResolveAt, t.Resolves = now.Add(delay), approve
		if out == pendingReject {
			t.Resolves = deny
		}
		s.Notice = notice{Kind: noticePending, Card: a.Card, At: t.ResolveAt}
	}
	sb.settleLocked(s, now)
}

// resolveLocked gives a transaction its outcome at t.
func (sb *Sandbox) resolveLocked(t *transaction, out behaviour, at time.Time) {
	s := t.Session
	if out != approve {
		t.State = sb.stateAt(at, pp.StatusRejected, "05", "Declined by the issuer")
		t.Authorization = "000000"
		if s != nil {
			s.Rejected++
			s.Notice = notice{Kind: noticeDeclined, Card: t.Card}
		}
		return
	}
	if s != nil && s.Confirm {
		t.State = sb.stateAt(at, pp.StatusPendingConfirmation, "PT", "The transaction is pending confirmation")
		t.Authorization = randomDigits(6)
		t.ConfirmBy = at.Add(sb.cfg.ConfirmWindow)
		s.Notice = notice{Kind: noticeToConfirm, Card: t.Card}
		return
	}
	sb.approveLocked(t, at)
	if s != nil {
		s.Notice = notice{Kind: noticeApproved, Card: t.Card}
	}
}

// approveLocked marks t APPROVED and records it as an approval.
func (sb *Sandbox) approveLocked(t *transaction, at time.Time) {
	t.State = sb.stateAt(at, pp.StatusApproved, "00", "Approved")
	if t.Authorization == "" || t.Authorization == "000000" {
		t.Authorization = randomDigits(6)
	}
	if t.Kind == txPreauth {
		t.Hold = t.Amount.Cents
	}
	sb.approvals = append(sb.approvals, t)
}

// settleLocked moves s to the status its payments call for after an event at t.
func (sb *Sandbox) settleLocked(s *session, at time.Time) {
	if s.State.final() {
		return
	}
	approved := s.approvedCents()
	busy := s.inProgress() != nil
	switch {
	case approved > 0 && (!s.AllowPartial || approved >= s.Amount.Cents):
		if s.Subscribe && s.Token == nil {
			s.Token = sb.newTokenLocked(s, lastApproved(s).Card, at)
		}
		sb.finishLocked(s, sb.stateAt(at, pp.StatusApproved, "00", msgApproved), true)
	case busy: // the payment in progress decides
	case s.Kind == kindCollect && len(s.Payments) > 0:
		sb.finishLocked(s, sb.stateAt(at, pp.StatusRejected, "XN", msgRejected), true)
	case s.Rejected >= sb.cfg.AttemptsLimit && approved > 0:
		sb.finishLocked(s, sb.stateAt(at, pp.StatusPartialExpired, "PX", msgPartialExpired), true)
	case s.Rejected >= sb.cfg.AttemptsLimit:
		sb.finishLocked(s, sb.stateAt(at, pp.StatusRejected, "XN", msgAttempts), true)
	case approved > 0 && s.State.Status != pp.StatusApprovedPartial:
		s.State = sb.stateAt(at, pp.StatusApprovedPartial, "P0", msgPartial)
	}
}

func lastApproved(s *session) *transaction {
	for i := len(s.Payments) - 1; i >= 0; i-- {
		if k := s.Payments[i].Kind; s.Payments[i].status() == pp.StatusApproved && k != txReauth && k != txCapture {
			return s.Payments[i]
		}
	}
	return nil
}

// finishLocked puts s in its final state st and, unless told not to, notifies it.
func (sb *Sandbox) finishLocked(s *session, st state, notify bool) {
	s.State = st
	delete(sb.open, s.ID)
	if notify {
		sb.notifyLocked(s)
	}
}

// tokenizeLocked applies a card to a subscription or autopay session: the pending cards
// take their final outcome at once, since these sessions have no payment to wait on.
func (sb *Sandbox) tokenizeLocked(s *session, a cardAttempt, now time.Time) {
	switch a.outcome(money{}) {
	case approve, pendingApprove:
		s.Token = sb.newTokenLocked(s, a.Card, now)
		if s.Kind == kindAutopay {
			sb.enrollLocked(s, now)
		}
		s.Notice = notice{Kind: noticeSaved, Card: a.Card}
		sb.finishLocked(s, sb.stateAt(now, pp.StatusApproved, "00", msgApproved), true)
	default:
		s.Rejected++
		s.Notice = notice{Kind: noticeSaveDeclined, Card: a.Card}
		sb.settleLocked(s, now)
	}
}
