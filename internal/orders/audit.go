package orders

import (
	"context"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
)

// AuditHook writes the audit row of an action (who asked, why) in tx: the transaction that
// commits the action's own first write. For a refund or a preauthorization action that is
// the row saying it was requested, before PlacetoPay is called; for a cancel, a resolve or a
// settle, the status change itself. An action refused before that write (invalid, conflict)
// leaves no audit row, and no audit row exists without the change it records.
type AuditHook func(ctx context.Context, tx pgx.Tx, c AuditChange) error

// AuditChange is what an action changed: the order, what it acted on (a payment, a refund,
// an action id), and the state before and after, as JSON-ready maps.
type AuditChange struct {
	OrderID       uuid.UUID
	Target        string
	Before, After map[string]any
}

type auditKey struct{}

// auditCall is the request's hook and whether it ran: an action writes one audit row, in
// its first write, even when later steps (recording PlacetoPay's answer) run with the same
// context.
type auditCall struct {
	hook AuditHook
	done bool
}

// WithAudit returns ctx carrying hook: the actions called with it (Refund, RefundPayment,
// Capture, Reauthorize, Release, Cancel, ResolveReview, SettleRefund) call it once, in
// their transaction. The hook travels in the context because it belongs to the request
// (the caller's identity), not to the service.
func WithAudit(ctx context.Context, hook AuditHook) context.Context {
	return context.WithValue(ctx, auditKey{}, &auditCall{hook: hook})
}

// audit calls the request's audit hook, if it has one.
func audit(ctx context.Context, tx pgx.Tx, c AuditChange) error {
	call, _ := ctx.Value(auditKey{}).(*auditCall)
	if call == nil || call.done {
		return nil
	}
	if err := call.hook(ctx, tx, c); err != nil {
		return err
	}
	call.done = true
	return nil
}

// auditState is an order's state as an audit row shows it.
func auditState(o Order) map[string]any {
	return map[string]any{"status": string(o.Status), "amount": o.Amount.String(),
		"paidAmount": o.Paid().String(), "refundedAmount": o.Refunded().String()}
}
