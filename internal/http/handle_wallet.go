package http

import (
	"net/http"
	"strconv"
	"time"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"github.com/placetopay-gateway/gateway/internal/orders"
)

// paymentMethodJSON is a stored card, masked: never its token.
type paymentMethodJSON struct {
	ID                string    `json:"id"`
	CustomerReference string    `json:"customerReference"`
	Franchise         string    `json:"franchise,omitempty"`
	FranchiseName     string    `json:"franchiseName,omitempty"`
	IssuerName        string    `json:"issuerName,omitempty"`
	LastDigits        string    `json:"lastDigits,omitempty"`
	ValidUntil        string    `json:"validUntil,omitempty"`
	OrderID           string    `json:"orderId"`
	Site              string    `json:"site"`
	CreatedAt         time.Time `json:"createdAt"`
}

// handleListPaymentMethods is GET /v1/customers/{ref}/payment-methods.
func (s *Server) handleListPaymentMethods(c echo.Context) error {
	list, err := s.wallet.List(c.Request().Context(), c.Param("ref"))
	if err != nil {
		return err
	}
	out := struct {
		Data []paymentMethodJSON `json:"data"`
	}{Data: make([]paymentMethodJSON, 0, len(list))}
	for _, pm := range list {
		out.Data = append(out.Data, paymentMethodJSON{ID: pm.ID.String(), CustomerReference: pm.CustomerReference,
			Franchise: pm.Franchise, FranchiseName: pm.FranchiseName, IssuerName: pm.IssuerName, LastDigits: pm.LastDigits,
			ValidUntil: pm.ValidUntil, OrderID: pm.OrderID.String(), Site: pm.Site, CreatedAt: pm.CreatedAt})
	}
	return writeJSON(c, echo.MIMEApplicationJSON, http.StatusOK, out)
}

// handleDeletePaymentMethod is DELETE /v1/customers/{ref}/payment-methods/{id}: the token
// is invalidated at PlacetoPay, then deleted here.
func (s *Server) handleDeletePaymentMethod(c echo.Context) error {
	id, err := uuid.Parse(c.Param("id"))
	if err != nil {
		return &orders.Error{Code: orders.ENotFound, Field: "id", Message: "payment method " + strconv.Quote(c.Param("id")) + " does not exist"}
	}
	if err := s.wallet.Delete(c.Request().Context(), c.Param("ref"), id); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

type chargeRequest struct {
	CustomerReference string         `json:"customerReference"`
	PaymentMethodID   string         `json:"paymentMethodId"`
	Reference         string         `json:"reference"`
	Description       string         `json:"description"`
	Amount            *amountRequest `json:"amount"`
	Payer             *orders.Person `json:"payer"`
	Installments      int            `json:"installments"`
	IPAddress         string         `json:"ipAddress"` // the customer's; the caller's address when absent
	UserAgent         string         `json:"userAgent"`
}

// handleCharge is POST /v1/charges: a charge of a stored payment method, recorded as an order.
func (s *Server) handleCharge(c echo.Context) error {
	var req chargeRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	if req.Amount == nil || req.Amount.Total == "" {
		return &orders.Error{Code: orders.EInvalid, Field: "amount", Message: "is required: {currency, total}"}
	}
	amount, err := orders.ParseMoney(string(req.Amount.Total), req.Amount.Currency)
	if err != nil {
		return err
	}
	pmID, err := uuid.Parse(req.PaymentMethodID)
	if err != nil {
		return &orders.Error{Code: orders.EInvalid, Field: "paymentMethodId", Message: "must be a payment method id"}
	}
	p := orders.ChargeParams{
		CustomerReference: req.CustomerReference, PaymentMethodID: pmID, Reference: req.Reference,
		Description: req.Description, Amount: amount, Payer: req.Payer, Installments: req.Installments,
		IPAddress: req.IPAddress, UserAgent: req.UserAgent,
	}
	if p.IPAddress == "" {
		p.IPAddress = c.RealIP()
	}
	if p.UserAgent == "" {
		p.UserAgent = c.Request().UserAgent()
	}
	orderID, err := s.wallet.Charge(c.Request().Context(), p)
	if err != nil {
		return err
	}
	o, err := s.orders.Get(c.Request().Context(), orderID)
	if err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderLocation, "/v1/orders/"+o.ID.String())
	return writeJSON(c, echo.MIMEApplicationJSON, http.StatusCreated, toOrderJSON(o))
}
