package endpoints

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/placetopay-gateway/gateway/internal/operators"
	"github.com/placetopay-gateway/gateway/internal/orders"
	"github.com/placetopay-gateway/gateway/internal/tokens"
)

// Actions in the audit log.
const (
	AuditCreate  = "webhook_endpoint.create"
	AuditDisable = "webhook_endpoint.disable"
	AuditEnable  = "webhook_endpoint.enable"
	AuditRotate  = "webhook_endpoint.rotate"
	AuditReplay  = "webhook_endpoint.replay"
)

// Bounds of the operators' requests.
const (
	MaxOverlap      = 7 * 24 * time.Hour // a rotation's old secret signs at most this long
	MaxReplayEvents = 10000              // events one replay may queue again
	MaxEndpoints    = 50                 // enabled endpoints, each one a queue and a post per event
)

// Config is what a Service needs besides the pool.
type Config struct {
	Keys       *tokens.Keyring // seals the secrets (GATEWAY_TOKEN_KEY)
	EventTypes []string        // every type the gateway writes: filters are checked against it
	DefaultURL string          // MERCHANT_WEBHOOK_URL, listed as the default endpoint; "" for none
	Now        func() time.Time
	// AllowPrivate lets an endpoint's URL name an internal address: loopback, private,
	// link-local (metadata services), unspecified (GATEWAY_ENDPOINT_ALLOW_PRIVATE, true in
	// development only by default). Without it such a URL, or one whose host resolves to
	// such an address, is refused.
	AllowPrivate bool
}

// Service creates, lists, disables, enables, rotates and replays endpoints. Every change
// commits with its audit row.
type Service struct {
	pool *pgxpool.Pool
	cfg  Config
}

// NewService returns the endpoint service.
func NewService(pool *pgxpool.Pool, cfg Config) *Service {
	if pool == nil || cfg.Keys == nil {
		panic("endpoints: NewService needs a pool and a key ring")
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Service{pool: pool, cfg: cfg}
}

// Create adds an enabled endpoint posting the events of types (none: every type) to rawURL,
// and returns it with its secret, shown this once.
func (s *Service) Create(ctx context.Context, rawURL string, types []string, by operators.Actor) (Created, error) {
	u, err := checkURL(rawURL)
	if err != nil {
		return Created{}, err
	}
	if !s.cfg.AllowPrivate {
		if err := checkHost(ctx, hostOf(u)); err != nil {
			return Created{}, err
		}
	}
	if types, err = checkTypes(types, s.cfg.EventTypes); err != nil {
		return Created{}, err
	}
	now := s.cfg.Now().UTC()
	id := uuid.New()
	secret := newSecret()
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if err := checkRoom(ctx, tx); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO webhook_endpoints (id, url, event_types, created_at, created_by) VALUES ($1, $2, $3, $4, $5)`,
			id, u, types, now, actorName(by)); err != nil {
			return err
		}
		if err := s.addSecret(ctx, tx, id, secret, now); err != nil {
			return err
		}
		after, _ := json.Marshal(map[string]any{"url": displayURL(u), "events": types})
		return operators.Audit(ctx, tx, operators.AuditEntry{Actor: by, Action: AuditCreate, Target: auditTarget(id), After: after})
	})
	if err != nil {
		return Created{}, fmt.Errorf("endpoints: create: %w", err)
	}
	e, err := s.Get(ctx, id.String())
	if err != nil {
		return Created{}, err
	}
	return Created{Endpoint: e, Secret: secret}, nil
}

// checkRoom refuses one more enabled endpoint when MaxEndpoints are enabled already. It
// holds, to the end of tx, the lock every change that enables an endpoint takes first, so
// two such changes at once cannot both see room for one: the count is read after the other
// has committed.
func checkRoom(ctx context.Context, tx pgx.Tx) error {
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtext('webhook_endpoints_enabled'))`); err != nil {
		return err
	}
	var enabled int
	if err := tx.QueryRow(ctx, `SELECT count(*) FROM webhook_endpoints WHERE disabled_at IS NULL`).Scan(&enabled); err != nil {
		return err
	}
	if enabled >= MaxEndpoints {
		return orders.Errorf(orders.EConflict, "%d endpoints are enabled already, the most there may be: disable one first", enabled)
	}
	return nil
}

// addSecret seals secret for endpoint id and stores it as a current one.
func (s *Service) addSecret(ctx context.Context, tx pgx.Tx, id uuid.UUID, secret string, now time.Time) error {
	keyID, sealed, err := s.cfg.Keys.Seal([]byte(secret), secretAAD(id))
	if err != nil {
		return err
	}
	_, err = tx.Exec(ctx, `INSERT INTO webhook_endpoint_secrets (endpoint_id, secret, key_id, created_at) VALUES ($1, $2, $3, $4)`,
		id, sealed, keyID, now)
	return err
}

func auditTarget(id uuid.UUID) string { return "webhook_endpoint:" + id.String() }

func actorName(a operators.Actor) string {
	if a.Name != "" {
		return a.Kind + " " + a.Name
	}
	return a.Kind + " " + a.ID
}

const endpointColumns = `e.id, e.url, e.event_types, e.created_at, e.created_by, e.disabled_at, coalesce(e.disabled_reason, ''),
	e.disabled_auto, e.failing_since,
	(SELECT count(*) FROM webhook_endpoint_secrets s WHERE s.endpoint_id = e.id AND (s.expires_at IS NULL OR s.expires_at > $1)),
	(SELECT count(*) FROM endpoint_deliveries d WHERE d.endpoint_id = e.id AND d.status = 'pending')`

func scanEndpoint(row pgx.Row) (Endpoint, error) {
	var e Endpoint
	var id uuid.UUID
	var secrets int64
	err := row.Scan(&id, &e.URL, &e.EventTypes, &e.CreatedAt, &e.CreatedBy, &e.DisabledAt, &e.DisabledReason,
		&e.DisabledAuto, &e.FailingSince, &secrets, &e.Pending)
	e.ID, e.URL, e.Secrets = id.String(), displayURL(e.URL), int(secrets)
	if e.EventTypes == nil {
		e.EventTypes = []string{}
	}
	return e, err
}

// List returns the default endpoint (when MERCHANT_WEBHOOK_URL is set) and then every
// stored one, disabled ones too, oldest first.
func (s *Service) List(ctx context.Context) ([]Endpoint, error) {
	out := []Endpoint{}
	if s.cfg.DefaultURL != "" {
		out = append(out, Endpoint{ID: DefaultID, URL: displayURL(s.cfg.DefaultURL), EventTypes: []string{}, Secrets: 1, Default: true})
	}
	rows, err := s.pool.Query(ctx, `SELECT `+endpointColumns+` FROM webhook_endpoints e ORDER BY e.created_at, e.id`, s.cfg.Now())
	if err != nil {
		return nil, fmt.Errorf("endpoints: list: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		e, err := scanEndpoint(rows)
		if err != nil {
			return nil, fmt.Errorf("endpoints: list: %w", err)
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// Get returns one stored endpoint.
func (s *Service) Get(ctx context.Context, ref string) (Endpoint, error) {
	id, err := s.parseID(ref)
	if err != nil {
		return Endpoint{}, err
	}
	e, err := scanEndpoint(s.pool.QueryRow(ctx, `SELECT `+endpointColumns+` FROM webhook_endpoints e WHERE e.id = $2`, s.cfg.Now(), id))
	if errors.Is(err, pgx.ErrNoRows) {
		return Endpoint{}, orders.Errorf(orders.ENotFound, "no webhook endpoint %s", ref)
	}
	return e, err
}

// parseID reads an endpoint's id; the default endpoint is configuration, not changed here.
func (s *Service) parseID(ref string) (uuid.UUID, error) {
	if ref == DefaultID {
		return uuid.Nil, orders.Errorf(orders.EConflict, "the default endpoint is MERCHANT_WEBHOOK_URL: change it in the configuration")
	}
	id, err := uuid.Parse(ref)
	if err != nil {
		return uuid.Nil, orders.Errorf(orders.ENotFound, "no webhook endpoint %q", ref)
	}
	return id, nil
}

// change runs fn on endpoint ref locked for update, then writes the audit row, in one
// transaction, and returns the endpoint as it is after.
func (s *Service) change(ctx context.Context, ref string, entry operators.AuditEntry, fn func(tx pgx.Tx, id uuid.UUID, cur Endpoint, now time.Time) error) (Endpoint, error) {
	id, err := s.parseID(ref)
	if err != nil {
		return Endpoint{}, err
	}
	now := s.cfg.Now().UTC()
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		cur, err := scanEndpoint(tx.QueryRow(ctx, `SELECT `+endpointColumns+` FROM webhook_endpoints e WHERE e.id = $2 FOR UPDATE`, now, id))
		if errors.Is(err, pgx.ErrNoRows) {
			return orders.Errorf(orders.ENotFound, "no webhook endpoint %s", ref)
		} else if err != nil {
			return err
		}
		if err := fn(tx, id, cur, now); err != nil {
			return err
		}
		entry.Target = auditTarget(id)
		return operators.Audit(ctx, tx, entry)
	})
	if err != nil {
		return Endpoint{}, err
	}
	return s.Get(ctx, id.String())
}

// checkReason trims reason and bounds it.
func checkReason(reason string) (string, error) {
	reason = strings.TrimSpace(reason)
	if reason == "" || utf8.RuneCountInString(reason) > 500 {
		return "", &orders.Error{Code: orders.EInvalid, Field: "reason", Message: "is required: say why, in at most 500 characters"}
	}
	return reason, nil
}

// Disable stops posting to the endpoint, on every replica from its next pass; its
// deliveries wait. Disabling a disabled endpoint is a conflict.
func (s *Service) Disable(ctx context.Context, ref, reason string, by operators.Actor) (Endpoint, error) {
	reason, err := checkReason(reason)
	if err != nil {
		return Endpoint{}, err
	}
	return s.change(ctx, ref, operators.AuditEntry{Actor: by, Action: AuditDisable, Reason: reason},
		func(tx pgx.Tx, id uuid.UUID, cur Endpoint, now time.Time) error {
			if !cur.Enabled() {
				return orders.Errorf(orders.EConflict, "webhook endpoint %s is disabled already", ref)
			}
			_, err := tx.Exec(ctx, `UPDATE webhook_endpoints SET disabled_at = $2, disabled_reason = $3, disabled_auto = false WHERE id = $1`, id, now, reason)
			return err
		})
}

// Enable posts to the endpoint again: what waits is delivered, oldest first, and its
// failure span starts afresh. Enabling an enabled endpoint is a conflict.
//
// Events written while the endpoint was disabled were not queued for it (a disabled
// endpoint's queue does not grow, so an abandoned one never holds events past their
// retention). A non-zero replaySince queues again, in the same transaction, every event since
// then that its filter takes, as Replay does (field replaySince in errors); queued says how
// many. Each order's events still go in their order.
func (s *Service) Enable(ctx context.Context, ref, reason string, replaySince time.Time, by operators.Actor) (e Endpoint, queued int64, err error) {
	entry := operators.AuditEntry{Actor: by, Action: AuditEnable, Reason: strings.TrimSpace(reason)}
	if !replaySince.IsZero() {
		entry.After, _ = json.Marshal(map[string]any{"replaySince": replaySince.UTC()})
	}
	e, err = s.change(ctx, ref, entry,
		func(tx pgx.Tx, id uuid.UUID, cur Endpoint, now time.Time) error {
			if cur.Enabled() {
				return orders.Errorf(orders.EConflict, "webhook endpoint %s is enabled already", ref)
			}
			if err := checkRoom(ctx, tx); err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, `UPDATE webhook_endpoints SET disabled_at = NULL, disabled_reason = NULL, disabled_auto = false,
				failing_since = NULL WHERE id = $1`, id); err != nil {
				return err
			}
			// What waited is due now, not at the end of a long back-off.
			if _, err := tx.Exec(ctx, `UPDATE endpoint_deliveries SET next_attempt_at = $2 WHERE endpoint_id = $1 AND status = 'pending' AND next_attempt_at > $2`, id, now); err != nil {
				return err
			}
			if replaySince.IsZero() {
				return nil
			}
			queued, err = queueSince(ctx, tx, id, cur.EventTypes, replaySince, now, "replaySince")
			return err
		})
	return e, queued, err
}

// Rotate gives the endpoint a new secret, returned this once. The secrets it had keep
// signing for overlap more (zero: they stop at once), so every delivery in between carries
// both signatures and the merchant can switch its verifier without losing an event.
func (s *Service) Rotate(ctx context.Context, ref string, overlap time.Duration, by operators.Actor) (Created, error) {
	if overlap < 0 || overlap > MaxOverlap {
		return Created{}, &orders.Error{Code: orders.EInvalid, Field: "overlap", Message: fmt.Sprintf("must be between 0 and %s", MaxOverlap)}
	}
	secret := newSecret()
	after, _ := json.Marshal(map[string]any{"overlap": overlap.String()})
	e, err := s.change(ctx, ref, operators.AuditEntry{Actor: by, Action: AuditRotate, After: after},
		func(tx pgx.Tx, id uuid.UUID, _ Endpoint, now time.Time) error {
			if _, err := tx.Exec(ctx, `UPDATE webhook_endpoint_secrets SET expires_at = $2
				WHERE endpoint_id = $1 AND (expires_at IS NULL OR expires_at > $2)`, id, now.Add(overlap)); err != nil {
				return err
			}
			return s.addSecret(ctx, tx, id, secret, now)
		})
	if err != nil {
		return Created{}, err
	}
	return Created{Endpoint: e, Secret: secret}, nil
}

// Replay queues again, due at once, every event created since that the endpoint's filter
// takes, whatever became of it before, and returns how many. They are delivered as any
// pending event: each order's in their order. More than MaxReplayEvents is refused and
// changes nothing.
func (s *Service) Replay(ctx context.Context, ref string, since time.Time, by operators.Actor) (int64, error) {
	var n int64
	after, _ := json.Marshal(map[string]any{"since": since.UTC()})
	_, err := s.change(ctx, ref, operators.AuditEntry{Actor: by, Action: AuditReplay, After: after},
		func(tx pgx.Tx, id uuid.UUID, cur Endpoint, now time.Time) (err error) {
			n, err = queueSince(ctx, tx, id, cur.EventTypes, since, now, "since")
			return err
		})
	return n, err
}

// queueSince queues for endpoint id, due at now, every event created since that types (none:
// every type) takes, again if it was delivered, and returns how many. A time in the future,
// or more than MaxReplayEvents, is invalid (named field) and tx must then be rolled back.
func queueSince(ctx context.Context, tx pgx.Tx, id uuid.UUID, types []string, since, now time.Time, field string) (int64, error) {
	if since.After(now) {
		return 0, &orders.Error{Code: orders.EInvalid, Field: field, Message: "must not be in the future"}
	}
	tag, err := tx.Exec(ctx, `INSERT INTO endpoint_deliveries (endpoint_id, event_seq, subject, next_attempt_at, created_at)
		SELECT $1, ev.seq, coalesce(ev.order_id, ev.autopay_id), $3, $3 FROM events ev
		WHERE ev.created_at >= $2 AND (cardinality($4::text[]) = 0 OR ev.type = ANY($4::text[]))
		ON CONFLICT ON CONSTRAINT endpoint_deliveries_once
		DO UPDATE SET status = 'pending', next_attempt_at = EXCLUDED.next_attempt_at, delivered_at = NULL`,
		id, since, now, types)
	if err != nil {
		return 0, err
	}
	n := tag.RowsAffected()
	if n > MaxReplayEvents {
		return n, &orders.Error{Code: orders.EInvalid, Field: field,
			Message: fmt.Sprintf("takes %d events, more than the %d one replay may: choose a later time", n, MaxReplayEvents)}
	}
	return n, nil
}
