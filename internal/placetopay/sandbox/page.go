package sandbox

import (
	"bytes"
	"crypto/subtle"
	_ "embed"
	"html/template"
	"net/http"
	"strconv"
	"time"

	"go.uber.org/zap"
)

//go:embed page.html
var pageHTML string

var pageTemplate = template.Must(template.New("page").Parse(pageHTML))

// pageData is what the hosted page shows. Cards appear masked, never in full.
type pageData struct {
	Merchant, Title                       string
	RequestID                             int64
	Reference, Description                string
	Amount, Remaining, Currency, DueValue string
	Status, StatusMessage, ExpiresAt      string
	Notice, Error                         string
	Payable, Cancellable, Partial         bool
	PayLabel, PayAction, CancelAction     string
	ReturnURL                             string
	Payments                              []pagePayment
	Nonce                                 string // allows the page's inline style (setPagePolicy)
}

type pagePayment struct{ Card, Amount, Status string }

func (sb *Sandbox) pageDataLocked(s *session, now time.Time) pageData {
	d := pageData{
		Merchant: sb.cfg.MerchantName, RequestID: s.ID, Reference: s.Reference, Description: s.Description,
		Status: s.State.Status, StatusMessage: s.State.Message, ExpiresAt: sb.date(s.ExpiresAt),
		Notice: s.Notice, Payable: sb.payableLocked(s, now) == nil, ReturnURL: s.ReturnURL,
		PayAction: s.pagePath() + "/pay", CancelAction: s.pagePath() + "/cancel",
		Title: "Pay with a card", PayLabel: "Pay",
	}
	d.Cancellable = d.Payable
	switch s.Kind {
	case kindSubscription:
		d.Title, d.PayLabel = "Save a card for future payments", "Save card"
	case kindAutopay:
		d.Title, d.PayLabel = "Authorize automatic payments with a card", "Authorize"
	default:
		d.Amount, d.Currency = s.Amount.String(), s.Amount.Currency
		if s.Checkin {
			d.Title = "Authorize a card (preauthorization)"
		}
	}
	if s.AllowPartial {
		due := s.remaining()
		d.Partial, d.Remaining, d.DueValue = true, due.String(), formatCents(due.Cents)
	}
	for _, t := range s.Payments {
		d.Payments = append(d.Payments, pagePayment{Card: t.Card.masked(), Amount: t.Amount.String(), Status: t.status()})
	}
	return d
}

// pageSessionLocked finds the session of a processUrl: both the id and its key must match.
func (sb *Sandbox) pageSessionLocked(r *http.Request, now time.Time) *session {
	id, _ := strconv.ParseInt(r.PathValue("id"), 10, 64)
	s := sb.sessions[id]
	if s == nil || s.Key == "" || subtle.ConstantTimeCompare([]byte(s.Key), []byte(r.PathValue("key"))) != 1 {
		return nil
	}
	sb.advanceLocked(s, now)
	return s
}

func (sb *Sandbox) renderPage(w http.ResponseWriter, code int, d pageData) {
	var buf bytes.Buffer
	d.Nonce = setPagePolicy(w)
	if err := pageTemplate.Execute(&buf, d); err != nil {
		sb.cfg.Logger.Error("sandbox: render page", zap.Error(err))
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	_, _ = w.Write(buf.Bytes())
}

// handlePage is GET {processUrl}.
func (sb *Sandbox) handlePage(w http.ResponseWriter, r *http.Request) {
	var d *pageData
	sb.locked(func(now time.Time) {
		if s := sb.pageSessionLocked(r, now); s != nil {
			v := sb.pageDataLocked(s, now)
			d = &v
		}
	})
	if d == nil {
		http.Error(w, "This payment session does not exist.", http.StatusNotFound)
		return
	}
	sb.renderPage(w, http.StatusOK, *d)
}

// handlePagePay is the pay button. A payment that ends the session or waits for an outcome
// sends the payer back to the merchant (303 to returnUrl); a declined card or a partial
// payment comes back to the page, where the payer can try again or pay the rest. The page
// links to itself by path, so it works whatever host the browser reached it by.
func (sb *Sandbox) handlePagePay(w http.ResponseWriter, r *http.Request) {
	a := cardAttempt{Expiry: r.PostFormValue("expiry"), CVV: r.PostFormValue("cvv")}
	number := r.PostFormValue("card")
	c, known := lookupCard(number)
	a.Card = c
	var d *pageData
	code, location := http.StatusOK, ""
	sb.locked(func(now time.Time) {
		s := sb.pageSessionLocked(r, now)
		if s == nil {
			return
		}
		var refusal *apiError
		if !known {
			refusal = refuse(http.StatusUnprocessableEntity, "", "The card %s is not a sandbox test card, so it was declined. Use one of the test cards.", maskNumber(number))
		} else if amount, err := partAmount(s, r.PostFormValue("amount")); err != nil {
			refusal = err
		} else {
			refusal = sb.payLocked(s, a, amount, now)
		}
		if refusal == nil {
			location = s.pagePath()
			if s.State.final() || s.inProgress() != nil {
				location = s.ReturnURL
			}
			return
		}
		v := sb.pageDataLocked(s, now)
		v.Error, code, d = refusal.Message, refusal.HTTPStatus, &v
	})
	sb.pageOutcome(w, r, code, location, d)
}

// handlePageCancel is the cancel button: 303 to cancelUrl, or returnUrl without one.
func (sb *Sandbox) handlePageCancel(w http.ResponseWriter, r *http.Request) {
	var d *pageData
	code, location := http.StatusOK, ""
	sb.locked(func(now time.Time) {
		s := sb.pageSessionLocked(r, now)
		if s == nil {
			return
		}
		if refusal := sb.cancelByPayerLocked(s, now); refusal != nil {
			v := sb.pageDataLocked(s, now)
			v.Error, code, d = refusal.Message, refusal.HTTPStatus, &v
			return
		}
		location = s.ReturnURL
		if s.CancelURL != "" {
			location = s.CancelURL
		}
	})
	sb.pageOutcome(w, r, code, location, d)
}

func (sb *Sandbox) pageOutcome(w http.ResponseWriter, r *http.Request, code int, location string, d *pageData) {
	switch {
	case location != "":
		http.Redirect(w, r, location, http.StatusSeeOther)
	case d != nil:
		sb.renderPage(w, code, *d)
	default:
		http.Error(w, "This payment session does not exist.", http.StatusNotFound)
	}
}
