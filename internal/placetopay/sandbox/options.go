package sandbox

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"
	"time"

	pp "github.com/placetopay-gateway/gateway/internal/placetopay"
)

// Dispersion and recurring payments (docs/placetopay.md#request-validation and #recurring-payments; the "Create a Session"
// document): a dispersion splits the total between up to three agreements, in the payment's
// currency, adding up exactly to it, and is neither partial nor a preauthorization; a
// recurrence has a periodicity (D, M, Y), an interval of at least 1, maxPeriods (-1 for no
// limit) and an optional future nextPayment; it is never partial.

// dispersionDest is one destination of a dispersion session.
type dispersionDest struct {
	Agreement     string // as sent (the documents show numbers and numeric strings); empty for the site's own
	AgreementType string
	Amount        money
}

// recurringPlan is a session's payment.recurring.
type recurringPlan struct {
	Periodicity     string
	Interval        int64
	MaxPeriods      int64
	NotificationURL string
}

type dispersionRequest struct {
	Agreement     json.RawMessage `json:"agreement"`
	AgreementType string          `json:"agreementType"`
	Amount        amountRequest   `json:"amount"`
}

type recurringRequest struct {
	Periodicity     string    `json:"periodicity"`
	Interval        pp.Int64  `json:"interval"`
	NextPayment     string    `json:"nextPayment"`
	MaxPeriods      *pp.Int64 `json:"maxPeriods"`
	DueDate         string    `json:"dueDate"`
	NotificationURL string    `json:"notificationUrl"`
}

// options checks and reads the dispersion and the recurrence of p, a payment of a session
// of type typ, at now.
func (p *paymentRequest) options(typ string, now time.Time) ([]dispersionDest, *recurringPlan, *apiError) {
	var dests []dispersionDest
	if len(p.Dispersion) > 0 {
		if p.AllowPartial {
			return nil, nil, invalid("A dispersion payment cannot be partial.")
		}
		if typ == "checkin" {
			return nil, nil, invalid("A preauthorization cannot be a dispersion payment.")
		}
		total, _ := p.Amount.parse(false) // validated by the caller
		var sum int64
		for i, raw := range p.Dispersion {
			var d dispersionRequest
			if err := json.Unmarshal(raw, &d); err != nil {
				return nil, nil, invalid("The dispersion %d is not valid.", i)
			}
			agreement := string(bytes.Trim(bytes.TrimSpace(d.Agreement), `"`))
			if agreement == "null" {
				agreement = ""
			}
			m, err := d.Amount.parse(false)
			switch {
			case err != nil:
				return nil, nil, invalid("The dispersion %d amount is not valid: %v.", i, err)
			case m.Currency != total.Currency:
				return nil, nil, invalid("The dispersion currencies must be the payment currency.")
			case d.AgreementType != "MERCHANT" && d.AgreementType != "AIRLINE":
				return nil, nil, invalid("The dispersion %d agreementType must be MERCHANT or AIRLINE.", i)
			}
			sum += m.Cents
			dests = append(dests, dispersionDest{Agreement: agreement, AgreementType: d.AgreementType, Amount: m})
		}
		if sum != total.Cents {
			return nil, nil, invalid("The sum of the dispersion amounts must be equal to the payment total.")
		}
	}
	if len(p.Recurring) == 0 || string(p.Recurring) == "null" {
		return dests, nil, nil
	}
	var r recurringRequest
	if err := json.Unmarshal(p.Recurring, &r); err != nil {
		return nil, nil, invalid("The recurring field is not valid.")
	}
	today := now.UTC().Truncate(24 * time.Hour)
	switch {
	case r.Periodicity != "D" && r.Periodicity != "M" && r.Periodicity != "Y":
		return nil, nil, invalid("The recurring periodicity must be D, M or Y.")
	case r.Interval < 1:
		return nil, nil, invalid("The recurring interval must be at least 1.")
	case r.MaxPeriods == nil:
		return nil, nil, invalid("The recurring maxPeriods field is required.")
	case *r.MaxPeriods != -1 && *r.MaxPeriods < 1:
		return nil, nil, invalid("The recurring maxPeriods must be -1 or at least 1.")
	}
	if r.NextPayment != "" {
		d, err := time.Parse(time.DateOnly, r.NextPayment)
		if err != nil || d.Before(today) {
			return nil, nil, invalid("The recurring nextPayment must be a future date (YYYY-MM-DD).")
		}
	}
	if r.DueDate != "" {
		if _, err := time.Parse(time.DateOnly, r.DueDate); err != nil {
			return nil, nil, invalid("The recurring dueDate must be a date (YYYY-MM-DD).")
		}
	}
	if e := checkURL("recurring notificationUrl", r.NotificationURL, false); e != nil {
		return nil, nil, e
	}
	return dests, &recurringPlan{Periodicity: r.Periodicity, Interval: int64(r.Interval), MaxPeriods: int64(*r.MaxPeriods),
		NotificationURL: r.NotificationURL}, nil
}

// transactionDispersionJSON is a TransactionDispersion: one destination's part of a payment.
type transactionDispersionJSON struct {
	Status            statusJSON       `json:"status"`
	InternalReference int64            `json:"internalReference"`
	Agreement         any              `json:"agreement"`
	AgreementType     string           `json:"agreementType"`
	Amount            amountConversion `json:"amount"`
	Authorization     string           `json:"authorization"`
	Receipt           string           `json:"receipt"`
	Franchise         string           `json:"franchise"`
	Refunded          bool             `json:"refunded"`
	PaymentMethod     string           `json:"paymentMethod"`
}

// disperseLocked gives a payment of a dispersion session one part per destination, each with
// its own internal reference; the parts share the payment's outcome.
func (sb *Sandbox) disperseLocked(t *transaction) {
	if t.Session == nil || t.Kind != txPayment {
		return
	}
	for range t.Session.Dispersion {
		t.PartRefs = append(t.PartRefs, sb.newID())
	}
}

// dispersionView is the dispersion of t as a query shows it, or nil.
func dispersionView(t *transaction) []transactionDispersionJSON {
	if t.Session == nil || len(t.PartRefs) != len(t.Session.Dispersion) || len(t.PartRefs) == 0 {
		return nil
	}
	var out []transactionDispersionJSON
	for i, d := range t.Session.Dispersion {
		base := amountBase{Currency: d.Amount.Currency, Total: d.Amount.total()}
		var agreement any // null for the site's own, a number when numeric, as the documents show
		if n, err := strconv.ParseInt(d.Agreement, 10, 64); err == nil {
			agreement = n
		} else if d.Agreement != "" {
			agreement = d.Agreement
		}
		out = append(out, transactionDispersionJSON{
			Status: statusOf(t.State), InternalReference: t.PartRefs[i], Agreement: agreement, AgreementType: d.AgreementType,
			Amount: amountConversion{From: base, To: base, Factor: "1"}, Authorization: t.Authorization, Receipt: t.Receipt,
			Franchise: t.Card.Brand.Franchise, Refunded: t.Refunded, PaymentMethod: t.Card.Brand.Method,
		})
	}
	return out
}

// recurringNotificationBody is the notification of a recurring charge (docs/placetopay.md#recurring-charge-notifications): no
// requestId, the charge's internalReference, and the recurrence's state.
type recurringNotificationBody struct {
	Status            statusJSON `json:"status"`
	InternalReference int64      `json:"internalReference"`
	Reference         string     `json:"reference"`
	Signature         string     `json:"signature"`
	Recurring         struct {
		Tries   int `json:"tries"`
		Enabled int `json:"enabled"`
	} `json:"recurring"`
}

// recurringChargeRequest is POST /sandbox/sessions/{id}/recurring-charge.
type recurringChargeRequest struct {
	Status string `json:"status,omitempty"` // APPROVED (the default) or REJECTED
}

// handleControlRecurringCharge is POST /sandbox/sessions/{id}/recurring-charge {"status":
// "APPROVED"|"REJECTED"}: the sandbox does not run PlacetoPay's recurrence schedule, so a
// test makes the next charge of an approved recurring session happen now. The charge is a
// new transaction of the session's amount on the card of its approved payment; as at
// PlacetoPay, it is not shown by the session query. Its notification is signed over the
// charge's internalReference in place of a requestId (the documents leave this formula
// unstated; docs/placetopay.md#recurring-charge-notifications) and posted to the recurrence's notificationUrl, or to the
// site's notification URL when it has none. 404 unknown session, 409 not an approved
// recurring session.
func (sb *Sandbox) handleControlRecurringCharge(w http.ResponseWriter, r *http.Request) {
	var req recurringChargeRequest
	if !sb.decodeControl(w, r, &req) {
		return
	}
	if req.Status == "" {
		req.Status = pp.StatusApproved
	}
	if req.Status != pp.StatusApproved && req.Status != pp.StatusRejected {
		sb.controlError(w, http.StatusUnprocessableEntity, "status must be APPROVED or REJECTED")
		return
	}
	id, _ := strconv.ParseInt(r.PathValue("id"), 10, 64)
	var out RecurringChargeRecord
	code, msg := http.StatusOK, ""
	sb.locked(func(now time.Time) {
		s := sb.sessionLocked(id, now)
		switch {
		case s == nil:
			code, msg = http.StatusNotFound, "no session "+r.PathValue("id")
			return
		case s.Recurring == nil || s.State.Status != pp.StatusApproved || lastApproved(s) == nil:
			code, msg = http.StatusConflict, "session "+r.PathValue("id")+" is not an approved recurring payment"
			return
		}
		t := sb.newTxLocked(nil, txRecurring, s.Amount, lastApproved(s).Card)
		t.Reference = s.Reference
		if req.Status == pp.StatusApproved {
			sb.approveLocked(t, now)
		} else {
			t.State = sb.stateAt(now, pp.StatusRejected, "05", "Declined by the issuer")
			t.Authorization = "000000"
		}
		s.RecurringCharges = append(s.RecurringCharges, t)
		body := sb.notifyRecurringLocked(s, t)
		out.TransactionRecord = sb.transactionRecord(t)
		out.RequestID = s.ID
		out.Notification = body
	})
	if msg != "" {
		sb.controlError(w, code, msg)
		return
	}
	sb.writeJSON(w, http.StatusOK, out)
}

// notifyRecurringLocked records the notification of recurring charge t of session s, with
// the faults drawn for it, and returns its body.
func (sb *Sandbox) notifyRecurringLocked(s *session, t *transaction) json.RawMessage {
	f := sb.faults.draw()
	site := sb.cfg.site(s.Login)
	secret := site.SecretKey
	if f.Corrupt {
		secret += "-corrupted"
	}
	sig, err := pp.NotificationSignature(sb.cfg.Signature, t.Ref, t.State.Status, t.State.Date, secret)
	if err != nil { // the algorithm was validated by New
		panic(err)
	}
	b := recurringNotificationBody{Status: statusOf(t.State), InternalReference: t.Ref, Reference: s.Reference, Signature: sig}
	b.Recurring.Tries, b.Recurring.Enabled = 1, 1
	body, err := json.Marshal(b)
	if err != nil {
		panic(err)
	}
	sb.enqueueLocked(&notification{RequestID: s.ID, Status: t.State.Status, Body: body, URL: s.Recurring.NotificationURL, DueAt: t.State.At}, f)
	return body
}
