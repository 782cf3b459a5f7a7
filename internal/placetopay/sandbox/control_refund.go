package sandbox

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	pp "github.com/placetopay-gateway/gateway/internal/placetopay"
)

// refundRequest is POST /sandbox/transactions/{internalReference}/refund. An empty Amount
// is everything the transaction has left.
type refundRequest struct {
	Amount pp.Decimal `json:"amount,omitempty"`
}

// handleControlRefund is POST /sandbox/transactions/{internalReference}/refund {"amount"?}:
// a refund made in PlacetoPay's panel, not through the API. Like the panel's, it sends no
// notification; the session's query then lists the payment refunded (refunded: true) once
// nothing is left of it. PlacetoPay's refunded is a boolean, so a refund of part of a payment
// shows in no query. It answers the refunded transaction: 404 no such transaction, 409 one
// that cannot be refunded (not approved, refunded already, a preauthorization captured or
// released, itself a refund), 422 an amount that is not a positive decimal with at most two
// places within what is left.
func (sb *Sandbox) handleControlRefund(w http.ResponseWriter, r *http.Request) {
	var req refundRequest
	if !sb.decodeControl(w, r, &req) {
		return
	}
	ref, err := strconv.ParseInt(r.PathValue("internalReference"), 10, 64)
	if err != nil || ref <= 0 {
		sb.controlError(w, http.StatusNotFound, "no transaction "+r.PathValue("internalReference"))
		return
	}
	var cents int64
	if raw := strings.TrimSpace(string(req.Amount)); raw != "" {
		if cents, err = pp.Decimal(raw).Minor(2); err != nil || cents <= 0 {
			sb.controlError(w, http.StatusUnprocessableEntity, "the amount "+strconv.Quote(raw)+" is not a positive amount with at most two decimals")
			return
		}
	}
	var view TransactionRecord
	code, msg := http.StatusOK, ""
	sb.locked(func(now time.Time) {
		t := sb.txLocked(ref, now)
		if t == nil {
			code, msg = http.StatusNotFound, "no transaction "+r.PathValue("internalReference")
			return
		}
		var amount *amountRequest
		if cents > 0 {
			if left := t.remainingCents(); cents > left {
				code, msg = http.StatusUnprocessableEntity, "the amount exceeds the "+money{Currency: t.Amount.Currency, Cents: left}.String()+" transaction "+r.PathValue("internalReference")+" has left"
				return
			}
			amount = &amountRequest{Currency: t.Amount.Currency, Total: pp.Decimal(formatCents(cents))}
		}
		if _, refusal := sb.reverseLocked(t, amount, false, now); refusal != nil {
			code, msg = http.StatusConflict, refusal.Message
			return
		}
		view = sb.transactionRecord(t)
	})
	if msg != "" {
		sb.controlError(w, code, msg)
		return
	}
	sb.writeJSON(w, http.StatusOK, view)
}
