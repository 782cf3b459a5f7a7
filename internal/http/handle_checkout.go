package http

import (
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/placetopay-gateway/gateway/internal/orders"
)

type checkoutRequest struct {
	Locale        string `json:"locale"`
	PaymentMethod string `json:"paymentMethod"`
	ExpiresIn     int64  `json:"expiresIn"` // seconds
	Type          string `json:"type"`
	IPAddress     string `json:"ipAddress"` // the shopper's; the caller's address when absent
	UserAgent     string `json:"userAgent"` // the shopper's; the caller's User-Agent when absent
	// Subscribe pays and stores the card for CustomerReference; type "subscription" only
	// stores it.
	Subscribe         bool   `json:"subscribe"`
	CustomerReference string `json:"customerReference"`
	// RequiresConfirmation opens the session in PlacetoPay's confirmation flow
	// (metadata.requiresConfirmation): approvals wait for POST .../payments/{ref}/confirm.
	RequiresConfirmation bool `json:"requiresConfirmation"`
	checkoutOptions
	checkoutFields
}

type checkoutSessionJSON struct {
	RequestID  int64     `json:"requestId"`
	ProcessURL string    `json:"processUrl"`
	ExpiresAt  time.Time `json:"expiresAt"`
	Status     string    `json:"status"`
}

// handleCheckout is POST /v1/orders/{id}/checkout: it opens a PlacetoPay session, or returns
// the one still open.
func (s *Server) handleCheckout(c echo.Context) error {
	id, err := orderID(c)
	if err != nil {
		return err
	}
	var req checkoutRequest
	if c.Request().ContentLength != 0 {
		if err := decodeJSON(c, &req); err != nil {
			return err
		}
	}
	if req.ExpiresIn < 0 || req.ExpiresIn > int64(7*24*time.Hour/time.Second) {
		return &orders.Error{Code: orders.EInvalid, Field: "expiresIn", Message: "must be between 300 and 604800 seconds"}
	}
	p := orders.CheckoutParams{
		Locale: req.Locale, PaymentMethod: req.PaymentMethod, ExpiresIn: time.Duration(req.ExpiresIn) * time.Second,
		Type: req.Type, IPAddress: req.IPAddress, UserAgent: req.UserAgent,
		Subscribe: req.Subscribe, CustomerReference: req.CustomerReference,
		RequiresConfirmation: req.RequiresConfirmation,
	}
	if err := req.checkoutOptions.apply(&p); err != nil {
		return err
	}
	req.checkoutFields.apply(&p)
	if p.IPAddress == "" {
		p.IPAddress = c.RealIP()
	}
	if p.UserAgent == "" {
		p.UserAgent = c.Request().UserAgent()
	}
	sess, _, err := s.money.Checkouts.Checkout(c.Request().Context(), id, p)
	if err != nil {
		return err
	}
	out := checkoutSessionJSON{ProcessURL: sess.ProcessURL, ExpiresAt: sess.ExpiresAt, Status: string(sess.Status)}
	if sess.RequestID != nil {
		out.RequestID = *sess.RequestID
	}
	return writeJSON(c, echo.MIMEApplicationJSON, http.StatusCreated, out)
}
