package http

import (
	"cmp"
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/labstack/echo/v4"

	"github.com/placetopay-gateway/gateway/internal/operators"
	"github.com/placetopay-gateway/gateway/internal/orders"
)

// amountBody is the body of refunds, capture and reauthorize: an optional amount in the
// same shape as an order's, {"amount": {"currency": "USD", "total": "10.00"}}.
type amountBody struct {
	Amount *amountRequest `json:"amount"`
}

// parse returns the amount, or nil when the body had none.
func (b *amountBody) parse() (*orders.Money, error) {
	if b.Amount == nil {
		return nil, nil
	}
	if b.Amount.Total == "" {
		return nil, &orders.Error{Code: orders.EInvalid, Field: "amount.total", Message: "is required"}
	}
	m, err := orders.ParseMoney(string(b.Amount.Total), b.Amount.Currency)
	if err != nil {
		return nil, err
	}
	return &m, nil
}

// decodeAmount reads an optional amountBody: no body, or no amount, gives nil.
func decodeAmount(c echo.Context) (*orders.Money, error) {
	var body amountBody
	if err := decodeOptional(c, &body); err != nil {
		return nil, err
	}
	return body.parse()
}

// decodeOptional reads an optional JSON body: none at all is the zero value.
func decodeOptional(c echo.Context, v any) error {
	if c.Request().ContentLength == 0 {
		return nil
	}
	return decodeJSON(c, v)
}

type refundJSON struct {
	ID                       string    `json:"id"`
	OrderID                  string    `json:"orderId"`
	PaymentInternalReference int64     `json:"paymentInternalReference"`
	Amount                   moneyJSON `json:"amount"`
	Status                   string    `json:"status"`
	InternalReference        *int64    `json:"internalReference,omitempty"`
	Reason                   string    `json:"reason,omitempty"`
	Message                  string    `json:"message,omitempty"`
	Source                   string    `json:"source"`
	CreatedAt                time.Time `json:"createdAt"`
	UpdatedAt                time.Time `json:"updatedAt"`
}

func toRefundJSON(r orders.Refund) refundJSON {
	return refundJSON{ID: r.ID.String(), OrderID: r.OrderID.String(), PaymentInternalReference: r.PaymentInternalReference,
		Amount: toMoneyJSON(r.Amount), Status: string(r.Status), InternalReference: r.InternalReference,
		Reason: r.Reason, Message: r.Message, Source: string(cmp.Or(r.Source, orders.RefundByGateway)), CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt}
}

// handleRefund is POST /v1/orders/{id}/refunds: 201 with the refund when PlacetoPay refunded
// it, 202 when its outcome is unknown (it is being checked; never retried).
func (s *Server) handleRefund(c echo.Context) error {
	id, err := orderID(c)
	if err != nil {
		return err
	}
	// An amount, or everything refundable when none; one named payment, or the order's.
	var body struct {
		Amount            *amountRequest `json:"amount"`
		InternalReference *int64         `json:"internalReference"`
	}
	if err := decodeOptional(c, &body); err != nil {
		return err
	}
	amount, err := (&amountBody{Amount: body.Amount}).parse()
	if err != nil {
		return err
	}
	var r orders.Refund
	if body.InternalReference != nil {
		r, err = s.money.Actions.RefundPayment(s.merchantAudit(c, "refund"), id, *body.InternalReference, amount)
	} else {
		r, err = s.money.Actions.Refund(s.merchantAudit(c, "refund"), id, amount)
	}
	if err != nil {
		return err
	}
	status := http.StatusCreated
	if r.Status != orders.ActionSucceeded {
		status = http.StatusAccepted
	}
	return writeJSON(c, echo.MIMEApplicationJSON, status, toRefundJSON(r))
}

// handleListRefunds is GET /v1/orders/{id}/refunds.
func (s *Server) handleListRefunds(c echo.Context) error {
	id, err := orderID(c)
	if err != nil {
		return err
	}
	list, err := s.money.Actions.Refunds(c.Request().Context(), id)
	if err != nil {
		return err
	}
	out := struct {
		Data []refundJSON `json:"data"`
	}{Data: []refundJSON{}}
	for _, r := range list {
		out.Data = append(out.Data, toRefundJSON(r))
	}
	return writeJSON(c, echo.MIMEApplicationJSON, http.StatusOK, out)
}

// handleCapture is POST /v1/orders/{id}/capture.
func (s *Server) handleCapture(c echo.Context) error {
	id, err := orderID(c)
	if err != nil {
		return err
	}
	amount, err := decodeAmount(c)
	if err != nil {
		return err
	}
	o, err := s.money.Actions.Capture(s.merchantAudit(c, "capture"), id, amount)
	return s.orderAnswer(c, o, err)
}

// handleReauthorize is POST /v1/orders/{id}/reauthorize; the amount is required.
func (s *Server) handleReauthorize(c echo.Context) error {
	id, err := orderID(c)
	if err != nil {
		return err
	}
	amount, err := decodeAmount(c)
	if err != nil {
		return err
	}
	if amount == nil {
		return &orders.Error{Code: orders.EInvalid, Field: "amount", Message: "is required: the new amount to hold"}
	}
	o, err := s.money.Actions.Reauthorize(s.merchantAudit(c, "reauthorize"), id, *amount)
	return s.orderAnswer(c, o, err)
}

// handleRelease is POST /v1/orders/{id}/release; it takes no body.
func (s *Server) handleRelease(c echo.Context) error {
	id, err := orderID(c)
	if err != nil {
		return err
	}
	var body struct{}
	if err := decodeOptional(c, &body); err != nil {
		return err
	}
	o, err := s.money.Actions.Release(s.merchantAudit(c, "release"), id)
	return s.orderAnswer(c, o, err)
}

// handlePaymentAction is POST /v1/orders/{id}/payments/{internalReference}/confirm and
// /cancel: the confirmation flow.
func (s *Server) handlePaymentAction(action string) echo.HandlerFunc {
	return func(c echo.Context) error {
		id, err := orderID(c)
		if err != nil {
			return err
		}
		ref, err := strconv.ParseInt(c.Param("ref"), 10, 64)
		if err != nil || ref <= 0 {
			return &orders.Error{Code: orders.ENotFound, Field: "internalReference", Message: "payment " + strconv.Quote(c.Param("ref")) + " does not exist"}
		}
		var body struct{}
		if err := decodeOptional(c, &body); err != nil {
			return err
		}
		o, err := s.money.Actions.ConfirmPayment(c.Request().Context(), id, ref, action)
		return s.orderAnswer(c, o, err)
	}
}

func (s *Server) orderAnswer(c echo.Context, o orders.Order, err error) error {
	if err != nil {
		return err
	}
	return writeJSON(c, echo.MIMEApplicationJSON, http.StatusOK, toOrderJSON(o))
}

// merchantAudit is the request's context with the audit hook of a merchant API key's
// action: the row names the key (a stored key by its prefix and name, a GATEWAY_API_KEYS key
// by its fingerprint; never the key) and the caller's address.
func (s *Server) merchantAudit(c echo.Context, action string) context.Context {
	who, _ := c.Get(callerKey).(caller)
	actor := who.actor
	actor.IP = c.RealIP()
	return orders.WithAudit(c.Request().Context(), func(ctx context.Context, tx pgx.Tx, ch orders.AuditChange) error {
		return operators.Audit(ctx, tx, auditEntry(actor, action, "", ch))
	})
}
