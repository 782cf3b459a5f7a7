package sandbox

import (
	"net/http"
	"time"

	pp "github.com/placetopay-gateway/gateway/internal/placetopay"
)

// handleControlAutopayCharge is POST /sandbox/autopay/{id}/charge {"amount": {currency,
// total}}: the sandbox does not run PlacetoPay's autopay schedule, so a test charges an
// autopay's token when it wants to. The amount defaults to a FIXED autopay's amount. The
// charge is approved and listed by /autopay/transactions and /sandbox/approvals.
func (sb *Sandbox) handleControlAutopayCharge(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Amount *amountRequest `json:"amount"`
	}
	if err := decodeControl(w, r, &req); err != nil {
		sb.controlError(w, http.StatusBadRequest, "malformed body: "+err.Error())
		return
	}
	var view controlTx
	code, msg := http.StatusOK, ""
	sb.locked(func(now time.Time) {
		a := sb.autopays[r.PathValue("id")]
		switch {
		case a == nil:
			code, msg = http.StatusNotFound, "no autopay "+r.PathValue("id")
			return
		case a.State.Status != pp.StatusApproved:
			code, msg = http.StatusConflict, "autopay "+a.ID+" is cancelled"
			return
		}
		var amount money
		switch {
		case req.Amount != nil:
			m, err := req.Amount.parse(false)
			if err != nil {
				code, msg = http.StatusUnprocessableEntity, err.Error()
				return
			}
			amount = m
		case a.Amount != nil:
			amount = *a.Amount
		default:
			code, msg = http.StatusUnprocessableEntity, "autopay "+a.ID+" has no fixed amount: send one"
			return
		}
		t := sb.newTxLocked(nil, txAutopay, amount, a.Token.Card)
		t.Reference = a.Reference
		sb.approveLocked(t, now)
		a.Charges = append(a.Charges, t)
		view = sb.controlTxView(t)
	})
	if msg != "" {
		sb.controlError(w, code, msg)
		return
	}
	sb.writeJSON(w, http.StatusOK, view)
}
