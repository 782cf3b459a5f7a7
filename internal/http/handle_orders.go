package http

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"
	"go.uber.org/zap"

	"github.com/placetopay-gateway/gateway/internal/orders"
)

type createOrderRequest struct {
	Reference   string              `json:"reference"`
	Description string              `json:"description"`
	Amount      *orderAmountRequest `json:"amount"`
	Buyer       *orders.Person      `json:"buyer"`
	Items       []itemJSON          `json:"items"`
	ReturnURL   string              `json:"returnUrl"`
	Site        string              `json:"site"`
}

type amountRequest struct {
	Currency string  `json:"currency"`
	Total    decimal `json:"total"`
}

// orderAmountRequest is an order's amount: a total, and the taxes and details PlacetoPay's
// amount itemises.
type orderAmountRequest struct {
	amountRequest
	Taxes   []taxJSON    `json:"taxes"`
	Details []detailJSON `json:"details"`
}

// handleCreateOrder is POST /v1/orders.
func (s *Server) handleCreateOrder(c echo.Context) error {
	var req createOrderRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	p, err := req.params()
	if err != nil {
		return err
	}
	o, secret, err := s.orders.Create(c.Request().Context(), p)
	if err != nil {
		return err
	}
	out := toOrderJSON(o)
	out.ClientSecret = secret
	c.Response().Header().Set(echo.HeaderLocation, "/v1/orders/"+o.ID.String())
	return writeJSON(c, echo.MIMEApplicationJSON, http.StatusCreated, out)
}

// params turns the wire request into domain values, parsing every decimal exactly.
func (r *createOrderRequest) params() (orders.CreateParams, error) {
	if r.Amount == nil {
		return orders.CreateParams{}, &orders.Error{Code: orders.EInvalid, Field: "amount", Message: "is required"}
	}
	if r.Amount.Total == "" {
		return orders.CreateParams{}, &orders.Error{Code: orders.EInvalid, Field: "amount.total", Message: "is required"}
	}
	total, err := orders.ParseMoney(string(r.Amount.Total), r.Amount.Currency)
	if err != nil {
		return orders.CreateParams{}, err
	}
	p := orders.CreateParams{
		Reference: r.Reference, Description: r.Description, Amount: total,
		Buyer: r.Buyer, ReturnURL: r.ReturnURL, Site: r.Site,
	}
	if p.Taxes, p.Details, err = r.Amount.parts(total.Currency); err != nil {
		return orders.CreateParams{}, err
	}
	for i, it := range r.Items {
		field := "items[" + strconv.Itoa(i) + "]"
		price, err := orders.ParseMoney(string(it.Price), total.Currency)
		if err != nil {
			return orders.CreateParams{}, renameField(err, field+".price")
		}
		var tax orders.Money
		if it.Tax != "" {
			if tax, err = orders.ParseMoney(string(it.Tax), total.Currency); err != nil {
				return orders.CreateParams{}, renameField(err, field+".tax")
			}
		}
		p.Items = append(p.Items, orders.Item{SKU: it.SKU, Name: it.Name, Category: it.Category, Qty: it.Qty,
			PriceMinor: price.Minor, TaxMinor: tax.Minor})
	}
	return p, nil
}

// renameField points a money parsing error at the field it came from.
func renameField(err error, field string) error {
	var e *orders.Error
	if errors.As(err, &e) {
		return &orders.Error{Code: e.Code, Field: field, Message: e.Message}
	}
	return err
}

// handleGetOrder is GET /v1/orders/{id}: the whole order with an API key, or its status
// fields with the order's client secret.
func (s *Server) handleGetOrder(c echo.Context) error {
	id, err := orderID(c)
	if err != nil {
		return err
	}
	refresh, err := refreshParam(c)
	if err != nil {
		return err
	}
	refresh = refresh && s.money != nil
	ctx := c.Request().Context()
	if _, withKey := c.Get(ownerKey).(string); !withKey {
		// The status answer shows no payment: they are not read.
		o, err := s.orders.StatusWithClientSecret(ctx, id, c.Request().Header.Get("X-Client-Secret"))
		if err != nil {
			return err
		}
		// A browser polls: its refreshes are spaced per session (RefreshOrderIfStale).
		if refresh {
			if err := s.money.Reconciler.RefreshOrderIfStale(ctx, id); err != nil {
				s.log.Warn("refresh failed; answering with the stored order", zap.String("order", id.String()), zap.Error(err))
			} else if o, err = s.orders.Status(ctx, id); err != nil {
				return err
			}
		}
		return writeJSON(c, echo.MIMEApplicationJSON, http.StatusOK, toOrderStatusJSON(o))
	}
	if refresh {
		if err := s.money.Reconciler.RefreshOrder(ctx, id); err != nil {
			s.log.Warn("refresh failed; answering with the stored order", zap.String("order", id.String()), zap.Error(err))
			msg := "PlacetoPay could not be queried; the order is as last known"
			if unknown := (*orders.SessionUnknownError)(nil); errors.As(err, &unknown) {
				msg = "PlacetoPay says a session of this order does not exist (the gateway's PlacetoPay site or environment changed?); the order is as last known"
			}
			c.Response().Header().Set("Refresh-Error", msg)
		}
	}
	o, err := s.orders.Get(ctx, id)
	if err != nil {
		return err
	}
	return writeJSON(c, echo.MIMEApplicationJSON, http.StatusOK, toOrderJSON(o))
}

// handleListOrders is GET /v1/orders.
func (s *Server) handleListOrders(c echo.Context) error {
	limit, err := limitParam(c, 20)
	if err != nil {
		return err
	}
	p := orders.ListParams{Status: orders.Status(c.QueryParam("status")), Cursor: c.QueryParam("cursor"), Limit: limit}
	list, next, err := s.orders.List(c.Request().Context(), p)
	if err != nil {
		return err
	}
	out := struct {
		Data       []orderJSON `json:"data"`
		NextCursor *string     `json:"nextCursor"`
	}{Data: make([]orderJSON, 0, len(list))}
	for _, o := range list {
		out.Data = append(out.Data, toOrderJSON(o))
	}
	if next != "" {
		out.NextCursor = &next
	}
	return writeJSON(c, echo.MIMEApplicationJSON, http.StatusOK, out)
}

// handleCancelOrder is POST /v1/orders/{id}/cancel.
func (s *Server) handleCancelOrder(c echo.Context) error {
	id, err := orderID(c)
	if err != nil {
		return err
	}
	cancel := s.orders.Cancel
	if s.money != nil {
		cancel = s.money.Checkouts.Cancel
	}
	if _, err := cancel(s.merchantAudit(c, "cancel"), id); err != nil {
		return err
	}
	o, err := s.orders.Get(c.Request().Context(), id)
	if err != nil {
		return err
	}
	return writeJSON(c, echo.MIMEApplicationJSON, http.StatusOK, toOrderJSON(o))
}

func orderID(c echo.Context) (uuid.UUID, error) {
	id, err := uuid.Parse(c.Param("id"))
	if err != nil {
		return uuid.UUID{}, &orders.Error{Code: orders.ENotFound, Field: "id", Message: "order " + strconv.Quote(c.Param("id")) + " does not exist"}
	}
	return id, nil
}
