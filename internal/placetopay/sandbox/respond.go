package sandbox

import (
	"bytes"
	"encoding/json"
	"net/http"
	"time"

	"go.uber.org/zap"
)

// statusJSON is PlacetoPay's status object on the wire. Reason is a string ("00", "PT") or,
// for authentication failures, a number (401).
type statusJSON struct {
	Status  string `json:"status"`
	Reason  any    `json:"reason"`
	Message string `json:"message"`
	Date    string `json:"date"`
}

func statusOf(s state) statusJSON {
	return statusJSON{Status: s.Status, Reason: s.Reason, Message: s.Message, Date: s.Date}
}

// statusResponse is a body that is only a status: errors, and a few successes.
type statusResponse struct {
	Status statusJSON `json:"status"`
}

// writeJSON writes v with code. Encoding errors cannot happen with the sandbox's own types.
func (sb *Sandbox) writeJSON(w http.ResponseWriter, code int, v any) {
	sb.writeJSONAs(w, code, "application/json", v)
}

// writeJSONAs is writeJSON with another JSON media type (application/problem+json).
func (sb *Sandbox) writeJSONAs(w http.ResponseWriter, code int, contentType string, v any) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false) // URLs in processUrl and returnUrl stay readable
	if err := enc.Encode(v); err != nil {
		sb.cfg.Logger.Error("sandbox: encode response", zap.Error(err))
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	_, _ = w.Write(buf.Bytes())
}

// fail writes PlacetoPay's FAILED status with reason and message.
func (sb *Sandbox) fail(w http.ResponseWriter, code int, reason any, message string) {
	sb.writeJSON(w, code, statusResponse{Status: statusJSON{
		Status: "FAILED", Reason: reason, Message: message, Date: sb.date(sb.clock.Now()),
	}})
}

// refusal writes an apiError.
func (sb *Sandbox) refusal(w http.ResponseWriter, e *apiError) {
	sb.fail(w, e.HTTPStatus, e.Reason, e.Message)
}

// statusAt is a status object dated at.
func (sb *Sandbox) statusAt(status, reason, message string, at time.Time) statusJSON {
	return statusJSON{Status: status, Reason: reason, Message: message, Date: sb.date(at)}
}

// decode reads body into v; a body that does not fit is refused as PlacetoPay does.
func decode(body []byte, v any) *apiError {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		return refuse(http.StatusBadRequest, "request_not_valid", "The request is not valid: %v", err)
	}
	return nil
}
