package sandbox

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	pp "github.com/placetopay-gateway/gateway/internal/placetopay"
)

// The control API drives the sandbox in tests and demos. It has no authentication: it must
// never be reachable where real payments are taken. Its errors are {"error": "..."}.

func (sb *Sandbox) controlError(w http.ResponseWriter, code int, msg string) {
	sb.writeJSON(w, code, map[string]string{"error": msg})
}

// decodeControl reads a control request body into v; an empty body is an empty object.
func decodeControl(w http.ResponseWriter, r *http.Request, v any) error {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 64<<10))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil && !errors.Is(err, io.EOF) {
		return err
	}
	return nil
}

// controlSession is the sandbox's own view of a session, more than a query shows.
type controlSession struct {
	RequestID     int64              `json:"requestId"`
	Kind          kind               `json:"kind"`
	Status        statusJSON         `json:"status"`
	Reference     string             `json:"reference"`
	Amount        *amountBase        `json:"amount,omitempty"`
	Approved      *amountBase        `json:"approved,omitempty"`
	ProcessURL    string             `json:"processUrl,omitempty"`
	CreatedAt     string             `json:"createdAt"`
	ExpiresAt     string             `json:"expiresAt"`
	Attempts      map[string]int     `json:"attempts"`
	Payments      []controlTx        `json:"payments"`
	Token         map[string]string  `json:"token,omitempty"`
	AutopayID     string             `json:"autopayId,omitempty"`
	Notifications []notificationJSON `json:"notifications"`
}

func (sb *Sandbox) controlSessionView(s *session) controlSession {
	v := controlSession{
		RequestID: s.ID, Kind: s.Kind, Status: statusOf(s.State), Reference: s.Reference,
		ProcessURL: s.ProcessURL, CreatedAt: sb.date(s.Created), ExpiresAt: sb.date(s.ExpiresAt),
		Attempts: map[string]int{"rejected": s.Rejected, "limit": sb.cfg.AttemptsLimit},
		Payments: []controlTx{}, Notifications: []notificationJSON{},
	}
	if s.Amount.Currency != "" {
		v.Amount = &amountBase{Currency: s.Amount.Currency, Total: s.Amount.total()}
		v.Approved = &amountBase{Currency: s.Amount.Currency, Total: json.Number(formatCents(s.approvedCents()))}
	}
	for _, t := range s.Payments {
		v.Payments = append(v.Payments, sb.controlTxView(t))
	}
	if s.Token != nil {
		v.Token = map[string]string{"token": s.Token.Token, "subtoken": s.Token.Subtoken}
	}
	if s.Enrolled != nil {
		v.AutopayID = s.Enrolled.ID
	}
	for _, n := range sb.outbox {
		if n.RequestID == s.ID {
			v.Notifications = append(v.Notifications, sb.notificationView(n))
		}
	}
	return v
}

// handleControlPay is POST /sandbox/sessions/{id}/pay {"card", "amount"?, "expiry"?,
// "cvv"?}: the hosted page's pay button. 404 unknown session, 409 not payable, 422 unknown
// card or unusable amount.
func (sb *Sandbox) handleControlPay(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Card   string     `json:"card"`
		Amount pp.Decimal `json:"amount"`
		Expiry string     `json:"expiry"`
		CVV    string     `json:"cvv"`
	}
	if err := decodeControl(w, r, &req); err != nil {
		sb.controlError(w, http.StatusBadRequest, "malformed body: "+err.Error())
		return
	}
	c, ok := lookupCard(req.Card)
	if !ok {
		sb.controlError(w, http.StatusUnprocessableEntity, "card "+maskNumber(req.Card)+" is not a sandbox test card; GET /sandbox/cards lists them")
		return
	}
	id, _ := strconv.ParseInt(r.PathValue("id"), 10, 64)
	var view controlSession
	code, msg := http.StatusOK, ""
	sb.locked(func(now time.Time) {
		s := sb.sessionLocked(id, now)
		if s == nil {
			code, msg = http.StatusNotFound, "no session "+r.PathValue("id")
			return
		}
		amount, err := partAmount(s, string(req.Amount))
		if err == nil {
			err = sb.payLocked(s, cardAttempt{Card: c, Expiry: req.Expiry, CVV: req.CVV}, amount, now)
		}
		if err != nil {
			code, msg = err.HTTPStatus, err.Message
			return
		}
		view = sb.controlSessionView(s)
	})
	if msg != "" {
		sb.controlError(w, code, msg)
		return
	}
	sb.writeJSON(w, http.StatusOK, view)
}

// partAmount reads the amount a partial payment takes, in the session's currency; empty
// means all that is due.
func partAmount(s *session, raw string) (*money, *apiError) {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return nil, nil
	}
	cents, err := pp.Decimal(raw).Minor(2)
	if err != nil || cents <= 0 {
		return nil, refuse(http.StatusUnprocessableEntity, "", "the amount %q is not a positive amount with at most two decimals", raw)
	}
	return &money{Currency: s.Amount.Currency, Cents: cents}, nil
}

// handleControlSession is GET /sandbox/sessions/{id}.
func (sb *Sandbox) handleControlSession(w http.ResponseWriter, r *http.Request) {
	id, _ := strconv.ParseInt(r.PathValue("id"), 10, 64)
	var view *controlSession
	sb.locked(func(now time.Time) {
		if s := sb.sessionLocked(id, now); s != nil {
			v := sb.controlSessionView(s)
			view = &v
		}
	})
	if view == nil {
		sb.controlError(w, http.StatusNotFound, "no session "+r.PathValue("id"))
		return
	}
	sb.writeJSON(w, http.StatusOK, view)
}

// handleControlClock is GET and POST /sandbox/clock {"advance": "<Go duration>"}. Advancing
// applies at once whatever came due: pending payments, expiries, delayed notifications.
func (sb *Sandbox) handleControlClock(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodPost {
		var req struct {
			Advance string `json:"advance"`
		}
		if err := decodeControl(w, r, &req); err != nil {
			sb.controlError(w, http.StatusBadRequest, "malformed body: "+err.Error())
			return
		}
		d, err := time.ParseDuration(req.Advance)
		if err != nil {
			sb.controlError(w, http.StatusUnprocessableEntity, "advance must be a Go duration such as \"90s\" or \"31m\"")
			return
		}
		if _, err := sb.clock.Advance(d); err != nil {
			sb.controlError(w, http.StatusUnprocessableEntity, err.Error())
			return
		}
		sb.sweep()
	}
	sb.writeJSON(w, http.StatusOK, map[string]string{
		"now": sb.clock.Now().In(sb.cfg.Location).Format(time.RFC3339Nano), "offset": sb.clock.Offset().String(),
	})
}
