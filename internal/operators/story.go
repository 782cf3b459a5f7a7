package operators

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/placetopay-gateway/gateway/internal/orders"
)

// Story is what the order itself does not say: its timeline with PlacetoPay's answers (card
// data and secrets were stripped before they were stored), the notifications received for
// its sessions, its transaction actions, its events with every delivery attempt, and its
// audit entries.
type Story struct {
	Timeline      []TimelineEntry
	Notifications []NotificationEntry
	Actions       []ActionEntry
	Events        []EventEntry
	Audit         []AuditEntry
	// LastDigits are the last digits of each payment's card, by internal reference (what a
	// person needs to recognise a card; nothing more of it is kept).
	LastDigits map[int64]string
}

// TimelineEntry is one line of an order's timeline.
type TimelineEntry struct {
	At                                              time.Time
	Kind, From, To, ProviderStatus, Reason, Message string
	Payload                                         json.RawMessage
}

// NotificationEntry is a PlacetoPay notification about one of the order's sessions (the raw
// body is not shown: it is PlacetoPay's signed message, kept as evidence).
type NotificationEntry struct {
	ReceivedAt        time.Time
	RequestID         *int64
	InternalReference *int64
	Status, Signature string
	Duplicates        int
	ProcessedAt       *time.Time
}

// ActionEntry is a preauthorization or confirmation action on one of the order's payments.
type ActionEntry struct {
	ID                   uuid.UUID
	Kind, Action, Status string
	Reason, Message      string
	CreatedAt, UpdatedAt time.Time
}

// EventEntry is one event of the order and its delivery attempts.
type EventEntry struct {
	ID          uuid.UUID
	Type        string
	CreatedAt   time.Time
	DeliveredAt *time.Time
	FailedAt    *time.Time
	Attempts    int
	Deliveries  []DeliveryEntry
}

// DeliveryEntry is one attempt to deliver an event.
type DeliveryEntry struct {
	At         time.Time
	StatusCode *int
	Error      string
	DurationMS int
}

// StoryOf returns the order's story. The order itself comes from orders.Service.
func (s *Service) StoryOf(ctx context.Context, orderID uuid.UUID) (Story, error) {
	st := Story{Timeline: []TimelineEntry{}, Notifications: []NotificationEntry{}, Actions: []ActionEntry{}, Events: []EventEntry{}}
	rows, err := s.pool.Query(ctx, `SELECT created_at, kind, coalesce(from_status, ''), coalesce(to_status, ''), coalesce(provider_status, ''),
		coalesce(reason, ''), coalesce(message, ''), payload FROM order_timeline WHERE order_id = $1 ORDER BY id`, orderID)
	if err != nil {
		return st, err
	}
	for rows.Next() {
		var e TimelineEntry
		var payload []byte
		if err := rows.Scan(&e.At, &e.Kind, &e.From, &e.To, &e.ProviderStatus, &e.Reason, &e.Message, &payload); err != nil {
			rows.Close()
			return st, err
		}
		e.Payload = payload
		st.Timeline = append(st.Timeline, e)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return st, err
	}
	rows, err = s.pool.Query(ctx, `SELECT n.received_at, n.request_id, n.internal_reference, n.status, n.signature_algorithm, n.duplicates, n.processed_at
		FROM notifications n WHERE n.request_id IN (SELECT request_id FROM checkout_sessions WHERE order_id = $1 AND request_id IS NOT NULL)
		   OR n.internal_reference IN (SELECT internal_reference FROM payments WHERE order_id = $1)
		ORDER BY n.id`, orderID)
	if err != nil {
		return st, err
	}
	for rows.Next() {
		var n NotificationEntry
		if err := rows.Scan(&n.ReceivedAt, &n.RequestID, &n.InternalReference, &n.Status, &n.Signature, &n.Duplicates, &n.ProcessedAt); err != nil {
			rows.Close()
			return st, err
		}
		st.Notifications = append(st.Notifications, n)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return st, err
	}
	rows, err = s.pool.Query(ctx, `SELECT id, 'preauth', action, status, coalesce(reason, ''), coalesce(message, ''), created_at, updated_at
		FROM preauth_actions WHERE order_id = $1
		UNION ALL SELECT id, 'confirm', action, status, coalesce(reason, ''), coalesce(message, ''), created_at, updated_at
		FROM confirm_actions WHERE order_id = $1 ORDER BY 7`, orderID)
	if err != nil {
		return st, err
	}
	for rows.Next() {
		var a ActionEntry
		if err := rows.Scan(&a.ID, &a.Kind, &a.Action, &a.Status, &a.Reason, &a.Message, &a.CreatedAt, &a.UpdatedAt); err != nil {
			rows.Close()
			return st, err
		}
		st.Actions = append(st.Actions, a)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return st, err
	}
	if st.LastDigits, err = s.lastDigitsOf(ctx, orderID); err != nil {
		return st, err
	}
	if st.Events, err = s.eventsOf(ctx, orderID); err != nil {
		return st, err
	}
	st.Audit, err = s.AuditLog(ctx, AuditFilter{OrderID: &orderID, Limit: 500})
	return st, err
}

func (s *Service) lastDigitsOf(ctx context.Context, orderID uuid.UUID) (map[int64]string, error) {
	rows, err := s.pool.Query(ctx, `SELECT internal_reference, last_digits FROM payments WHERE order_id = $1 AND last_digits IS NOT NULL`, orderID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[int64]string{}
	for rows.Next() {
		var ref int64
		var digits string
		if err := rows.Scan(&ref, &digits); err != nil {
			return nil, err
		}
		out[ref] = digits
	}
	return out, rows.Err()
}

func (s *Service) eventsOf(ctx context.Context, orderID uuid.UUID) ([]EventEntry, error) {
	rows, err := s.pool.Query(ctx, `SELECT e.seq, e.id, e.type, e.created_at, e.delivered_at, e.failed_at, e.attempts
		FROM events e WHERE e.order_id = $1 ORDER BY e.seq`, orderID)
	if err != nil {
		return nil, err
	}
	out := []EventEntry{}
	var seqs []int64
	for rows.Next() {
		var e EventEntry
		var seq int64
		if err := rows.Scan(&seq, &e.ID, &e.Type, &e.CreatedAt, &e.DeliveredAt, &e.FailedAt, &e.Attempts); err != nil {
			rows.Close()
			return nil, err
		}
		e.Deliveries = []DeliveryEntry{}
		out, seqs = append(out, e), append(seqs, seq)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for i, seq := range seqs {
		drows, err := s.pool.Query(ctx, `SELECT attempted_at, status_code, coalesce(error, ''), duration_ms FROM event_deliveries
			WHERE event_seq = $1 ORDER BY id`, seq)
		if err != nil {
			return nil, err
		}
		for drows.Next() {
			var d DeliveryEntry
			if err := drows.Scan(&d.At, &d.StatusCode, &d.Error, &d.DurationMS); err != nil {
				drows.Close()
				return nil, err
			}
			out[i].Deliveries = append(out[i].Deliveries, d)
		}
		drows.Close()
		if err := drows.Err(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// Redeliver makes the event due for delivery again, at once, whatever became of it
// (delivered, given up, waiting for its next attempt); audit writes the audit row in the
// same transaction. It returns the event's order, if it has one.
func (s *Service) Redeliver(ctx context.Context, eventID uuid.UUID, audit func(ctx context.Context, tx pgx.Tx, orderID *uuid.UUID, before map[string]any) error) (*uuid.UUID, error) {
	var orderID *uuid.UUID
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var delivered, failed *time.Time
		var attempts int
		err := tx.QueryRow(ctx, `SELECT order_id, delivered_at, failed_at, attempts FROM events WHERE id = $1 FOR UPDATE`, eventID).
			Scan(&orderID, &delivered, &failed, &attempts)
		if errors.Is(err, pgx.ErrNoRows) {
			return orders.Errorf(orders.ENotFound, "event %s does not exist", eventID)
		} else if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE events SET delivered_at = NULL, failed_at = NULL, next_attempt_at = $2 WHERE id = $1`,
			eventID, s.now().UTC()); err != nil {
			return err
		}
		return audit(ctx, tx, orderID, map[string]any{"deliveredAt": delivered, "failedAt": failed, "attempts": attempts})
	})
	return orderID, err
}
