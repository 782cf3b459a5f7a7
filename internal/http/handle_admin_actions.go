package http

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
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

func checkReason(reason string) (string, error) {
	reason = strings.TrimSpace(reason)
	if reason == "" || utf8.RuneCountInString(reason) > 500 {
		return "", &orders.Error{Code: orders.EInvalid, Field: "reason", Message: "is required: say why, in at most 500 characters"}
	}
	return reason, nil
}

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

// operatorAudit is the audit hook of an operator's action: the row names the operator,
// their address, the action and the reason.
func operatorAudit(c echo.Context, action, reason string) orders.AuditHook {
	p := principal(c)
	actor := operators.Actor{Kind: operators.ActorOperator, ID: p.ID.String(), Name: p.Email, IP: c.RealIP()}
	return func(ctx context.Context, tx pgx.Tx, ch orders.AuditChange) error {
		return operators.Audit(ctx, tx, auditEntry(actor, action, reason, ch))
	}
}

func auditEntry(actor operators.Actor, action, reason string, ch orders.AuditChange) operators.AuditEntry {
	e := operators.AuditEntry{Actor: actor, Action: action, OrderID: &ch.OrderID, Target: ch.Target, Reason: reason}
	if ch.Before != nil {
		e.Before, _ = json.Marshal(ch.Before)
	}
	if ch.After != nil {
		e.After, _ = json.Marshal(ch.After)
	}
	return e
}

// handleOrderAction is POST /admin/api/orders/{id}/{action}.
func (s *Server) handleOrderAction(action string) echo.HandlerFunc {
	return func(c echo.Context) error {
		id, err := orderID(c)
		if err != nil {
			return err
		}
		res, err := s.orderAction(c, id, action)
		if err != nil {
			return err
		}
		p := principal(c)
		s.operatorActions.WithLabelValues(action, string(p.Role)).Inc()
		if res.Order.ID == "" {
			o, err := s.orders.Get(c.Request().Context(), id)
			if err != nil {
				return err
			}
			res.Order = toOrderJSON(o)
		}
		return writeJSON(c, echo.MIMEApplicationJSON, http.StatusOK, res)
	}
}

func (s *Server) orderAction(c echo.Context, id uuid.UUID, action string) (actionResultJSON, error) {
	var res actionResultJSON
	switch action {
	case operators.ActionRefund:
		var body adminRefundBody
		if err := decodeJSON(c, &body); err != nil {
			return res, err
		}
		reason, err := checkReason(body.Reason)
		if err != nil {
			return res, err
		}
		amount, err := (&amountBody{Amount: body.Amount}).parse()
		if err != nil {
			return res, err
		}
		ctx := orders.WithAudit(c.Request().Context(), operatorAudit(c, action, reason))
		var r orders.Refund
		if body.InternalReference != nil {
			r, err = s.money.Actions.RefundPayment(ctx, id, *body.InternalReference, amount)
		} else {
			r, err = s.money.Actions.Refund(ctx, id, amount)
		}
		if err != nil {
			return res, err
		}
		rj := toRefundJSON(r)
		res.Refund = &rj
		return res, nil
	case operators.ActionCapture:
		var body adminCaptureBody
		if err := decodeJSON(c, &body); err != nil {
			return res, err
		}
		reason, err := checkReason(body.Reason)
		if err != nil {
			return res, err
		}
		amount, err := (&amountBody{Amount: body.Amount}).parse()
		if err != nil {
			return res, err
		}
		_, err = s.money.Actions.Capture(orders.WithAudit(c.Request().Context(), operatorAudit(c, action, reason)), id, amount)
		return res, err
	case operators.ActionResolve:
		var body adminResolveBody
		if err := decodeJSON(c, &body); err != nil {
			return res, err
		}
		reason, err := checkReason(body.Reason)
		if err != nil {
			return res, err
		}
		_, err = s.money.Actions.ResolveReview(orders.WithAudit(c.Request().Context(), operatorAudit(c, action, reason)), id,
			orders.Resolution{To: orders.Status(body.To), AcceptDiscrepancy: body.AcceptDiscrepancy, Note: reason})
		return res, err
	case operators.ActionSettle:
		var body adminSettleBody
		if err := decodeJSON(c, &body); err != nil {
			return res, err
		}
		reason, err := checkReason(body.Reason)
		if err != nil {
			return res, err
		}
		return s.settle(orders.WithAudit(c.Request().Context(), operatorAudit(c, action, reason)), id, body, reason)
	}
	// query, cancel and release take a reason only.
	var body reasonBody
	if err := decodeJSON(c, &body); err != nil {
		return res, err
	}
	reason, err := checkReason(body.Reason)
	if err != nil {
		return res, err
	}
	ctx := orders.WithAudit(c.Request().Context(), operatorAudit(c, action, reason))
	switch action {
	case operators.ActionCancel:
		_, err = s.money.Checkouts.Cancel(ctx, id)
	case operators.ActionRelease:
		_, err = s.money.Actions.Release(ctx, id)
	case operators.ActionQuery:
		err = s.query(ctx, c, id, reason)
	}
	return res, err
}

// settle settles an unknown refund (refundId, outcome refunded or not_refunded) or an
// unknown preauthorization or confirmation action (actionId, outcome succeeded or failed).
func (s *Server) settle(ctx context.Context, id uuid.UUID, body adminSettleBody, reason string) (actionResultJSON, error) {
	var res actionResultJSON
	if (body.RefundID == "") == (body.ActionID == "") {
		return res, &orders.Error{Code: orders.EInvalid, Field: "refundId", Message: "name either a refund (refundId) or an action (actionId)"}
	}
	if body.RefundID != "" {
		refundID, err := uuid.Parse(body.RefundID)
		if err != nil {
			return res, &orders.Error{Code: orders.EInvalid, Field: "refundId", Message: "must be the id of one of the order's refunds"}
		}
		if body.Outcome != "refunded" && body.Outcome != "not_refunded" {
			return res, &orders.Error{Code: orders.EInvalid, Field: "outcome", Message: "must be refunded or not_refunded for a refund"}
		}
		if body.InternalReference != nil {
			return res, &orders.Error{Code: orders.EInvalid, Field: "internalReference", Message: "applies to a capture or a reauthorization only"}
		}
		r, err := s.money.Actions.SettleRefund(ctx, id, refundID, body.Outcome == "refunded", reason)
		if err != nil {
			return res, err
		}
		rj := toRefundJSON(r)
		res.Refund = &rj
		return res, nil
	}
	actionID, err := uuid.Parse(body.ActionID)
	if err != nil {
		return res, &orders.Error{Code: orders.EInvalid, Field: "actionId", Message: "must be the id of one of the order's actions"}
	}
	if body.Outcome != "succeeded" && body.Outcome != "failed" {
		return res, &orders.Error{Code: orders.EInvalid, Field: "outcome", Message: "must be succeeded or failed for an action"}
	}
	var ref int64
	if body.InternalReference != nil {
		if ref = *body.InternalReference; ref <= 0 {
			return res, &orders.Error{Code: orders.EInvalid, Field: "internalReference", Message: "must be PlacetoPay's internalReference, a positive number"}
		}
	}
	a, err := s.money.Actions.SettleAction(ctx, id, actionID, body.Outcome == "succeeded", ref, reason)
	if err != nil {
		return res, err
	}
	res.Action = &settledActionJSON{ID: a.ID.String(), Kind: a.Kind, Action: a.Action, Status: string(a.Status)}
	return res, nil
}

// query asks PlacetoPay about the order's sessions now. It changes nothing by itself (what
// the answer shows is applied as any query's is), so its audit row is written after it.
func (s *Server) query(ctx context.Context, c echo.Context, id uuid.UUID, reason string) error {
	before, err := s.orders.Get(ctx, id)
	if err != nil {
		return err
	}
	if err := s.money.Reconciler.RefreshOrder(ctx, id); err != nil {
		return err
	}
	after, err := s.orders.Get(ctx, id)
	if err != nil {
		return err
	}
	return s.console.Operators.Record(ctx, auditEntry(operatorActor(c), operators.ActionQuery, reason, orders.AuditChange{
		OrderID: id, Before: map[string]any{"status": before.Status}, After: map[string]any{"status": after.Status}}))
}

func operatorActor(c echo.Context) operators.Actor {
	p := principal(c)
	return operators.Actor{Kind: operators.ActorOperator, ID: p.ID.String(), Name: p.Email, IP: c.RealIP()}
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
	reason, err := checkReason(body.Reason)
	if err != nil {
		return err
	}
	actor := operatorActor(c)
	orderID, err := s.console.Operators.Redeliver(c.Request().Context(), id, func(ctx context.Context, tx pgx.Tx, orderID *uuid.UUID, before map[string]any) error {
		e := operators.AuditEntry{Actor: actor, Action: operators.ActionRedeliver, OrderID: orderID, Target: "event " + id.String(), Reason: reason}
		e.Before, _ = json.Marshal(before)
		return operators.Audit(ctx, tx, e)
	})
	if err != nil {
		return err
	}
	s.operatorActions.WithLabelValues(operators.ActionRedeliver, string(principal(c).Role)).Inc()
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
