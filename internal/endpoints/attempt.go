package endpoints

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
	"go.uber.org/zap"

	"github.com/placetopay-gateway/gateway/internal/webhooks"
)

const (
	maxLogEntries = 100 // attempts kept per delivery: at the capped back-off, four days of them
)

// claim is one delivery claimed for a post.
type claim struct {
	id       int64
	attempts int32
	event    webhooks.Event
}

// attempt is the outcome of one POST, as MERCHANT_WEBHOOK_URL's deliverer has it.
type attempt = webhooks.Attempt

// target is where one endpoint's posts go, and with which signers.
type target struct {
	id      uuid.UUID
	url     string
	host    string // the only part of the URL that is logged
	signers []*standardwebhooks.Webhook
}

// deliverEndpoint claims up to a batch of the endpoint's due deliveries, posts them
// concurrently (at most one per order: a later event waits for an earlier one) and records
// each outcome. It returns how many it attempted.
func (d *Deliverer) deliverEndpoint(ctx context.Context, id uuid.UUID) (int, error) {
	now := d.now()
	rows, err := d.pool.Query(ctx, `WITH due AS MATERIALIZED (
			SELECT d.id FROM endpoint_deliveries d
			WHERE d.endpoint_id = $1 AND d.status = 'pending' AND d.next_attempt_at <= $2
			  AND EXISTS (SELECT 1 FROM webhook_endpoints ep WHERE ep.id = $1 AND ep.disabled_at IS NULL)
			  AND NOT EXISTS (SELECT 1 FROM delivery_pauses WHERE resumed_at IS NULL)
			  AND NOT EXISTS (
			      SELECT 1 FROM endpoint_deliveries p
			      WHERE p.endpoint_id = $1 AND p.subject = d.subject AND p.event_seq < d.event_seq AND p.status = 'pending')
			ORDER BY d.event_seq
			LIMIT $4
			FOR UPDATE OF d SKIP LOCKED
		)
		UPDATE endpoint_deliveries x SET next_attempt_at = $3, attempts = x.attempts + 1
		FROM due, events ev
		WHERE x.id = due.id AND ev.seq = x.event_seq
		RETURNING x.id, x.attempts, ev.id, ev.type, ev.order_id, ev.autopay_id, ev.data, ev.created_at`,
		id, now, now.Add(d.lease), batchSize)
	if err != nil {
		return 0, fmt.Errorf("endpoints: claim for %s: %w", id, err)
	}
	claims, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (claim, error) {
		var c claim
		var orderID, autopayID *uuid.UUID
		var data []byte
		err := r.Scan(&c.id, &c.attempts, &c.event.ID, &c.event.Type, &orderID, &autopayID, &data, &c.event.CreatedAt)
		if orderID != nil {
			c.event.OrderID = *orderID
		}
		if autopayID != nil {
			c.event.EnrolmentID = *autopayID
		}
		c.event.Data, c.event.CreatedAt = data, c.event.CreatedAt.UTC()
		return c, err
	})
	if err != nil || len(claims) == 0 {
		if err != nil {
			err = fmt.Errorf("endpoints: claim for %s: %w", id, err)
		}
		return 0, err
	}
	t, signErr := d.target(ctx, id, now)
	errs := make([]error, len(claims))
	var wg sync.WaitGroup
	for i, c := range claims {
		wg.Go(func() {
			at := d.now()
			a := attempt{Err: signErr}
			if signErr == "" {
				a = d.post(ctx, t, c.event, at)
			}
			errs[i] = d.record(ctx, t, c, at, a)
		})
	}
	wg.Wait()
	return len(claims), errors.Join(errs...)
}

// target reads the endpoint's URL and opens the secrets in use at now. What it cannot do
// is returned as an attempt's error (the posts are then failed attempts, and say why).
func (d *Deliverer) target(ctx context.Context, id uuid.UUID, now time.Time) (target, string) {
	t := target{id: id}
	if err := d.pool.QueryRow(ctx, `SELECT url FROM webhook_endpoints WHERE id = $1`, id).Scan(&t.url); err != nil {
		return t, "read the endpoint: " + err.Error()
	}
	if u, err := url.Parse(t.url); err == nil {
		t.host = u.Host
	}
	rows, err := d.pool.Query(ctx, `SELECT secret, key_id FROM webhook_endpoint_secrets
		WHERE endpoint_id = $1 AND (expires_at IS NULL OR expires_at > $2) ORDER BY id DESC`, id, now)
	if err != nil {
		return t, "read the secrets: " + err.Error()
	}
	defer rows.Close()
	for rows.Next() {
		var sealed []byte
		var keyID string
		if err := rows.Scan(&sealed, &keyID); err != nil {
			return t, "read the secrets: " + err.Error()
		}
		secret, err := d.keys.Open(keyID, sealed, secretAAD(id))
		if err != nil {
			d.log.Error("webhook endpoint secret cannot be opened: GATEWAY_TOKEN_KEY lacks the key it was sealed with",
				zap.Stringer("endpoint", id), zap.String("keyId", keyID))
			continue
		}
		wh, err := standardwebhooks.NewWebhook(string(secret))
		if err != nil {
			continue
		}
		t.signers = append(t.signers, wh)
	}
	if err := rows.Err(); err != nil {
		return t, "read the secrets: " + err.Error()
	}
	if len(t.signers) == 0 {
		return t, "no signing secret can be opened (GATEWAY_TOKEN_KEY lacks its key)"
	}
	return t, ""
}

// post sends ev to the endpoint, signed with each of its secrets: webhook-signature holds
// one "v1,<base64 HMAC-SHA256>" per secret, space-separated, and a verifier that knows any
// one of them accepts the post.
func (d *Deliverer) post(ctx context.Context, t target, ev webhooks.Event, at time.Time) attempt {
	body, err := json.Marshal(ev)
	if err != nil {
		return attempt{Err: "encode: " + err.Error()}
	}
	msgID := ev.ID.String()
	sigs := make([]string, 0, len(t.signers))
	for _, s := range t.signers {
		sig, err := s.Sign(msgID, at, body)
		if err != nil {
			return attempt{Err: "sign: " + err.Error()}
		}
		sigs = append(sigs, sig)
	}
	return webhooks.Post(ctx, d.client, d.timeout, t.url, msgID, at, body, strings.Join(sigs, " "))
}
