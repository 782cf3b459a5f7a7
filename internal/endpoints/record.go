package endpoints

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"go.uber.org/zap"
)

// logEntry is one attempt in a delivery's attempt_log.
type logEntry struct {
	At     time.Time `json:"at"`
	Status int       `json:"status,omitempty"`
	Error  string    `json:"error,omitempty"`
	Ms     int64     `json:"ms"`
}

// record stores the attempt and what follows from it, in one transaction: delivered, or
// retried after the back-off (at once after an interruption). A failure starts or
// continues the endpoint's failing span, a success ends it; a span longer than DisableAfter
// (not counting time delivery was paused) disables the endpoint. It uses a context of its
// own so that the outcome of a completed post is kept during shutdown.
func (d *Deliverer) record(ctx context.Context, t target, c claim, at time.Time, a attempt) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), recordTimeout)
	defer cancel()
	done := d.now()
	entry := logEntry{At: at.UTC(), Ms: a.Duration.Milliseconds(), Error: a.Err}
	var status *int32
	var lastErr *string
	if a.Status != 0 {
		entry.Status, entry.Error = a.Status, ""
		status = new(int32(a.Status))
	} else {
		lastErr = new(a.Err)
	}
	logJSON, _ := json.Marshal([]logEntry{entry})
	latency := int32(min(a.Duration.Milliseconds(), 1<<31-1))
	var disabled bool
	var next time.Time
	err := pgx.BeginFunc(ctx, d.pool, func(tx pgx.Tx) error {
		set := `last_attempt_at = $3, last_status = $4, last_error = $5, last_latency_ms = $6,
			attempt_log = CASE WHEN jsonb_array_length(attempt_log) >= $7 THEN attempt_log - 0 ELSE attempt_log END || $8::jsonb`
		args := []any{c.id, c.attempts, at, status, lastErr, latency, maxLogEntries, string(logJSON)}
		if a.OK() {
			if _, err := tx.Exec(ctx, `UPDATE endpoint_deliveries SET status = 'delivered', delivered_at = $9, `+set+`
				WHERE id = $1 AND attempts = $2 AND status = 'pending'`, append(args, done)...); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, `UPDATE webhook_endpoints SET failing_since = NULL WHERE id = $1 AND failing_since IS NOT NULL`, t.id)
			return err
		}
		next = done
		if !a.Interrupted {
			next = done.Add(d.backoff(int(c.attempts)))
		}
		if _, err := tx.Exec(ctx, `UPDATE endpoint_deliveries SET next_attempt_at = $9, `+set+`
			WHERE id = $1 AND attempts = $2 AND status = 'pending'`, append(args, next)...); err != nil {
			return err
		}
		if a.Interrupted {
			return nil // the gateway's doing, not the endpoint's
		}
		var since time.Time
		var enabled bool
		if err := tx.QueryRow(ctx, `UPDATE webhook_endpoints SET failing_since = coalesce(failing_since, $2) WHERE id = $1
			RETURNING failing_since, disabled_at IS NULL`, t.id, at).Scan(&since, &enabled); err != nil {
			return err
		}
		if !enabled || done.Sub(since) < d.span {
			return nil
		}
		var paused float64
		if err := tx.QueryRow(ctx, `SELECT coalesce(sum(extract(epoch FROM least(coalesce(resumed_at, $2), $2) - greatest(paused_at, $1))), 0)::float8
			FROM delivery_pauses WHERE paused_at < $2 AND (resumed_at IS NULL OR resumed_at > $1)`, since, done).Scan(&paused); err != nil {
			return err
		}
		if done.Sub(since)-time.Duration(paused*float64(time.Second)) < d.span {
			return nil
		}
		disabled = true
		_, err := tx.Exec(ctx, `UPDATE webhook_endpoints SET disabled_at = $2, disabled_reason = $3, disabled_auto = true WHERE id = $1 AND disabled_at IS NULL`,
			t.id, done, fmt.Sprintf("every attempt failed since %s, more than %s: disabled by the gateway", since.UTC().Format(time.RFC3339), d.span))
		return err
	})
	if err != nil {
		return fmt.Errorf("endpoints: endpoint %s: event %s: record attempt %d: %w", t.id, c.event.ID, c.attempts, err)
	}
	if a.OK() {
		d.metrics.attempt("delivered")
		return nil
	}
	d.metrics.attempt("failed")
	if a.Interrupted {
		return nil
	}
	fields := []zap.Field{zap.Stringer("endpoint", t.id), zap.String("host", t.host), zap.Stringer("eventId", c.event.ID),
		zap.String("type", c.event.Type), zap.Int32("attempt", c.attempts), zap.Duration("duration", a.Duration)}
	if a.Status != 0 {
		fields = append(fields, zap.Int("status", a.Status))
	} else {
		fields = append(fields, zap.String("error", a.Err))
	}
	if disabled {
		d.log.Error("webhook endpoint disabled: every attempt failed for longer than the allowed span", append(fields, zap.Duration("span", d.span))...)
		return nil
	}
	d.log.Warn("webhook endpoint delivery failed; will retry", append(fields, zap.Time("nextAttemptAt", next))...)
	return nil
}
