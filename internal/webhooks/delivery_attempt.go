package webhooks

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
	"go.uber.org/zap"

	"github.com/placetopay-gateway/gateway/internal/webhooks/webhooksdb"
)

const (
	maxResponseBody = 64 << 10 // read (and discarded) of a merchant's answer
	maxErrorText    = 500      // of an attempt's error, as stored
	baseBackoff     = 5 * time.Second
	maxBackoff      = time.Hour
)

// attempt is the outcome of one POST.
type attempt struct {
	status      int    // the merchant's HTTP status; 0 when there was no response
	err         string // what went wrong when there was no response
	interrupted bool   // cut short by the gateway shutting down, not the merchant's doing
	duration    time.Duration
}

func (a attempt) ok() bool { return a.status >= 200 && a.status < 300 }

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
func (d *Deliverer) post(ctx context.Context, id string, at time.Time, body []byte) attempt {
	sig, err := d.signer.Sign(id, at, body)
	if err != nil {
		return attempt{err: "sign: " + err.Error()}
	}
	pctx, cancel := context.WithTimeout(ctx, d.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(pctx, http.MethodPost, d.url, bytes.NewReader(body))
	if err != nil {
		return attempt{err: "request: " + describe(err)}
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "placetopay-gateway-webhooks/1")
	req.Header.Set(standardwebhooks.HeaderWebhookID, id)
	req.Header.Set(standardwebhooks.HeaderWebhookTimestamp, strconv.FormatInt(at.Unix(), 10))
	req.Header.Set(standardwebhooks.HeaderWebhookSignature, sig)
	start := time.Now()
	res, err := d.client.Do(req)
	if err != nil {
		a := attempt{err: describe(err), duration: time.Since(start)}
		switch {
		case ctx.Err() != nil:
			a.err, a.interrupted = "interrupted: the gateway is shutting down", true
		case errors.Is(err, context.DeadlineExceeded):
			a.err = fmt.Sprintf("no response within %s", d.timeout)
		}
		return a
	}
	// The answer's body means nothing to the gateway, but reading it lets the connection be
	// reused; the limit and the timeout keep a merchant from making that cost anything.
	_, _ = io.Copy(io.Discard, io.LimitReader(res.Body, maxResponseBody))
	_ = res.Body.Close()
	return attempt{status: res.StatusCode, duration: time.Since(start)}
}

// record stores the attempt and what follows from it, in one transaction: delivered, retried
// later (or at once after an interruption), or given up. It uses a context of its own so
// that the outcome of a post that completed is kept even when the gateway is shutting down.
func (d *Deliverer) record(ctx context.Context, ev webhooksdb.ClaimEventsRow, at time.Time, a attempt) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), recordTimeout)
	defer cancel()
	done := d.now()
	row := webhooksdb.InsertAttemptParams{EventSeq: ev.Seq, AttemptedAt: at, DurationMs: int32(min(a.duration.Milliseconds(), 1<<31-1))}
	if a.status != 0 {
		row.StatusCode = new(int32(a.status))
	} else {
		row.Error = new(a.err)
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
		if !a.ok() && !a.interrupted {
			secs, err := d.q.PausedSeconds(ctx, tx, webhooksdb.PausedSecondsParams{From: ev.CreatedAt, Until: done})
			if err != nil {
				return err
			}
			paused = time.Duration(secs * float64(time.Second))
		}
		var err error
		switch {
		case a.ok():
			_, err = d.q.MarkDelivered(ctx, tx, webhooksdb.MarkDeliveredParams{At: done, Seq: ev.Seq})
		case a.interrupted:
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
	case a.ok():
		d.stats.attempt("delivered")
	case givenUp:
		d.stats.attempt("gave_up")
	default: // interrupted attempts included: they are retried like failed ones
		d.stats.attempt("failed")
	}
	if a.ok() || a.interrupted {
		return nil
	}
	fields := []zap.Field{
		zap.String("host", d.host), zap.Stringer("eventId", ev.ID), zap.String("type", ev.Type),
		zap.Int32("attempt", ev.Attempts), zap.Duration("duration", a.duration),
	}
	if a.status != 0 {
		fields = append(fields, zap.Int("status", a.status))
	} else {
		fields = append(fields, zap.String("error", a.err))
	}
	if givenUp {
		d.log.Error("merchant event delivery given up: every attempt for three days failed", fields...)
	} else {
		d.log.Warn("merchant event delivery failed; will retry", append(fields, zap.Time("nextAttemptAt", next))...)
	}
	return nil
}

// backoff is the wait after the attempt-th failed attempt (1-based): 5s doubling each time,
// capped at an hour, less up to a fifth at random so that events that failed together (a
// merchant outage) do not all come back at the same instant.
func backoff(attempt int) time.Duration {
	d := maxBackoff
	if attempt >= 1 && attempt < 20 {
		d = min(baseBackoff<<(attempt-1), maxBackoff)
	}
	return d - rand.N(d/5+1)
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

// describe is an HTTP client error without the URL, which could carry a token in its query.
func describe(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	s := err.Error()
	if len(s) > maxErrorText {
		s = strings.ToValidUTF8(s[:maxErrorText], "")
	}
	return s
}
