package orders

import (
	"context"
	"encoding/json"
	"maps"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"go.uber.org/zap"

	"github.com/placetopay-gateway/gateway/internal/orders/ordersdb"
)

// Change is one act on an order. Store.record writes it whole: the status, the timeline
// entry and the outbox event.
type Change struct {
	// To is the status the order moves to; empty for a note about the order as it stands.
	To      Status
	Reason  string     // the timeline's message
	Session *uuid.UUID // the session whose answer caused it, if any
	Data    map[string]any
	// Event is the outbox event's type. Empty means the event of To for a move, and none
	// for a note.
	Event string
	// Resolution marks an operator's resolution of a review (ResolveReview): it allows
	// the moves out of review the status machine keeps from every automatic path.
	Resolution bool
}

// stayOrMove is a change to status to, or a note when o is there already.
func stayOrMove(o *Order, to Status) Status {
	if o.Status == to {
		return ""
	}
	return to
}

// record writes c for o inside tx: the guarded status update, the timeline entry and the
// outbox event commit together or not at all. It is the only writer of an order's status.
// A move the status machine does not allow (to the status the order has included), or an
// order changed meanwhile, is EConflict.
func (s *Store) record(ctx context.Context, tx pgx.Tx, o *Order, c Change) error {
	from, kind := o.Status, "note"
	event := c.Event
	if c.To != "" {
		move := o.Transition
		if c.Resolution {
			move = o.resolve
		}
		if err := move(c.To); err != nil {
			return err
		}
		n, err := s.q.UpdateOrderStatus(ctx, tx, ordersdb.UpdateOrderStatusParams{
			ID: o.ID, FromStatus: string(from), ToStatus: string(c.To),
		})
		if err != nil {
			return err
		}
		if n != 1 {
			return Errorf(EConflict, "order %s changed while it was being updated", o.ID)
		}
		kind = "transition"
		if event == "" {
			event = c.To.EventType()
		}
	}
	err := s.q.InsertTimeline(ctx, tx, ordersdb.InsertTimelineParams{
		OrderID: o.ID, SessionID: c.Session, Kind: kind, FromStatus: ptr(string(from)), ToStatus: ptr(string(o.Status)),
		Message: nullable(c.Reason),
	})
	if err != nil {
		return err
	}
	if kind == "transition" || event != "" {
		// Written before commit: a rolled-back change is logged too, and says so no further.
		s.log.Info("order "+string(o.Status), zap.String("order", o.ID.String()), zap.String("reference", o.Reference),
			zap.String("from", string(from)), zap.String("event", event), zap.String("paid", o.Paid().String()))
	}
	if event == "" {
		return nil
	}
	fields := eventData(o, from)
	maps.Copy(fields, c.Data)
	data, err := json.Marshal(fields)
	if err != nil {
		return err
	}
	_, err = s.q.InsertEvent(ctx, tx, ordersdb.InsertEventParams{
		ID: uuid.Must(uuid.NewV7()), Type: event, OrderID: &o.ID, Data: data,
	})
	return err
}

// eventData is the payload of an order event: the order's money and statuses at the change.
func eventData(o *Order, from Status) map[string]any {
	return map[string]any{
		"orderId": o.ID, "reference": o.Reference, "status": o.Status, "previousStatus": from,
		"amount": moneyData(o.Amount), "paidAmount": moneyData(o.Paid()), "refundedAmount": moneyData(o.Refunded()),
	}
}

// moneyData is an amount as events show it: the currency and the exact decimal.
func moneyData(m Money) map[string]string {
	return map[string]string{"currency": m.Currency, "total": m.Decimal()}
}

// note writes a timeline entry about an order that changes nothing: a warning, a deadline.
func (s *Store) note(ctx context.Context, db ordersdb.DBTX, orderID uuid.UUID, sessionID *uuid.UUID, reason, message string) error {
	return s.q.InsertTimeline(ctx, db, ordersdb.InsertTimelineParams{
		OrderID: orderID, SessionID: sessionID, Kind: "note", Reason: nullable(reason), Message: nullable(message),
	})
}

// providerAnswer writes what PlacetoPay said about a session to the order's timeline, with
// the answer stripped of card data, tokens and personal data.
func (s *Store) providerAnswer(ctx context.Context, tx pgx.Tx, orderID uuid.UUID, sessionID *uuid.UUID, status ProviderStatus, reason, message string, payload []byte) error {
	return s.q.InsertTimeline(ctx, tx, ordersdb.InsertTimelineParams{
		OrderID: orderID, SessionID: sessionID, Kind: "provider_status", ProviderStatus: ptr(string(status)),
		Reason: nullable(reason), Message: nullable(message), Payload: payload,
	})
}
