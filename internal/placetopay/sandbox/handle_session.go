package sandbox

import (
	"net/http"
	"strconv"
	"time"

	pp "github.com/placetopay-gateway/gateway/internal/placetopay"
)

type createResponse struct {
	Status     statusJSON `json:"status"`
	RequestID  int64      `json:"requestId"`
	ProcessURL string     `json:"processUrl"`
}

// handleCreateSession is POST /api/session and POST /autopay/session (docs/placetopay.md#create-a-session).
func (sb *Sandbox) handleCreateSession(f flavour) apiHandler {
	return func(w http.ResponseWriter, r *http.Request, body []byte) {
		var req createRequest
		var echo map[string]any
		if e := decode(body, &req); e != nil {
			sb.refusal(w, e.in(f))
			return
		}
		_ = decode(body, &echo) // it decoded as an object just above
		delete(echo, "auth")
		if f == autopayAPI && req.Type != "autopay" {
			sb.refusal(w, invalid("The type must be autopay.").in(f))
			return
		}
		base := sb.cfg.BaseURL
		if base == "" {
			base = requestBaseURL(r)
		}
		var resp createResponse
		var refusal *apiError
		sb.locked(func(now time.Time) {
			var s *session
			if s, refusal = sb.createSessionLocked(&req, echo, base, now); refusal == nil {
				if login := loginOf(r); login != sb.cfg.Login {
					s.Login = login
				}
				resp = createResponse{
					Status:    sb.statusAt(pp.StatusOK, "PC", "The request has been processed successfully", now),
					RequestID: s.ID, ProcessURL: s.ProcessURL,
				}
			}
		})
		if refusal != nil {
			sb.refusal(w, refusal.in(f))
			return
		}
		sb.writeJSON(w, http.StatusOK, resp)
	}
}

// createSessionLocked validates and records a new session.
func (sb *Sandbox) createSessionLocked(req *createRequest, echo map[string]any, base string, now time.Time) (*session, *apiError) {
	expires, refusal := req.validate(now, sb.cfg.DefaultExpiry)
	if refusal != nil {
		return nil, refusal
	}
	if a := req.Autopay; req.Type == "autopay" && a.Action == "EDIT" {
		if existing := sb.autopays[a.ID]; existing == nil || existing.State.Status != pp.StatusApproved {
			return nil, invalid("The autopay %s does not exist or is not active.", a.ID)
		}
	}
	s := &session{
		ID: sb.newID(), Key: randomHex(16), Kind: kindPayment, Created: now, ExpiresAt: expires,
		ReturnURL: req.ReturnURL, CancelURL: req.CancelURL, Checkin: req.Type == "checkin", Locale: req.Locale,
		Confirm: req.Metadata != nil && req.Metadata.RequiresConfirmation,
	}
	s.ProcessURL = base + s.pagePath()
	switch {
	case req.Type == "autopay":
		s.Kind, s.Autopay = kindAutopay, req.Autopay
		s.Reference, s.Description = req.Autopay.Reference, req.Autopay.Description
	case req.Subscription != nil:
		s.Kind = kindSubscription
		s.Reference, s.Description = req.Subscription.Reference, req.Subscription.Description
	default:
		p := req.Payment
		s.Reference, s.Description = p.Reference, p.Description
		s.Amount, _ = p.Amount.parse(false) // validated
		s.AmountParts, _ = p.Amount.parts() // validated
		s.AllowPartial, s.Subscribe = p.AllowPartial, p.Subscribe
		var e *apiError
		if s.Dispersion, s.Recurring, e = p.options(req.Type, now); e != nil {
			return nil, e
		}
		if pay, ok := echo["payment"].(map[string]any); ok {
			pay["allowPartial"], pay["subscribe"] = p.AllowPartial, p.Subscribe
		}
	}
	echo["expiration"] = sb.date(expires)
	fields, _ := echo["fields"].([]any)
	echo["fields"] = append(fields, map[string]any{"keyword": "_processUrl_", "value": s.ProcessURL, "displayOn": "none"})
	s.Request = echo
	s.State = sb.stateAt(now, pp.StatusPending, "PT", msgPending)
	sb.sessions[s.ID] = s
	sb.open[s.ID] = s
	return s, nil
}

// handleQuerySession is POST /api/session/{id} and POST /autopay/session/{id} (docs/placetopay.md#query-a-session).
func (sb *Sandbox) handleQuerySession(f flavour) apiHandler {
	return func(w http.ResponseWriter, r *http.Request, _ []byte) {
		id, _ := strconv.ParseInt(r.PathValue("id"), 10, 64)
		var view *sessionJSON
		login := loginOf(r)
		sb.locked(func(now time.Time) {
			// Another site's session does not exist for this one, as at PlacetoPay.
			if s := sb.sessionLocked(id, now); s != nil && s.ownedBy(login, sb.cfg.Login) {
				if s.Queries == nil {
					s.Queries = map[string]int{}
				}
				s.Queries[login]++
				v := sb.sessionView(s, f)
				view = &v
			}
		})
		if view == nil {
			sb.refusal(w, sessionNotFound().in(f))
			return
		}
		sb.writeJSON(w, http.StatusOK, view)
	}
}

type cancelResponse struct {
	Status  statusJSON  `json:"status"`
	Session sessionJSON `json:"session"`
}

// handleCancelSession is POST /api/session/{id}/cancel (docs/placetopay.md#cancel-a-session).
func (sb *Sandbox) handleCancelSession(w http.ResponseWriter, r *http.Request, _ []byte) {
	id, _ := strconv.ParseInt(r.PathValue("id"), 10, 64)
	var resp cancelResponse
	var refusal *apiError
	sb.locked(func(now time.Time) {
		s := sb.sessionLocked(id, now)
		if s == nil || !s.ownedBy(loginOf(r), sb.cfg.Login) {
			refusal = sessionNotFound()
			return
		}
		if refusal = sb.cancelByMerchantLocked(s, now); refusal == nil {
			resp = cancelResponse{
				Status:  sb.statusAt(pp.StatusOK, "00", "The request has been processed successfully.", now),
				Session: sb.sessionView(s, checkout),
			}
		}
	})
	if refusal != nil {
		sb.refusal(w, refusal)
		return
	}
	sb.writeJSON(w, http.StatusOK, resp)
}

// requestBaseURL is the scheme and host a request was sent to.
func requestBaseURL(r *http.Request) string {
	if r.TLS != nil {
		return "https://" + r.Host
	}
	return "http://" + r.Host
}
