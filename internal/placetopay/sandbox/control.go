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
	sb.writeJSONAs(w, code, "application/problem+json", controlProblem{Type: "about:blank", Title: http.StatusText(code), Status: code, Detail: msg})
}

// controlProblem is a refusal of the control API, an RFC 9457 problem like the gateway's.
type controlProblem struct {
	Type   string `json:"type"`
	Title  string `json:"title"`
	Status int    `json:"status"`
	Detail string `json:"detail"`
}

// decodeControl reads a control request body into v; an empty body is an empty object. It
// answers a body that does not fit with 400 and returns false.
func (sb *Sandbox) decodeControl(w http.ResponseWriter, r *http.Request, v any) bool {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 64<<10))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil && !errors.Is(err, io.EOF) {
		sb.controlError(w, http.StatusBadRequest, "malformed body: "+err.Error())
		return false
	}
	return true
}

// payRequest is POST /sandbox/sessions/{id}/pay: what the shopper enters on the hosted
// page. An empty Amount is all that is due. Again pays an approved session once more
// (payAgainLocked).
type payRequest struct {
	Card   string     `json:"card"`
	Amount pp.Decimal `json:"amount,omitempty"`
	Expiry string     `json:"expiry,omitempty"`
	CVV    string     `json:"cvv,omitempty"`
	Again  bool       `json:"again,omitempty"`
}

// handleControlPay is POST /sandbox/sessions/{id}/pay {"card", "amount"?, "expiry"?,
// "cvv"?, "again"?}: the hosted page's pay button. 404 unknown session, 409 not payable, 422
// unknown card or unusable amount. With "again", an approved session is paid a second time
// (payAgainLocked).
func (sb *Sandbox) handleControlPay(w http.ResponseWriter, r *http.Request) {
	var req payRequest
	if !sb.decodeControl(w, r, &req) {
		return
	}
	c, ok := lookupCard(req.Card)
	if !ok {
		sb.controlError(w, http.StatusUnprocessableEntity, "card "+maskNumber(req.Card)+" is not a sandbox test card; GET /sandbox/cards lists them")
		return
	}
	id, _ := strconv.ParseInt(r.PathValue("id"), 10, 64)
	var view SessionRecord
	code, msg := http.StatusOK, ""
	sb.locked(func(now time.Time) {
		s := sb.sessionLocked(id, now)
		if s == nil {
			code, msg = http.StatusNotFound, "no session "+r.PathValue("id")
			return
		}
		attempt := cardAttempt{Card: c, Expiry: req.Expiry, CVV: req.CVV}
		var err *apiError
		if req.Again {
			err = sb.payAgainLocked(s, attempt, string(req.Amount), now)
		} else {
			var amount *money
			if amount, err = partAmount(s, string(req.Amount)); err == nil {
				err = sb.payLocked(s, attempt, amount, now)
			}
		}
		if err != nil {
			code, msg = err.HTTPStatus, err.Message
			return
		}
		view = sb.sessionRecord(s)
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
	var view *SessionRecord
	sb.locked(func(now time.Time) {
		if s := sb.sessionLocked(id, now); s != nil {
			v := sb.sessionRecord(s)
			view = &v
		}
	})
	if view == nil {
		sb.controlError(w, http.StatusNotFound, "no session "+r.PathValue("id"))
		return
	}
	sb.writeJSON(w, http.StatusOK, view)
}

// clockRequest is POST /sandbox/clock.
type clockRequest struct {
	Advance string `json:"advance"` // a Go duration
}

// handleControlClock is GET and POST /sandbox/clock {"advance": "<Go duration>"}. Advancing
// applies at once whatever came due: pending payments, expiries, delayed notifications.
func (sb *Sandbox) handleControlClock(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodPost {
		var req clockRequest
		if !sb.decodeControl(w, r, &req) {
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
