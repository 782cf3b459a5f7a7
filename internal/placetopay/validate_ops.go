package placetopay

import (
	"fmt"
	"time"
)

func validateCollect(req CollectRequest, now time.Time) *ValidationError {
	var r rules
	r.client(req.IPAddress, req.UserAgent)
	r.locale(req.Locale, "locale")
	r.check(req.Payer != nil, "payer", "required")
	r.person(req.Payer, "payer")
	r.person(req.Buyer, "buyer")
	if req.Type != "" {
		r.oneOf(req.Type, "type", SessionTypeCheckin)
	}
	r.payment(req.Payment, req.Type, now, "payment")
	r.token(req.Instrument.Token, "instrument.token")
	if req.Instrument.Pocket != "" {
		r.oneOf(req.Instrument.Pocket, "instrument.pocket", PocketSavingsUYU, PocketCurrentUYU, PocketSavingsUSD, PocketCurrentUSD)
	}
	if t := req.Instrument.Token; t != nil {
		r.check(t.CVV == "" || (digitsRE.MatchString(t.CVV) && len(t.CVV) >= 3 && len(t.CVV) <= 4), "instrument.token.cvv", "3 or 4 digits")
		r.check(t.Installments >= 0, "instrument.token.installments", "cannot be negative")
	}
	return r.err
}

// token checks that a token or a subtoken is there, within the documented lengths.
func (r *rules) token(t *Token, field string) {
	r.check(t != nil && (t.Token != "" || t.Subtoken != ""), field, "token or subtoken is required")
	if t == nil {
		return
	}
	r.maxLen(t.Token, 64, field+".token")
	r.maxLen(t.Subtoken, 16, field+".subtoken")
}

func validateInvalidateToken(req InvalidateTokenRequest) *ValidationError {
	var r rules
	r.locale(req.Locale, "locale")
	in := req.Instrument
	r.token(in.Token, "instrument.token")
	// Invalidation identifies a token; card data and charge options have no place in it.
	r.check(in.Token == nil || (in.Token.CVV == "" && in.Token.Installments == 0), "instrument.token", "only token or subtoken")
	r.check(in.Pocket == "" && in.Credit == nil, "instrument", "only a token")
	return r.err
}

func validateTransaction(req TransactionRequest) *ValidationError {
	var r rules
	r.oneOf(req.Action, "action", ActionCheckout, ActionReauthorization, ActionReverse, ActionConfirm, ActionCancel)
	r.check(req.InternalReference > 0, "internalReference", "must be positive")
	switch req.Action {
	case ActionCheckout, ActionReauthorization:
		r.check(req.Amount != nil, "amount", "required for "+req.Action)
		if req.Amount != nil {
			// A checkout of 0 releases the hold; a reauthorization sets a new, positive hold.
			r.amount(*req.Amount, "amount", req.Action == ActionReauthorization)
		}
	case ActionReverse:
		if req.Amount != nil {
			r.amount(*req.Amount, "amount", true)
		}
	case ActionConfirm, ActionCancel:
		// These act on the whole pending transaction: an amount would suggest otherwise.
		r.check(req.Amount == nil, "amount", "not allowed for "+req.Action)
	}
	return r.err
}

func validateReverse(req ReverseRequest) *ValidationError {
	var r rules
	r.check(req.InternalReference > 0, "internalReference", "must be positive")
	if req.Amount != nil {
		r.amount(*req.Amount, "amount", true)
	}
	return r.err
}

// validateAutopaySession checks a POST /autopay/session request at time now.
func validateAutopaySession(req CreateSessionRequest, now time.Time) *ValidationError {
	var r rules
	r.session(req, now)
	r.check(req.Type == SessionTypeAutopay, "type", "must be autopay")
	r.check(req.Autopay != nil, "autopay", "required")
	if req.Autopay != nil {
		r.autopay(*req.Autopay, now)
	}
	return r.err
}

func (r *rules) autopay(a AutopayRequest, now time.Time) {
	r.oneOf(a.Action, "autopay.action", "CREATE", "EDIT")
	if a.Action == "EDIT" || a.ID != "" {
		r.uuid(a.ID, "autopay.id")
	}
	r.length(a.Reference, 32, "autopay.reference")
	r.length(a.Description, 250, "autopay.description")
	r.check(a.DueDay == 0 || (a.DueDay >= 1 && a.DueDay <= 28), "autopay.dueDay", "between 1 and 28")
	r.check(a.Action != "CREATE" || a.Recurring != nil, "autopay.recurring", "required for CREATE")
	if rc := a.Recurring; rc != nil {
		r.oneOf(rc.Type, "autopay.recurring.type", "FIXED", "MINIMUM_BALANCE", "TOTAL_BALANCE")
		r.oneOf(rc.Periodicity, "autopay.recurring.periodicity", "D", "M", "Y")
		r.check(rc.Interval >= 1, "autopay.recurring.interval", "at least 1")
		r.required(rc.NextPayment, "autopay.recurring.nextPayment")
		r.date(rc.NextPayment, "autopay.recurring.nextPayment")
		if next, err := time.Parse(time.DateOnly, rc.NextPayment); err == nil {
			r.check(!next.Before(now.UTC().Truncate(24*time.Hour)), "autopay.recurring.nextPayment", "cannot be in the past")
		}
		r.date(rc.DueDate, "autopay.recurring.dueDate")
		r.date(rc.StartDate, "autopay.recurring.startDate")
		r.check(rc.MaxPeriods == nil || *rc.MaxPeriods == -1 || *rc.MaxPeriods >= 1, "autopay.recurring.maxPeriods", "-1 (no limit) or at least 1")
		r.absURL(rc.NotificationURL, "autopay.recurring.notificationUrl", false)
		r.check(rc.Type != "FIXED" || a.Amount != nil, "autopay.amount", "required for FIXED")
	}
	if a.Amount != nil {
		r.amount(*a.Amount, "autopay.amount", true)
	}
}

func validateAutopaySearch(req AutopaySearchRequest) *ValidationError {
	var r rules
	r.locale(req.Locale, "locale")
	if f := req.Filters; f != nil {
		if f.ID != "" {
			r.uuid(f.ID, "filters.id")
		}
		r.maxLen(f.Reference, 32, "filters.reference")
		for i, t := range f.ChargeTypes {
			r.oneOf(t, fmt.Sprintf("filters.chargeTypes[%d]", i), "FIXED", "MINIMUM_BALANCE", "TOTAL_BALANCE")
		}
		for i, s := range f.Status {
			r.oneOf(s, fmt.Sprintf("filters.status[%d]", i), StatusApproved, StatusRejected, StatusFailed)
		}
		r.dateRange(f.CreatedAt, "filters.createdAt")
	}
	r.pagination(req.Pagination)
	return r.err
}

func validateAutopayCancel(req AutopayCancelRequest) *ValidationError {
	var r rules
	r.uuid(req.ID, "id")
	r.locale(req.Locale, "locale")
	return r.err
}

func validateAutopayTransactions(req AutopayTransactionsRequest) *ValidationError {
	var r rules
	r.uuid(req.ID, "id")
	r.locale(req.Locale, "locale")
	if f := req.Filters; f != nil {
		r.maxLen(f.InternalReference, 32, "filters.internalReference")
		if f.Amount != nil {
			r.amount(Amount{Currency: f.Amount.Currency, Total: f.Amount.Total}, "filters.amount", false)
		}
		r.dateRange(f.CreatedAt, "filters.createdAt")
	}
	r.pagination(req.Pagination)
	return r.err
}

func (r *rules) dateRange(d *DateRange, field string) {
	if d == nil {
		return
	}
	r.date(d.From, field+".from")
	r.date(d.To, field+".to")
}

func (r *rules) pagination(p *PaginationRequest) {
	if p == nil {
		return
	}
	r.check(p.PerPage >= 0, "pagination.perPage", "cannot be negative")
	r.check(p.CurrentPage >= 0, "pagination.currentPage", "cannot be negative")
}
