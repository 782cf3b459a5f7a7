package sandbox

import (
	"net/http"
	"time"

	pp "github.com/placetopay-gateway/gateway/internal/placetopay"
)

// handleInvalidate is POST /api/instrument/invalidate (docs/placetopay.md#invalidate-a-token): a token or subtoken
// stops working for /api/collect.
func (sb *Sandbox) handleInvalidate(w http.ResponseWriter, r *http.Request, body []byte) {
	var req struct {
		Instrument *struct {
			Token *struct {
				Token    string `json:"token"`
				Subtoken string `json:"subtoken"`
			} `json:"token"`
		} `json:"instrument"`
	}
	if e := decode(body, &req); e != nil {
		sb.refusal(w, e)
		return
	}
	if req.Instrument == nil || req.Instrument.Token == nil {
		sb.refusal(w, invalid("The instrument token is required."))
		return
	}
	var resp statusResponse
	var refusal *apiError
	sb.locked(func(now time.Time) {
		tok := sb.tokens[req.Instrument.Token.Token]
		if tok == nil {
			tok = sb.tokens[req.Instrument.Token.Subtoken]
		}
		if tok == nil || tok.Invalidated || !tok.ownedBy(loginOf(r), sb.cfg.Login) {
			refusal = invalidToken()
			return
		}
		tok.Invalidated = true
		resp.Status = sb.statusAt(pp.StatusApproved, "00", "The token has been successfully invalidated", now)
	})
	if refusal != nil {
		sb.refusal(w, refusal)
		return
	}
	sb.writeJSON(w, http.StatusOK, resp)
}
