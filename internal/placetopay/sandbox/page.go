package sandbox

import (
	"bytes"
	"cmp"
	"crypto/subtle"
	"embed"
	"html/template"
	"net/http"
	"strconv"
	"time"

	"go.uber.org/zap"

	"github.com/placetopay-gateway/gateway/internal/locale"
)

//go:embed page.html cards.html
var pageFiles embed.FS

var pageTemplates = template.Must(template.ParseFS(pageFiles, "*.html"))

// pageData is what the hosted page shows, in the session's language (page_texts.go). Cards
// appear masked, never in full.
type pageData struct {
	L                              locale.Locale
	Merchant, Title                string
	RequestID                      int64
	Reference, Description         string
	Amount, Remaining, Currency    string
	AmountParts                    []pagePart // the amount's taxes and details
	DueValue                       string     // the amount field's default: a plain decimal, as it is posted back
	Status, StatusCode, ExpiresAt  string
	Notice, Error                  string
	Declined                       bool // Notice says the last card was declined
	Payable, Cancellable, Partial  bool
	PayLabel, PayAction, CardsPath string
	CancelAction, ReturnURL        string
	Payments                       []pagePayment
	Nonce                          string // allows the page's inline style (setPagePolicy)
}

type pagePayment struct{ Card, Amount, Status string }

// pagePart is a tax or detail line of the summary; Class is "tax" or "detail".
type pagePart struct{ Label, Amount, Class string }

func (sb *Sandbox) pageDataLocked(s *session, now time.Time) pageData {
	l := sb.pageLocale(s)
	d := pageData{
		L: l, Merchant: sb.cfg.MerchantName, RequestID: s.ID, Reference: s.Reference, Description: s.Description,
		Status: sb.statusText(l, s), StatusCode: s.State.Status + "/" + s.State.Reason, ExpiresAt: l.Date(s.ExpiresAt),
		Payable: sb.payableLocked(s, now) == nil, ReturnURL: s.ReturnURL,
		PayAction: s.pagePath() + "/pay", CancelAction: s.pagePath() + "/cancel",
		CardsPath: "/sandbox/cards?locale=" + cmp.Or(s.Locale, locale.DefaultPlacetoPay),
		Title:     l.T("Pay with a card"), PayLabel: l.T("Pay"),
	}
	d.Cancellable = d.Payable
	d.Notice, d.Declined = sb.noticeText(l, s, d.Payable)
	switch s.Kind {
	case kindSubscription:
		d.Title, d.PayLabel = l.T("Save a card for future payments"), l.T("Save card")
	case kindAutopay:
		d.Title, d.PayLabel = l.T("Authorize automatic payments with a card"), l.T("Authorize")
	default:
		d.Amount, d.Currency = pageMoney(l, s.Amount), s.Amount.Currency
		d.AmountParts = pageParts(l, s)
		if s.Checkin {
			d.Title = l.T("Authorize a card (preauthorization)")
		}
	}
	if s.AllowPartial {
		due := s.remaining()
		d.Partial, d.Remaining, d.DueValue = true, pageMoney(l, due), formatCents(due.Cents)
	}
	for _, t := range s.Payments {
		d.Payments = append(d.Payments, pagePayment{Card: t.Card.masked(), Amount: pageMoney(l, t.Amount), Status: transactionStatusText(l, t)})
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
	d.Nonce = setPagePolicy(w)
	sb.render(w, code, "page.html", d)
}

// render writes one of the pages; the caller has set its policy (setPagePolicy).
func (sb *Sandbox) render(w http.ResponseWriter, code int, name string, data any) {
	var buf bytes.Buffer
	if err := pageTemplates.ExecuteTemplate(&buf, name, data); err != nil {
		sb.cfg.Logger.Error("sandbox: render page", zap.String("page", name), zap.Error(err))
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	_, _ = w.Write(buf.Bytes())
}

// noSession is the answer for a processUrl that names no session, in the browser's language.
func (sb *Sandbox) noSession(w http.ResponseWriter, r *http.Request) {
	http.Error(w, sb.requestLocale(r).T("This payment session does not exist."), http.StatusNotFound)
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
		sb.noSession(w, r)
		return
	}
	sb.renderPage(w, http.StatusOK, *d)
}

// handlePagePay is the pay button. A payment that ends the session or waits for an outcome
// sends the payer back to the merchant (303 to returnUrl); a declined card or a partial
// payment comes back to the page, where the payer can try another card or pay the rest, as
// PlacetoPay's page does: the session stays PENDING until the attempts limit. The page links
// to itself by path, so it works whatever host the browser reached it by.
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
		l := sb.pageLocale(s)
		var refusal string
		if !known {
			code, refusal = http.StatusUnprocessableEntity, l.T("The card %s is not a sandbox test card, so it was declined. Use one of the test cards.", maskNumber(number))
		} else if amount, err := partAmount(s, r.PostFormValue("amount")); err != nil {
			code, refusal = err.HTTPStatus, l.T("Enter the amount to pay as a number with at most two decimals, such as 40.50.")
		} else if err := sb.payLocked(s, a, amount, now); err != nil {
			code, refusal = err.HTTPStatus, l.T("This session cannot take a payment now.")
			if err.HTTPStatus == http.StatusUnprocessableEntity { // the amount does not fit what is due
				refusal = l.T("The amount must be more than zero and at most the %s still due.", pageMoney(l, s.remaining()))
			}
		}
		if refusal == "" {
			location = s.pagePath()
			if s.State.final() || s.inProgress() != nil {
				location = s.ReturnURL
			}
			return
		}
		v := sb.pageDataLocked(s, now)
		v.Error, d = refusal, &v
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
			v.Error, code, d = v.L.T("A payment is being processed: the session cannot be cancelled now."), refusal.HTTPStatus, &v
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
		sb.noSession(w, r)
	}
}
