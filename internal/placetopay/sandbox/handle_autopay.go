package sandbox

import (
	"net/http"
	"slices"
	"strconv"
	"time"

	pp "github.com/placetopay-gateway/gateway/internal/placetopay"
)

type pagination struct {
	PerPage     int `json:"perPage"`
	CurrentPage int `json:"currentPage"`
}

type pageInfo struct {
	Total       int `json:"total"`
	PerPage     int `json:"perPage"`
	CurrentPage int `json:"currentPage"`
	LastPage    int `json:"lastPage"`
}

type dateRange struct {
	From string `json:"from"`
	To   string `json:"to"`
}

// contains reports whether t falls in the range of dates (YYYY-MM-DD, both ends included).
func (r dateRange) contains(date string) bool {
	d := date[:10]
	return (r.From == "" || d >= r.From) && (r.To == "" || d <= r.To)
}

// paginate returns the page of n items p asks for: the slice bounds and the page info.
func paginate(n int, p pagination) (lo, hi int, info pageInfo) {
	if p.PerPage < 1 {
		p.PerPage = 15
	}
	if p.CurrentPage < 1 {
		p.CurrentPage = 1
	}
	info = pageInfo{Total: n, PerPage: p.PerPage, CurrentPage: p.CurrentPage, LastPage: max(1, (n+p.PerPage-1)/p.PerPage)}
	lo = min(n, (p.CurrentPage-1)*p.PerPage)
	return lo, min(n, lo+p.PerPage), info
}

type listResponse struct {
	Status     statusJSON `json:"status"`
	Data       any        `json:"data"`
	Pagination pageInfo   `json:"pagination"`
}

// handleAutopaySearch is POST /autopay/search.
func (sb *Sandbox) handleAutopaySearch(w http.ResponseWriter, _ *http.Request, body []byte) {
	var req struct {
		Filters struct {
			Reference   string    `json:"reference"`
			ID          string    `json:"id"`
			ChargeTypes []string  `json:"chargeTypes"`
			Status      []string  `json:"status"`
			CreatedAt   dateRange `json:"createdAt"`
		} `json:"filters"`
		Pagination pagination `json:"pagination"`
	}
	if e := decode(body, &req); e != nil {
		sb.refusal(w, e.in(autopayAPI))
		return
	}
	f := req.Filters
	var resp listResponse
	sb.locked(func(now time.Time) {
		data := []autopayJSON{}
		for _, a := range sb.autopayOrder {
			switch {
			case f.Reference != "" && a.Reference != f.Reference,
				f.ID != "" && a.ID != f.ID,
				len(f.ChargeTypes) > 0 && !slices.Contains(f.ChargeTypes, a.Recurring.Type),
				len(f.Status) > 0 && !slices.Contains(f.Status, a.State.Status),
				!f.CreatedAt.contains(sb.date(a.CreatedAt)):
				continue
			}
			data = append(data, sb.autopayView(a, true))
		}
		lo, hi, info := paginate(len(data), req.Pagination)
		resp = listResponse{Status: sb.statusAt(pp.StatusOK, "00", "Successful response", now), Data: data[lo:hi], Pagination: info}
	})
	sb.writeJSON(w, http.StatusOK, resp)
}

// autopayByID reads the id of a cancel or transactions request.
func (sb *Sandbox) autopayByIDLocked(id string) (*autopay, *apiError) {
	if id == "" {
		return nil, refuse(http.StatusBadRequest, "BR", "The id field is required.")
	}
	a := sb.autopays[id]
	if a == nil {
		return nil, refuse(http.StatusBadRequest, "BR", "The selected id is invalid.")
	}
	return a, nil
}

// handleAutopayCancel is POST /autopay/cancel.
func (sb *Sandbox) handleAutopayCancel(w http.ResponseWriter, _ *http.Request, body []byte) {
	var req struct {
		ID string `json:"id"`
	}
	if e := decode(body, &req); e != nil {
		sb.refusal(w, e.in(autopayAPI))
		return
	}
	var resp struct {
		Status statusJSON `json:"status"`
		ID     string     `json:"id"`
	}
	var refusal *apiError
	sb.locked(func(now time.Time) {
		var a *autopay
		if a, refusal = sb.autopayByIDLocked(req.ID); refusal != nil {
			return
		}
		if a.State.Status != pp.StatusApproved {
			refusal = refuse(http.StatusBadRequest, "BR", "The autopay is already cancelled.")
			return
		}
		a.State, a.UpdatedAt = sb.stateAt(now, pp.StatusRejected, "?C", "The autopay has been cancelled"), now
		sb.autopayWebhookLocked(a, autopayCanceled, nil, now)
		resp.Status, resp.ID = sb.statusAt(pp.StatusOK, "00", "The autopay has been cancelled", now), a.ID
	})
	if refusal != nil {
		sb.refusal(w, refusal)
		return
	}
	sb.writeJSON(w, http.StatusOK, resp)
}

// handleAutopayTransactions is POST /autopay/transactions: the charges of one autopay.
func (sb *Sandbox) handleAutopayTransactions(w http.ResponseWriter, _ *http.Request, body []byte) {
	var req struct {
		ID      string `json:"id"`
		Filters struct {
			InternalReference string         `json:"internalReference"`
			Status            []string       `json:"status"`
			Amount            *amountRequest `json:"amount"`
			CreatedAt         dateRange      `json:"createdAt"`
		} `json:"filters"`
		Pagination pagination `json:"pagination"`
	}
	if e := decode(body, &req); e != nil {
		sb.refusal(w, e.in(autopayAPI))
		return
	}
	f := req.Filters
	var amount *money
	if f.Amount != nil {
		m, err := f.Amount.parse(false)
		if err != nil {
			sb.refusal(w, invalid("filters.amount: %v", err).in(autopayAPI))
			return
		}
		amount = &m
	}
	var resp listResponse
	var refusal *apiError
	sb.locked(func(now time.Time) {
		var a *autopay
		if a, refusal = sb.autopayByIDLocked(req.ID); refusal != nil {
			return
		}
		data := []transactionJSON{}
		for i := len(a.Charges) - 1; i >= 0; i-- {
			t := a.Charges[i]
			v := sb.transactionView(t)
			switch {
			case f.InternalReference != "" && f.InternalReference != strconv.FormatInt(t.Ref, 10),
				len(f.Status) > 0 && !slices.Contains(f.Status, t.status()),
				amount != nil && t.Amount != *amount,
				!f.CreatedAt.contains(v.Status.Date):
				continue
			}
			data = append(data, v)
		}
		lo, hi, info := paginate(len(data), req.Pagination)
		resp = listResponse{Status: sb.statusAt(pp.StatusOK, "00", "Successful response", now), Data: data[lo:hi], Pagination: info}
	})
	if refusal != nil {
		sb.refusal(w, refusal)
		return
	}
	sb.writeJSON(w, http.StatusOK, resp)
}
