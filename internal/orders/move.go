package orders

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/placetopay-gateway/gateway/internal/orders/ordersdb"
)

// moveWithData moves o to status to through Store.transitionWith, with extra in the event's
// data (a refund, a capture); when o is already there (a second partial refund), the change
// is a timeline note and the event of to is still written. All inside tx.
func (p *Payments) moveWithData(ctx context.Context, tx pgx.Tx, o *Order, to Status, reason string, extra map[string]any) error {
	return p.move(ctx, tx, o, to, reason, extra, true)
}

// move is moveWithData; event false writes no event when o stays where it is (a new hold).
func (p *Payments) move(ctx context.Context, tx pgx.Tx, o *Order, to Status, reason string, extra map[string]any, event bool) error {
	from := o.Status
	if from != to {
		if err := p.store.transitionWith(ctx, tx, o, to, reason, nil, extra); err != nil {
			return err
		}
		p.metrics.transitions.WithLabelValues(string(from), string(to)).Inc()
		if to == StatusPaid { // a capture: its answer is the approval, so no time to paid
			p.metrics.approvedAmount.WithLabelValues(o.Amount.Currency).Add(float64(o.PaidMinor))
		}
		return nil
	}
	if err := p.store.q.InsertTimeline(ctx, tx, ordersdb.InsertTimelineParams{
		OrderID: o.ID, Kind: "note", FromStatus: ptr(string(from)), ToStatus: ptr(string(to)), Message: nullable(reason),
	}); err != nil {
		return err
	}
	if typ := to.EventType(); event && typ != "" {
		return p.store.insertEvent(ctx, tx, o, from, typ, extra)
	}
	return nil
}
