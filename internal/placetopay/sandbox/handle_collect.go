package sandbox

import (
	"net/http"
	"time"

	pp "github.com/placetopay-gateway/gateway/internal/placetopay"
)

// collectIdempotency is how long the same reference, total and currency charge only once.
const collectIdempotency = 24 * time.Hour

type collectRequest struct {
	Payment    *paymentRequest `json:"payment"`
	Instrument *struct {
		Token *struct {
			Token    string `json:"token"`
			Subtoken string `json:"subtoken"`
		} `json:"token"`
	} `json:"instrument"`
	Payer     *personRequest `json:"payer"`
	IPAddress string         `json:"ipAddress"`
	UserAgent string         `json:"userAgent"`
	Type      string         `json:"type"`
}

func (req *collectRequest) validate() (money, *apiError) {
	switch {
	case req.Payment == nil:
		return money{}, invalid("The payment field is required.")
	case req.Instrument == nil || req.Instrument.Token == nil || (req.Instrument.Token.Token == "" && req.Instrument.Token.Subtoken == ""):
		return money{}, invalid("The instrument token is required.")
	case req.Payer == nil:
		return money{}, invalid("The payer field is required.")
	case req.IPAddress == "":
		return money{}, invalid("The ipAddress field is required.")
	case req.UserAgent == "":
		return money{}, invalid("The userAgent field is required.")
	case req.Type != "" && req.Type != "checkin":
		return money{}, invalid("The type must be checkin.")
	}
	if e := checkReference(req.Payment.Reference); e != nil {
		return money{}, e
	}
	if e := req.Payer.validate(); e != nil {
		return money{}, e
	}
	m, err := req.Payment.Amount.parse(false)
	if err != nil {
		return money{}, invalid("The payment amount is not valid: %v.", err)
	}
	return m, nil
}

// handleCollect is POST /api/collect: a charge of a token, without the payer (docs/placetopay.md#collect). The
// same reference, total and currency within 24 hours answers the first charge again.
func (sb *Sandbox) handleCollect(w http.ResponseWriter, r *http.Request, body []byte) {
	var req collectRequest
	var echo map[string]any
	if e := decode(body, &req); e != nil {
		sb.refusal(w, e)
		return
	}
	_ = decode(body, &echo)
	delete(echo, "auth")
	delete(echo, "instrument") // the token is not echoed back
	amount, refusal := req.validate()
	if refusal != nil {
		sb.refusal(w, refusal)
		return
	}
	var view sessionJSON
	login := loginOf(r)
	sb.locked(func(now time.Time) {
		key := collectKey{Reference: req.Payment.Reference, Amount: amount}
		if prev, ok := sb.collects[key]; ok && now.Sub(prev.At) < collectIdempotency {
			view = sb.sessionView(sb.sessionLocked(prev.SessionID, now), checkout)
			return
		}
		tok := sb.tokens[req.Instrument.Token.Token]
		if tok == nil {
			tok = sb.tokens[req.Instrument.Token.Subtoken]
		}
		if tok == nil || tok.Invalidated || !tok.ownedBy(login, sb.cfg.Login) {
			refusal = invalidToken()
			return
		}
		echoCollect(echo, tok)
		s := &session{
			ID: sb.newID(), Kind: kindCollect, Created: now, ExpiresAt: now.Add(sb.cfg.DefaultExpiry),
			Reference: req.Payment.Reference, Description: req.Payment.Description, Amount: amount,
			Checkin: req.Type == "checkin", Request: echo,
		}
		if login != sb.cfg.Login {
			s.Login = login
		}
		s.State = sb.stateAt(now, pp.StatusPending, "PT", msgPending)
		sb.sessions[s.ID], sb.open[s.ID] = s, s
		sb.collects[key] = collectRecord{SessionID: s.ID, At: now}
		// A token is only issued for a card that approves (or approves once pending), so a
		// collect charges like that card.
		sb.chargeLocked(s, cardAttempt{Card: tok.Card}, amount, now)
		view = sb.sessionView(s, checkout)
	})
	if refusal != nil {
		sb.refusal(w, refusal)
		return
	}
	sb.writeJSON(w, http.StatusOK, view)
}

// echoCollect completes a collect's request echo as PlacetoPay's recorded answers show it:
// the payment's allowPartial and subscribe, and a returnUrl (the one of the session that
// saved the card when the charge names none). PlacetoPay's PHP SDK reads all three and
// fails on an answer without them.
func echoCollect(echo map[string]any, tok *token) {
	if pay, ok := echo["payment"].(map[string]any); ok {
		for _, k := range []string{"allowPartial", "subscribe"} {
			if _, ok := pay[k].(bool); !ok {
				pay[k] = false
			}
		}
	}
	if u, ok := echo["returnUrl"].(string); !ok || u == "" {
		echo["returnUrl"] = tok.ReturnURL
	}
}
