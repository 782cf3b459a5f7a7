package http

import (
	"context"
	"encoding/json"
	"strings"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/labstack/echo/v4"

	"github.com/placetopay-gateway/gateway/internal/operators"
	"github.com/placetopay-gateway/gateway/internal/orders"
)

// actionRequest is what an operator asks of an order, whether it came as the API's JSON
// (handle_admin_actions.go) or a console form (handle_console_actions.go): both run it
// through runOrderAction, so the rules, the audit rows and the metric are the same.
type actionRequest struct {
	Reason            string
	Amount            *orders.Money // refund, capture; nil: all
	InternalReference *int64        // refund: one named payment
	To                string        // resolve
	AcceptDiscrepancy bool          // resolve
	RefundID          string        // settle
	Outcome           string        // settle: refunded or not_refunded
}

func checkReason(reason string) (string, error) {
	reason = strings.TrimSpace(reason)
	if reason == "" || utf8.RuneCountInString(reason) > 500 {
		return "", &orders.Error{Code: orders.EInvalid, Field: "reason", Message: "is required: say why, in at most 500 characters"}
	}
	return reason, nil
}

// operatorAudit is the audit hook of an operator's action: the row names the operator,
// their address, the action and the reason.
func operatorAudit(c echo.Context, action, reason string) orders.AuditHook {
	actor := operatorActor(c)
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

func operatorActor(c echo.Context) operators.Actor {
	p := principal(c)
	return operators.Actor{Kind: operators.ActorOperator, ID: p.ID.String(), Name: p.Email, IP: c.RealIP()}
}

// runOrderAction takes action on order id for the operator of c (whose role was checked by
// requireRole), and counts it when it succeeds. It returns the refund a refund or settle
// made.
func (s *Server) runOrderAction(c echo.Context, id uuid.UUID, action string, req actionRequest) (*orders.Refund, error) {
	reason, err := checkReason(req.Reason)
	if err != nil {
		return nil, err
	}
	ctx := orders.WithAudit(c.Request().Context(), operatorAudit(c, action, reason))
	var refund *orders.Refund
	switch action {
	case operators.ActionRefund:
		var r orders.Refund
		if req.InternalReference != nil {
			r, err = s.money.Actions.RefundPayment(ctx, id, *req.InternalReference, req.Amount)
		} else {
			r, err = s.money.Actions.Refund(ctx, id, req.Amount)
		}
		refund = &r
	case operators.ActionCapture:
		_, err = s.money.Actions.Capture(ctx, id, req.Amount)
	case operators.ActionResolve:
		_, err = s.money.Actions.ResolveReview(ctx, id,
			orders.Resolution{To: orders.Status(req.To), AcceptDiscrepancy: req.AcceptDiscrepancy, Note: reason})
	case operators.ActionSettle:
		refundID, perr := uuid.Parse(req.RefundID)
		if perr != nil {
			return nil, &orders.Error{Code: orders.EInvalid, Field: "refundId", Message: "must be the id of one of the order's refunds"}
		}
		if req.Outcome != "refunded" && req.Outcome != "not_refunded" {
			return nil, &orders.Error{Code: orders.EInvalid, Field: "outcome", Message: "must be refunded or not_refunded"}
		}
		var r orders.Refund
		r, err = s.money.Actions.SettleRefund(ctx, id, refundID, req.Outcome == "refunded", reason)
		refund = &r
	case operators.ActionCancel:
		_, err = s.money.Checkouts.Cancel(ctx, id)
	case operators.ActionRelease:
		_, err = s.money.Actions.Release(ctx, id)
	case operators.ActionQuery:
		err = s.query(c.Request().Context(), c, id, reason)
	default:
		return nil, orders.Errorf(orders.ENotFound, "no action %s", action)
	}
	if err != nil {
		return nil, err
	}
	s.operatorActions.WithLabelValues(action, string(principal(c).Role)).Inc()
	return refund, nil
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

// redeliverEvent makes event id due at once for the operator of c, with its audit row in the
// same transaction, and counts it. It returns the event's order, if it has one.
func (s *Server) redeliverEvent(c echo.Context, id uuid.UUID, reason string) (*uuid.UUID, error) {
	reason, err := checkReason(reason)
	if err != nil {
		return nil, err
	}
	actor := operatorActor(c)
	orderID, err := s.console.Operators.Redeliver(c.Request().Context(), id, func(ctx context.Context, tx pgx.Tx, orderID *uuid.UUID, before map[string]any) error {
		e := operators.AuditEntry{Actor: actor, Action: operators.ActionRedeliver, OrderID: orderID, Target: "event " + id.String(), Reason: reason}
		e.Before, _ = json.Marshal(before)
		return operators.Audit(ctx, tx, e)
	})
	if err != nil {
		return nil, err
	}
	s.operatorActions.WithLabelValues(operators.ActionRedeliver, string(principal(c).Role)).Inc()
	return orderID, nil
}
