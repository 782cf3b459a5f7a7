package http

import (
	"net/http"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"github.com/placetopay-gateway/gateway/internal/operators"
	"github.com/placetopay-gateway/gateway/internal/orders"
)

// The bodies of the operator actions: each needs a reason, kept in the audit log.
type (
	reasonBody struct {
		Reason string `json:"reason"`
	}
	adminRefundBody struct {
		Reason            string         `json:"reason"`
		Amount            *amountRequest `json:"amount"`
		InternalReference *int64         `json:"internalReference"`
	}
	adminCaptureBody struct {
		Reason string         `json:"reason"`
		Amount *amountRequest `json:"amount"`
	}
	adminResolveBody struct {
		Reason            string `json:"reason"`
		To                string `json:"to"`
		AcceptDiscrepancy bool   `json:"acceptDiscrepancy"`
	}
	adminSettleBody struct {
		Reason            string `json:"reason"`
		RefundID          string `json:"refundId"`
		ActionID          string `json:"actionId"`
		Outcome           string `json:"outcome"`
		InternalReference *int64 `json:"internalReference"`
	}
)

// actionResultJSON is what an operator action answers: the order as it now stands, and the
// refund a refund or settle made, or the action a settle settled.
type actionResultJSON struct {
	Order  orderJSON          `json:"order"`
	Refund *refundJSON        `json:"refund,omitempty"`
	Action *settledActionJSON `json:"action,omitempty"`
}

type settledActionJSON struct {
	ID     string `json:"id"`
	Kind   string `json:"kind"`
	Action string `json:"action"`
	Status string `json:"status"`
}

// handleOrderAction is POST /admin/api/orders/{id}/{action}.
func (s *Server) handleOrderAction(action string) echo.HandlerFunc {
	return func(c echo.Context) error {
		id, err := orderID(c)
		if err != nil {
			return err
		}
		req, err := decodeActionRequest(c, action)
		if err != nil {
			return err
		}
		done, err := s.runOrderAction(c, id, action, req)
		if err != nil {
			return err
		}
		res := actionResultJSON{Action: done.Action}
		if done.Refund != nil {
			rj := toRefundJSON(*done.Refund)
			res.Refund = &rj
		}
		o, err := s.orders.Get(c.Request().Context(), id)
		if err != nil {
			return err
		}
		res.Order = toOrderJSON(o)
		return writeJSON(c, echo.MIMEApplicationJSON, http.StatusOK, res)
	}
}

// decodeActionRequest reads the JSON body of action.
func decodeActionRequest(c echo.Context, action string) (actionRequest, error) {
	switch action {
	case operators.ActionRefund:
		var body adminRefundBody
		if err := decodeJSON(c, &body); err != nil {
			return actionRequest{}, err
		}
		amount, err := (&amountBody{Amount: body.Amount}).parse()
		return actionRequest{Reason: body.Reason, Amount: amount, InternalReference: body.InternalReference}, err
	case operators.ActionCapture:
		var body adminCaptureBody
		if err := decodeJSON(c, &body); err != nil {
			return actionRequest{}, err
		}
		amount, err := (&amountBody{Amount: body.Amount}).parse()
		return actionRequest{Reason: body.Reason, Amount: amount}, err
	case operators.ActionResolve:
		var body adminResolveBody
		err := decodeJSON(c, &body)
		return actionRequest{Reason: body.Reason, To: body.To, AcceptDiscrepancy: body.AcceptDiscrepancy}, err
	case operators.ActionSettle:
		var body adminSettleBody
		err := decodeJSON(c, &body)
		return actionRequest{Reason: body.Reason, RefundID: body.RefundID, ActionID: body.ActionID, Outcome: body.Outcome,
			InternalReference: body.InternalReference}, err
	}
	// query, cancel and release take a reason only.
	var body reasonBody
	err := decodeJSON(c, &body)
	return actionRequest{Reason: body.Reason}, err
}

// handleRedeliver is POST /admin/api/events/{id}/redeliver: the event is due again at once.
func (s *Server) handleRedeliver(c echo.Context) error {
	id, err := uuid.Parse(c.Param("id"))
	if err != nil {
		return &orders.Error{Code: orders.ENotFound, Message: "event " + c.Param("id") + " does not exist"}
	}
	var body reasonBody
	if err := decodeJSON(c, &body); err != nil {
		return err
	}
	orderID, err := s.redeliverEvent(c, id, body.Reason)
	if err != nil {
		return err
	}
	out := struct {
		EventID string  `json:"eventId"`
		OrderID *string `json:"orderId"`
	}{EventID: id.String()}
	if orderID != nil {
		v := orderID.String()
		out.OrderID = &v
	}
	return writeJSON(c, echo.MIMEApplicationJSON, http.StatusAccepted, out)
}
