package sandbox

import (
	"net/http"
	"time"

	pp "github.com/placetopay-gateway/gateway/internal/placetopay"
)

type transactionRequest struct {
	InternalReference pp.Int64       `json:"internalReference"`
	Action            string         `json:"action"`
	Amount            *amountRequest `json:"amount"`
}

// transactionResponse is the answer to /api/transaction and /api/reverse: a status and
// the transaction the action produced or changed.
type transactionResponse struct {
	Status  statusJSON      `json:"status"`
	Payment transactionJSON `json:"payment"`
}

// handleTransaction is POST /api/transaction (docs/placetopay.md#transaction-actions).
func (sb *Sandbox) handleTransaction(w http.ResponseWriter, r *http.Request, body []byte) {
	sb.transactionAction(w, loginOf(r), body, false)
}

// handleLegacyReverse is the deprecated POST /api/reverse (docs/placetopay.md#legacy-reverse): a reverse action that
// says BR when the transaction was already reversed.
func (sb *Sandbox) handleLegacyReverse(w http.ResponseWriter, r *http.Request, body []byte) {
	sb.transactionAction(w, loginOf(r), body, true)
}

func (sb *Sandbox) transactionAction(w http.ResponseWriter, login string, body []byte, legacy bool) {
	var req transactionRequest
	if e := decode(body, &req); e != nil {
		sb.refusal(w, e)
		return
	}
	if legacy {
		req.Action = "reverse"
	}
	if req.InternalReference == 0 {
		sb.refusal(w, invalid("The internalReference field is required."))
		return
	}
	var resp transactionResponse
	var refusal *apiError
	sb.locked(func(now time.Time) {
		t := sb.txLocked(int64(req.InternalReference), now)
		if t == nil || (t.Session != nil && !t.Session.ownedBy(login, sb.cfg.Login)) {
			refusal = invalid("The transaction you are looking for does not exist")
			return
		}
		var result *transaction
		switch req.Action {
		case "reverse":
			result, refusal = sb.reverseLocked(t, req.Amount, legacy, now)
		case "checkout":
			result, refusal = sb.checkoutLocked(t, req.Amount, now)
		case "reauthorization":
			result, refusal = sb.reauthorizeLocked(t, req.Amount, now)
		case "confirm", "cancel":
			result, refusal = sb.confirmLocked(t, req.Action, now)
		default:
			refusal = invalid("The [%s] action is not supported", req.Action)
		}
		if refusal == nil {
			st := result.State
			resp = transactionResponse{Status: sb.statusAt(st.Status, st.Reason, st.Message, now), Payment: sb.transactionView(result)}
		}
	})
	if refusal != nil {
		sb.refusal(w, refusal)
		return
	}
	sb.writeJSON(w, http.StatusOK, resp)
}

// reverseLocked refunds t, fully or by amount; the refund is a new transaction.
func (sb *Sandbox) reverseLocked(t *transaction, amount *amountRequest, legacy bool, now time.Time) (*transaction, *apiError) {
	switch {
	case t.Kind == txReversal || t.Kind == txReauth:
		return nil, invalid("The [reverse] action is not supported for this transaction")
	case t.status() != pp.StatusApproved:
		return nil, invalid("Only approved transactions can be reversed")
	case t.Refunded && legacy:
		return nil, refuse(http.StatusBadRequest, "BR", "The transaction has already been reversed")
	case t.Refunded:
		return nil, invalid("Transaction already refunded")
	case t.Captured:
		return nil, invalid("The preauthorization was captured: reverse its checkout transaction")
	case t.Released:
		return nil, invalid("The preauthorization was released")
	}
	due := money{Currency: t.Amount.Currency, Cents: t.remainingCents()}
	if amount != nil {
		m, err := amount.parse(false)
		switch {
		case err != nil:
			return nil, invalid("The amount is not valid: %v.", err)
		case m.Currency != due.Currency:
			return nil, invalid("The amount must be in %s, the currency of the transaction", due.Currency)
		case m.Cents > due.Cents:
			return nil, invalid("The amount to refund exceeds the %s that can be refunded", due)
		}
		due = m
	}
	rev := sb.newTxLocked(t.Session, txReversal, due, t.Card)
	rev.Parent, rev.Reference, rev.Authorization = t, t.Reference, randomDigits(6)
	rev.State = sb.stateAt(now, pp.StatusApproved, "00", "Approved")
	t.RefundedCents += due.Cents
	t.Refunded = t.remainingCents() == 0
	return rev, nil
}

// preauthOf returns the preauthorization t is or acts on, if it is still open.
func preauthOf(t *transaction, action string) (*transaction, *apiError) {
	root := t
	if t.Kind == txReauth && t.Parent != nil {
		root = t.Parent
	}
	switch {
	case root.Kind != txPreauth:
		return nil, invalid("The [%s] action is not supported for this session", action)
	case root.status() != pp.StatusApproved || root.Captured || root.Released || root.Refunded:
		return nil, invalid("The [%s] action needs an approved preauthorization that was not captured, released or refunded", action)
	}
	return root, nil
}

// holdAmount parses the amount of checkout and reauthorization: required, in the
// preauthorization's currency.
func holdAmount(root *transaction, amount *amountRequest, action string, allowZero bool) (money, *apiError) {
	if amount == nil {
		return money{}, invalid("The amount is required for the [%s] action", action)
	}
	m, err := amount.parse(allowZero)
	switch {
	case err != nil:
		return money{}, invalid("The amount is not valid: %v.", err)
	case m.Currency != root.Amount.Currency:
		return money{}, invalid("The amount must be in %s, the currency of the preauthorization", root.Amount.Currency)
	}
	return m, nil
}

// checkoutLocked captures a preauthorization; a zero amount releases it.
func (sb *Sandbox) checkoutLocked(t *transaction, amount *amountRequest, now time.Time) (*transaction, *apiError) {
	root, refusal := preauthOf(t, "checkout")
	if refusal != nil {
		return nil, refusal
	}
	m, refusal := holdAmount(root, amount, "checkout", true)
	switch {
	case refusal != nil:
		return nil, refusal
	case m.Cents > root.Hold:
		return nil, invalid("The amount exceeds the %s authorized", money{root.Amount.Currency, root.Hold})
	case m.Cents == 0:
		root.Released = true
		return root, nil
	}
	capture := sb.newTxLocked(root.Session, txCapture, m, root.Card)
	capture.Parent, capture.Reference = root, root.Reference
	sb.approveLocked(capture, now)
	root.Captured = true
	if s := root.Session; s != nil {
		s.Payments = append(s.Payments, capture) // listed by the session's query, like a reauthorization
	}
	return capture, nil
}

// reauthorizeLocked changes the amount a preauthorization holds.
func (sb *Sandbox) reauthorizeLocked(t *transaction, amount *amountRequest, now time.Time) (*transaction, *apiError) {
	root, refusal := preauthOf(t, "reauthorization")
	if refusal != nil {
		return nil, refusal
	}
	m, refusal := holdAmount(root, amount, "reauthorization", false)
	if refusal != nil {
		return nil, refusal
	}
	re := sb.newTxLocked(root.Session, txReauth, m, root.Card)
	re.Parent, re.Reference, re.Authorization = root, root.Reference, randomDigits(6)
	re.State = sb.stateAt(now, pp.StatusApproved, "00", "Approved")
	root.Hold = m.Cents
	// The session's query lists it among the session's transactions, newest first: an
	// approved transaction of its own, which is not a second payment.
	if s := root.Session; s != nil {
		s.Payments = append(s.Payments, re)
	}
	return re, nil
}

// confirmLocked confirms or cancels a PENDING_CONFIRMATION transaction (docs/placetopay.md#confirmation-flow).
func (sb *Sandbox) confirmLocked(t *transaction, action string, now time.Time) (*transaction, *apiError) {
	s := t.Session
	switch {
	case s == nil || !s.Confirm:
		return nil, invalid("The [%s] action is not supported for this session", action)
	case t.ConfirmExpired:
		return nil, refuse(http.StatusBadRequest, "transaction_request_error", "The transaction has already expired")
	case t.status() != pp.StatusPendingConfirmation:
		return nil, invalid("The [%s] action is only available for transactions in a pending confirmation state", action)
	}
	if action == "confirm" {
		sb.approveLocked(t, now)
		sb.settleLocked(s, now)
		return t, nil
	}
	t.State = sb.stateAt(now, pp.StatusRejected, "?C", msgConfirmCanceled)
	sb.finishLocked(s, sb.stateAt(now, pp.StatusRejected, "?C", msgConfirmCanceled), true)
	return t, nil
}
