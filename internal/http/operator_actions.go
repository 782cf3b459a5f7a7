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
	RefundID          string        // settle a refund
	ActionID          string        // settle a preauthorization or confirmation action
	Outcome           string        // settle: refunded or not_refunded (a refund), succeeded or failed (an action)
}

// actionOutcome is what an action made: the refund a refund or settle made, or the action a
// settle settled.
type actionOutcome struct {
	Refund *orders.Refund
	Action *settledActionJSON
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
// requireRole), and counts it when it succeeds.
func (s *Server) runOrderAction(c echo.Context, id uuid.UUID, action string, req actionRequest) (actionOutcome, error) {
	reason, err := checkReason(req.Reason)
	if err != nil {
		return actionOutcome{}, err
	}
	var done actionOutcome
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
		done, err = s.settle(ctx, id, req, reason)
	case operators.ActionCancel:
		_, err = s.money.Checkouts.Cancel(ctx, id)
	case operators.ActionRelease:
		_, err = s.money.Actions.Release(ctx, id)
	case operators.ActionQuery:
		err = s.query(c.Request().Context(), c, id, reason)
	default:
		return actionOutcome{}, orders.Errorf(orders.ENotFound, "no action %s", action)
	}
	if err != nil {
		return actionOutcome{}, err
	}
	s.operatorActions.WithLabelValues(action, string(principal(c).Role)).Inc()
	if refund != nil {
		done.Refund = refund
	}
	return done, nil
}

// settle settles an unknown refund (refundId, outcome refunded or not_refunded) or an
// unknown preauthorization or confirmation action (actionId, outcome succeeded or failed).
func (s *Server) settle(ctx context.Context, id uuid.UUID, req actionRequest, reason string) (actionOutcome, error) {
	if (req.RefundID == "") == (req.ActionID == "") {
		return actionOutcome{}, &orders.Error{Code: orders.EInvalid, Field: "refundId", Message: "name either a refund (refundId) or an action (actionId)"}
	}
	if req.RefundID != "" {
		refundID, err := uuid.Parse(req.RefundID)
		if err != nil {
			return actionOutcome{}, &orders.Error{Code: orders.EInvalid, Field: "refundId", Message: "must be the id of one of the order's refunds"}
		}
		if req.Outcome != "refunded" && req.Outcome != "not_refunded" {
			return actionOutcome{}, &orders.Error{Code: orders.EInvalid, Field: "outcome", Message: "must be refunded or not_refunded for a refund"}
		}
		if req.InternalReference != nil {
			return actionOutcome{}, &orders.Error{Code: orders.EInvalid, Field: "internalReference", Message: "applies to a capture or a reauthorization only"}
		}
		r, err := s.money.Actions.SettleRefund(ctx, id, refundID, req.Outcome == "refunded", reason)
		if err != nil {
			return actionOutcome{}, err
		}
		return actionOutcome{Refund: &r}, nil
	}
	actionID, err := uuid.Parse(req.ActionID)
	if err != nil {
		return actionOutcome{}, &orders.Error{Code: orders.EInvalid, Field: "actionId", Message: "must be the id of one of the order's actions"}
	}
	if req.Outcome != "succeeded" && req.Outcome != "failed" {
		return actionOutcome{}, &orders.Error{Code: orders.EInvalid, Field: "outcome", Message: "must be succeeded or failed for an action"}
	}
	var ref int64
	if req.InternalReference != nil {
		if ref = *req.InternalReference; ref <= 0 {
			return actionOutcome{}, &orders.Error{Code: orders.EInvalid, Field: "internalReference", Message: "must be PlacetoPay's internalReference, a positive number"}
		}
	}
	a, err := s.money.Actions.SettleAction(ctx, id, actionID, req.Outcome == "succeeded", ref, reason)
	if err != nil {
		return actionOutcome{}, err
	}
	return actionOutcome{Action: &settledActionJSON{ID: a.ID.String(), Kind: a.Kind, Action: a.Action, Status: string(a.Status)}}, nil
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
