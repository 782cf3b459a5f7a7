package http

import (
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"io"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/placetopay-gateway/gateway/internal/autopay"
	"github.com/placetopay-gateway/gateway/internal/strictjson"
)

// BasicCredentials are the HTTP Basic user and password PlacetoPay sends on the autopay
// webhook and settlement calls (chosen by the merchant, configured at PlacetoPay).
type BasicCredentials struct {
	User, Password string
}

// ppStatus is PlacetoPay's Status object, the shape PlacetoPay expects back from the
// merchant's autopay endpoints.
type ppStatus struct {
	Status  string `json:"status"`
	Reason  string `json:"reason"`
	Message string `json:"message"`
	Date    string `json:"date"`
}

func answerPlacetoPay(c echo.Context, code int, status, reason, message string, extra map[string]any) error {
	body := map[string]any{"status": ppStatus{Status: status, Reason: reason, Message: message, Date: time.Now().Format(time.RFC3339)}}
	for k, v := range extra {
		body[k] = v
	}
	return writeJSON(c, echo.MIMEApplicationJSON, code, body)
}

// autopayBasicAuth refuses a call without the configured Basic credentials (401). Both
// parts are compared in constant time, through digests so that lengths leak nothing.
func (s *Server) autopayBasicAuth(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		user, pass, ok := c.Request().BasicAuth()
		u, p := sha256.Sum256([]byte(user)), sha256.Sum256([]byte(pass))
		match := subtle.ConstantTimeCompare(u[:], s.autopayUser[:]) & subtle.ConstantTimeCompare(p[:], s.autopayPass[:])
		if !ok || match != 1 {
			c.Response().Header().Set("WWW-Authenticate", `Basic realm="placetopay-autopay"`)
			return answerPlacetoPay(c, http.StatusUnauthorized, "FAILED", "401", "Invalid credentials", nil)
		}
		return next(c)
	}
}

// handleAutopayWebhook is POST /webhooks/placetopay/autopay (also .../autopay/webhook,
// PlacetoPay's conventional path): a bad signature or body is a 400 and changes nothing; a
// valid webhook is stored and the autopay reconciled from PlacetoPay's own search.
func (s *Server) handleAutopayWebhook(c echo.Context) error {
	body, err := io.ReadAll(c.Request().Body)
	if err != nil {
		return bodyError(err)
	}
	err = s.autopay.ReceiveWebhook(c.Request().Context(), body)
	switch {
	case errors.Is(err, autopay.ErrBadSignature):
		return answerPlacetoPay(c, http.StatusBadRequest, "FAILED", "BR", "Invalid signature", nil)
	case errors.Is(err, autopay.ErrMalformed):
		return answerPlacetoPay(c, http.StatusBadRequest, "FAILED", "BR", malformedMessage("Malformed webhook", err), nil)
	case err != nil:
		return err
	}
	return answerPlacetoPay(c, http.StatusOK, "OK", "00", "The webhook was received", nil)
}

// handleAutopaySettlement is POST /webhooks/placetopay/autopay/settlement: an approved
// charge, recorded once however often it is delivered.
func (s *Server) handleAutopaySettlement(c echo.Context) error {
	body, err := io.ReadAll(c.Request().Body)
	if err != nil {
		return bodyError(err)
	}
	ack, err := s.autopay.ReceiveSettlement(c.Request().Context(), body)
	switch {
	case errors.Is(err, autopay.ErrMalformed):
		return answerPlacetoPay(c, http.StatusBadRequest, "FAILED", "BR", malformedMessage("Malformed settlement", err), nil)
	case err != nil:
		return err
	}
	return answerPlacetoPay(c, http.StatusOK, "OK", "00", "The settlement was registered", map[string]any{"id": ack.ID})
}

// malformedMessage is what, followed by the key at fault when the body was refused for one
// (a name given twice or in another case).
func malformedMessage(what string, err error) string {
	var bad *strictjson.Error
	if errors.As(err, &bad) {
		return what + ": " + bad.Error()
	}
	return what
}
