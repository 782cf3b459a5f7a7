package orders

import (
	"context"
	"encoding/json"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/placetopay-gateway/gateway/internal/orders/ordersdb"
)

// moveWithData is Store.transition for the transaction actions: it moves o to status to
// (guarded), or, when o is already there, writes the change as a timeline note; then, when
// event is true, it writes the outbox event of to with extra merged into the usual data
// (a refund's details, a capture's amount). All inside tx.
func (p *Payments) moveWithData(ctx context.Context, tx pgx.Tx, o *Order, to Status, reason string, extra map[string]any) error {
	return p.move(ctx, tx, o, to, reason, extra, true)
}

func (p *Payments) move(ctx context.Context, tx pgx.Tx, o *Order, to Status, reason string, extra map[string]any, event bool) error {
	q := p.store.q
	from := o.Status
	if from != to {
		if err := o.Transition(to); err != nil {
			return err
		}
		n, err := q.UpdateOrderStatus(ctx, tx, ordersdb.UpdateOrderStatusParams{ID: o.ID, FromStatus: string(from), ToStatus: string(to)})
		if err != nil {
			return err
		}
		if n != 1 {
			return Errorf(EConflict, "order %s changed while it was being updated", o.ID)
		}
		if err := q.InsertTimeline(ctx, tx, ordersdb.InsertTimelineParams{
			OrderID: o.ID, Kind: "transition", FromStatus: ptr(string(from)), ToStatus: ptr(string(to)), Message: nullable(reason),
		}); err != nil {
			return err
		}
		p.metrics.transitions.WithLabelValues(string(from), string(to)).Inc()
	} else if err := q.InsertTimeline(ctx, tx, ordersdb.InsertTimelineParams{
		OrderID: o.ID, Kind: "note", FromStatus: ptr(string(from)), ToStatus: ptr(string(to)), Message: nullable(reason),
	}); err != nil {
		return err
	}
	typ := to.EventType()
	if !event || typ == "" {
		return nil
	}
	data := eventData(o, from)
	for k, v := range extra {
		data[k] = v
	}
	raw, err := json.Marshal(data)
	if err != nil {
		return err
	}
	_, err = q.InsertEvent(ctx, tx, ordersdb.InsertEventParams{ID: uuid.Must(uuid.NewV7()), Type: typ, OrderID: o.ID, Data: raw})
	return err
}

// note writes a timeline note on the order inside tx.
func (p *Payments) note(ctx context.Context, tx pgx.Tx, orderID uuid.UUID, message string) error {
	return p.store.q.InsertTimeline(ctx, tx, ordersdb.InsertTimelineParams{OrderID: orderID, Kind: "note", Message: &message})
}
