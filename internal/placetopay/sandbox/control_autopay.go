package sandbox

import (
	"net/http"
	"strconv"
	"time"

	pp "github.com/placetopay-gateway/gateway/internal/placetopay"
)

// autopayChargeRequest is POST /sandbox/autopay/{id}/charge.
type autopayChargeRequest struct {
	Amount      *amountRequest `json:"amount,omitempty"`
	Outcome     string         `json:"outcome,omitempty"`
	Settlements int            `json:"settlements,omitempty"`
}

// handleControlAutopayCharge is POST /sandbox/autopay/{id}/charge {"amount": {currency,
// total}, "outcome": "approve"|"fail", "settlements": n}: the sandbox does not run
// PlacetoPay's autopay schedule, so a test charges an autopay's token when it wants to. The
// amount defaults to a FIXED autopay's amount. An approved charge is posted to the
// merchant's /autopay/settlement synchronously, settlements times (1 by default, up to 5:
// PlacetoPay may deliver a settlement more than once); a failed one (declined, reason 05)
// sends the AUTOPAY_TRANSACTION_FAILED webhook. Both are listed by /autopay/transactions.
func (sb *Sandbox) handleControlAutopayCharge(w http.ResponseWriter, r *http.Request) {
	var req autopayChargeRequest
	if !sb.decodeControl(w, r, &req) {
		return
	}
	switch {
	case req.Outcome != "" && req.Outcome != "approve" && req.Outcome != "fail":
		sb.controlError(w, http.StatusUnprocessableEntity, "outcome must be approve or fail")
		return
	case req.Settlements < 0 || req.Settlements > 5:
		sb.controlError(w, http.StatusUnprocessableEntity, "settlements must be between 1 and 5")
		return
	case req.Settlements == 0:
		req.Settlements = 1
	}
	var view ChargeRecord
	var settlement *AutopayCall
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
		a.Charges = append(a.Charges, t)
		if req.Outcome == "fail" {
			sb.resolveLocked(t, deny, now)
			sb.autopayWebhookLocked(a, autopayTxFailed, map[string]string{"transactionID": strconv.FormatInt(t.Ref, 10)}, now)
		} else {
			sb.approveLocked(t, now)
			settlement = sb.settlementLocked(a, t)
		}
		view.TransactionRecord = sb.transactionRecord(t)
	})
	if msg != "" {
		sb.controlError(w, code, msg)
		return
	}
	if settlement != nil && settlement.Outcome == "pending" {
		for range req.Settlements {
			view.Settlements = append(view.Settlements, sb.deliverAutopay(settlement))
		}
	}
	sb.writeJSON(w, http.StatusOK, view)
}
