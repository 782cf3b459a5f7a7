package operators

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/placetopay-gateway/gateway/internal/orders"
)

// DeliveryState is merchant event delivery as an operator sees it: whether it is paused
// (since when, by whom, why), how many events wait (neither delivered nor given up) and
// since when the oldest of them waits.
type DeliveryState struct {
	Paused      bool
	PausedAt    *time.Time
	PausedBy    string
	Reason      string
	Undelivered int64
	OldestAt    *time.Time // created_at of the oldest waiting event; nil when none waits
}

// DeliveryState reads the state of merchant event delivery.
func (s *Service) DeliveryState(ctx context.Context) (DeliveryState, error) {
	return deliveryState(ctx, s.pool)
}

type queryRower interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

func deliveryState(ctx context.Context, db queryRower) (DeliveryState, error) {
	var st DeliveryState
	var by, reason *string
	err := db.QueryRow(ctx, `SELECT p.paused_at, p.paused_by, p.reason,
			(SELECT count(*) FROM events WHERE delivered_at IS NULL AND failed_at IS NULL),
			(SELECT min(created_at) FROM events WHERE delivered_at IS NULL AND failed_at IS NULL)
		FROM (SELECT 1) AS one LEFT JOIN delivery_pauses p ON p.resumed_at IS NULL`).
		Scan(&st.PausedAt, &by, &reason, &st.Undelivered, &st.OldestAt)
	if err != nil {
		return DeliveryState{}, fmt.Errorf("operators: delivery state: %w", err)
	}
	st.Paused = st.PausedAt != nil
	if by != nil {
		st.PausedBy = *by
	}
	if reason != nil {
		st.Reason = *reason
	}
	return st, nil
}

// PauseDelivery pauses merchant event delivery on every replica: from their next pass (at
// most a second away) none claims an event, so nothing is sent and no attempt is spent;
// posts already in flight finish. Events keep being written and wait; the time delivery is
// paused does not count towards an event's three days of retries. Pausing paused delivery is
// a conflict. The audit row commits with the pause.
func (s *Service) PauseDelivery(ctx context.Context, actor Actor, reason string) (DeliveryState, error) {
	var st DeliveryState
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		// One pause or resume at a time: the advisory lock orders them, so the conflict
		// below is decided on what the previous one committed.
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtext('delivery_pauses'))`); err != nil {
			return err
		}
		cur, err := deliveryState(ctx, tx)
		if err != nil {
			return err
		}
		if cur.Paused {
			return orders.Errorf(orders.EConflict, "merchant delivery is already paused, since %s by %s",
				cur.PausedAt.UTC().Format(time.RFC3339), cur.PausedBy)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO delivery_pauses (paused_at, paused_by, reason) VALUES ($1, $2, $3)`,
			s.now().UTC(), actor.Name, reason); err != nil {
			return err
		}
		if st, err = deliveryState(ctx, tx); err != nil {
			return err
		}
		return Audit(ctx, tx, deliveryAudit(actor, ActionPauseDelivery, reason, cur, st))
	})
	return st, err
}

// ResumeDelivery ends the pause: every replica claims again from its next pass, oldest
// event first and each order's events in their order. Resuming delivery that is not paused
// is a conflict. The audit row commits with the resume.
func (s *Service) ResumeDelivery(ctx context.Context, actor Actor, reason string) (DeliveryState, error) {
	var st DeliveryState
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtext('delivery_pauses'))`); err != nil {
			return err
		}
		cur, err := deliveryState(ctx, tx)
		if err != nil {
			return err
		}
		if !cur.Paused {
			return orders.Errorf(orders.EConflict, "merchant delivery is not paused")
		}
		if _, err := tx.Exec(ctx, `UPDATE delivery_pauses SET resumed_at = greatest($1, paused_at), resumed_by = $2 WHERE resumed_at IS NULL`,
			s.now().UTC(), actor.Name); err != nil {
			return err
		}
		if st, err = deliveryState(ctx, tx); err != nil {
			return err
		}
		return Audit(ctx, tx, deliveryAudit(actor, ActionResumeDelivery, reason, cur, st))
	})
	return st, err
}

func deliveryAudit(actor Actor, action, reason string, before, after DeliveryState) AuditEntry {
	e := AuditEntry{Actor: actor, Action: action, Target: "merchant delivery", Reason: reason}
	e.Before, _ = json.Marshal(map[string]any{"paused": before.Paused, "pausedAt": before.PausedAt, "pausedBy": before.PausedBy,
		"undelivered": before.Undelivered})
	e.After, _ = json.Marshal(map[string]any{"paused": after.Paused, "pausedAt": after.PausedAt, "undelivered": after.Undelivered})
	return e
}

// Bounds of one redelivery since a time: an operator's slip should not resend a year.
const (
	MaxRedeliverRange  = 31 * 24 * time.Hour
	MaxRedeliverEvents = 10000
	maxRedeliverTypes  = 20
)

// RedeliverRange selects events by creation time, Since inclusive, Until exclusive (now
// when zero), and of the given types (every type when empty).
type RedeliverRange struct {
	Since, Until time.Time
	Types        []string
}

// RedeliverSince makes every event of the range due again at once, whatever became of it
// (delivered, given up, or waiting for its next attempt), and returns how many. They are
// delivered as any pending event is: oldest first, each order's in their order (an event in
// flight at that moment may be posted twice; receivers tell by webhook-id). A range over
// MaxRedeliverRange or with more than MaxRedeliverEvents events is refused (invalid) and
// changes nothing. The audit row (since, until, types, count) commits with the change.
func (s *Service) RedeliverSince(ctx context.Context, actor Actor, r RedeliverRange, reason string) (int64, error) {
	now := s.now().UTC()
	if r.Until.IsZero() {
		r.Until = now
	}
	switch {
	case r.Since.IsZero():
		return 0, &orders.Error{Code: orders.EInvalid, Field: "since", Message: "is required: an RFC 3339 time"}
	case !r.Until.After(r.Since):
		return 0, &orders.Error{Code: orders.EInvalid, Field: "until", Message: "must be after since"}
	case r.Until.Sub(r.Since) > MaxRedeliverRange:
		return 0, &orders.Error{Code: orders.EInvalid, Field: "since", Message: fmt.Sprintf(
			"the range may span at most %d days; redeliver in several steps", int(MaxRedeliverRange/(24*time.Hour)))}
	case len(r.Types) > maxRedeliverTypes:
		return 0, &orders.Error{Code: orders.EInvalid, Field: "types", Message: fmt.Sprintf("at most %d types", maxRedeliverTypes)}
	}
	for _, t := range r.Types {
		if t == "" || len(t) > 64 {
			return 0, &orders.Error{Code: orders.EInvalid, Field: "types", Message: "each type must be an event type, such as order.paid"}
		}
	}
	if r.Types == nil {
		r.Types = []string{}
	}
	const match = `created_at >= $1 AND created_at < $2 AND (cardinality($3::text[]) = 0 OR type = ANY($3::text[]))`
	var n int64
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM events WHERE `+match, r.Since, r.Until, r.Types).Scan(&n); err != nil {
			return err
		}
		if n > MaxRedeliverEvents {
			return &orders.Error{Code: orders.EInvalid, Field: "since", Message: fmt.Sprintf(
				"the range holds %d events, more than the %d one redelivery may resend; narrow it (until, types)", n, MaxRedeliverEvents)}
		}
		tag, err := tx.Exec(ctx, `UPDATE events SET delivered_at = NULL, failed_at = NULL, next_attempt_at = $4 WHERE `+match,
			r.Since, r.Until, r.Types, now)
		if err != nil {
			return err
		}
		n = tag.RowsAffected()
		e := AuditEntry{Actor: actor, Action: ActionRedeliverSince, Target: "events", Reason: reason}
		e.After, _ = json.Marshal(map[string]any{"since": r.Since.UTC(), "until": r.Until.UTC(), "types": r.Types, "count": n})
		return Audit(ctx, tx, e)
	})
	if err != nil {
		var oe *orders.Error
		if !errors.As(err, &oe) {
			err = fmt.Errorf("operators: redeliver since %s: %w", r.Since.Format(time.RFC3339), err)
		}
		return 0, err
	}
	return n, nil
}
