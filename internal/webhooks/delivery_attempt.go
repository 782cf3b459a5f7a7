package webhooks

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
	"go.uber.org/zap"

	"github.com/placetopay-gateway/gateway/internal/webhooks/webhooksdb"
)

// deliver posts one claimed event and records the outcome.
func (d *Deliverer) deliver(ctx context.Context, ev webhooksdb.ClaimEventsRow) error {
	body, err := json.Marshal(newEvent(ev.ID, ev.Type, ev.OrderID, ev.AutopayID, ev.Data, ev.CreatedAt))
	if err != nil {
		return fmt.Errorf("webhooks: event %s: encode: %w", ev.ID, err)
	}
	at := d.now()
	return d.record(ctx, ev, at, d.post(ctx, ev.ID.String(), at, body))
}

// post sends body signed as message id at time at: webhook-signature is
// "v1,<base64 HMAC-SHA256 of id.unix-seconds.body>".
func (d *Deliverer) post(ctx context.Context, id string, at time.Time, body []byte) Attempt {
	sig, err := d.signer.Sign(id, at, body)
	if err != nil {
		return Attempt{Err: "sign: " + err.Error()}
	}
	return Post(ctx, d.client, d.timeout, d.url, id, at, body, sig)
}

// record stores the attempt and what follows from it, in one transaction: delivered, retried
// later (or at once after an interruption), or given up. It uses a context of its own so
// that the outcome of a post that completed is kept even when the gateway is shutting down.
func (d *Deliverer) record(ctx context.Context, ev webhooksdb.ClaimEventsRow, at time.Time, a Attempt) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), recordTimeout)
	defer cancel()
	done := d.now()
	row := webhooksdb.InsertAttemptParams{EventSeq: ev.Seq, AttemptedAt: at, DurationMs: int32(min(a.Duration.Milliseconds(), 1<<31-1))}
	if a.Status != 0 {
		row.StatusCode = new(int32(a.Status))
	} else {
		row.Error = new(a.Err)
	}
	var next time.Time
	givenUp := false
	err := pgx.BeginFunc(ctx, d.pool, func(tx pgx.Tx) error {
		if err := d.q.InsertAttempt(ctx, tx, row); err != nil {
			return err
		}
		// The give-up clock runs from the event's creation but stops while an operator has
		// delivery paused: a pause never makes an event give up.
		var paused time.Duration
		if !a.OK() && !a.Interrupted {
			secs, err := d.q.PausedSeconds(ctx, tx, webhooksdb.PausedSecondsParams{From: ev.CreatedAt, Until: done})
			if err != nil {
				return err
			}
			paused = time.Duration(secs * float64(time.Second))
		}
		var err error
		switch {
		case a.OK():
			_, err = d.q.MarkDelivered(ctx, tx, webhooksdb.MarkDeliveredParams{At: done, Seq: ev.Seq})
		case a.Interrupted:
			next = done
			_, err = d.q.Reschedule(ctx, tx, webhooksdb.RescheduleParams{NextAttemptAt: next, Seq: ev.Seq, Attempts: ev.Attempts})
		case done.Sub(ev.CreatedAt)-paused >= retryWindow:
			givenUp = true
			_, err = d.q.GiveUp(ctx, tx, webhooksdb.GiveUpParams{At: done, Seq: ev.Seq, Attempts: ev.Attempts})
		default:
			next = done.Add(d.backoff(int(ev.Attempts)))
			_, err = d.q.Reschedule(ctx, tx, webhooksdb.RescheduleParams{NextAttemptAt: next, Seq: ev.Seq, Attempts: ev.Attempts})
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("webhooks: event %s: record attempt %d: %w", ev.ID, ev.Attempts, err)
	}
	switch {
	case a.OK():
		d.stats.attempt("delivered")
	case givenUp:
		d.stats.attempt("gave_up")
	default: // interrupted attempts included: they are retried like failed ones
		d.stats.attempt("failed")
	}
	if a.OK() || a.Interrupted {
		return nil
	}
	fields := []zap.Field{
		zap.String("host", d.host), zap.Stringer("eventId", ev.ID), zap.String("type", ev.Type),
		zap.Int32("attempt", ev.Attempts), zap.Duration("duration", a.Duration),
	}
	if a.Status != 0 {
		fields = append(fields, zap.Int("status", a.Status))
	} else {
		fields = append(fields, zap.String("error", a.Err))
	}
	if givenUp {
		d.log.Error("merchant event delivery given up: every attempt for three days failed", fields...)
	} else {
		d.log.Warn("merchant event delivery failed; will retry", append(fields, zap.Time("nextAttemptAt", next))...)
	}
	return nil
}

// newSigner returns the Standard Webhooks signer for secret.
func newSigner(secret string) (*standardwebhooks.Webhook, error) {
	if secret == "" {
		return nil, errors.New("webhooks: the signing secret is empty")
	}
	if !strings.HasPrefix(secret, "whsec_") {
		return standardwebhooks.NewWebhookRaw([]byte(secret))
	}
	if len(secret) == len("whsec_") {
		return nil, errors.New("webhooks: the signing secret has nothing after whsec_")
	}
	wh, err := standardwebhooks.NewWebhook(secret)
	if err != nil {
		// The library's error would quote nothing of the secret, but say it in our words.
		return nil, errors.New("webhooks: the signing secret starts with whsec_ but the rest is not standard base64")
	}
	return wh, nil
}
