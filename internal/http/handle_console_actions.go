package http

import (
	"strconv"
	"strings"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"github.com/placetopay-gateway/gateway/internal/operators"
	"github.com/placetopay-gateway/gateway/internal/orders"
)

// actionDone is what the order page says after each action succeeded.
var actionDone = map[string]string{
	operators.ActionQuery:          "PlacetoPay was queried; the order shows what it answered.",
	operators.ActionRefund:         "The refund was requested; its state is in the refunds table.",
	operators.ActionCancel:         "The order was cancelled.",
	operators.ActionCapture:        "The capture was requested.",
	operators.ActionRelease:        "The hold was released.",
	operators.ActionResolve:        "The review was resolved.",
	operators.ActionSettle:         "It was settled as you said.",
	operators.ActionRedeliver:      "The event is due for delivery again.",
	operators.ActionPauseDelivery:  "Delivery to the merchant is paused: events wait, and none gives up meanwhile.",
	operators.ActionResumeDelivery: "Delivery to the merchant resumed: the events that waited go out in order.",
}

// handleConsoleAction is POST /console/orders/{id}/{action}: the form's fields become the
// same request the API's JSON does, run by the same code (runOrderAction); the answer is a
// 303 back to the order with what happened.
func (s *Server) handleConsoleAction(action string) echo.HandlerFunc {
	return func(c echo.Context) error {
		id, err := orderID(c)
		if err != nil {
			return err
		}
		back := "/console/orders/" + id.String()
		l := consoleLocale(c)
		req, err := formActionRequest(c)
		if err == nil {
			_, err = s.runOrderAction(c, id, action, req)
		}
		if err != nil {
			return s.actionRefused(c, back, err)
		}
		return s.redirectWithFlash(c, back, l.T(actionDone[action]), false)
	}
}

// formActionRequest reads an action's form fields.
func formActionRequest(c echo.Context) (actionRequest, error) {
	req := actionRequest{Reason: c.FormValue("reason"), To: c.FormValue("to"), AcceptDiscrepancy: c.FormValue("acceptDiscrepancy") != "",
		RefundID: c.FormValue("refundId"), ActionID: c.FormValue("actionId"), Outcome: c.FormValue("outcome")}
	if v := strings.TrimSpace(c.FormValue("internalReference")); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return req, &orders.Error{Code: orders.EInvalid, Field: "internalReference", Message: "must be a payment's internal reference"}
		}
		req.InternalReference = &n
	}
	if v := strings.TrimSpace(c.FormValue("amount")); v != "" {
		m, err := orders.ParseMoney(v, c.FormValue("currency"))
		if err != nil {
			return req, err
		}
		req.Amount = &m
	}
	return req, nil
}

// handleConsoleRedeliver is POST /console/events/{id}/redeliver, back to the event's order.
func (s *Server) handleConsoleRedeliver(c echo.Context) error {
	id, err := uuid.Parse(c.Param("id"))
	if err != nil {
		return &orders.Error{Code: orders.ENotFound, Message: "event " + c.Param("id") + " does not exist"}
	}
	back := "/console"
	if o, err := uuid.Parse(c.FormValue("orderId")); err == nil {
		back = "/console/orders/" + o.String()
	}
	orderID, err := s.redeliverEvent(c, id, c.FormValue("reason"))
	if err != nil {
		return s.actionRefused(c, back, err)
	}
	if orderID != nil {
		back = "/console/orders/" + orderID.String()
	}
	return s.redirectWithFlash(c, back, consoleLocale(c).T(actionDone[operators.ActionRedeliver]), false)
}

// actionRefused sends the operator back with why nothing was done: a domain error's
// sentence. Anything else (the database failed) is the page's error.
func (s *Server) actionRefused(c echo.Context, back string, err error) error {
	e, ok := domainError(err)
	if !ok || e.Code == orders.EInternal {
		return err
	}
	if e.Code == orders.EForbidden {
		return err // a 403 page: the role check has its own answer
	}
	return s.redirectWithFlash(c, back, actionMessage(consoleLocale(c), e), true)
}

// consoleActionRoutes are the action forms' routes: the API's role check and idempotency
// (the form's idempotencyKey, scoped to the operator) in front of each.
func (s *Server) consoleActionRoutes() {
	e := s.echo
	for _, a := range []string{operators.ActionQuery, operators.ActionRefund, operators.ActionCancel, operators.ActionCapture,
		operators.ActionRelease, operators.ActionResolve, operators.ActionSettle} {
		e.POST("/console/orders/:id/"+a, s.handleConsoleAction(a), s.consolePageMiddleware, s.consoleSession, s.requireRole(a), s.idempotent)
	}
	e.POST("/console/events/:id/redeliver", s.handleConsoleRedeliver, s.consolePageMiddleware, s.consoleSession,
		s.requireRole(operators.ActionRedeliver), s.idempotent)
}
