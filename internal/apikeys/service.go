package apikeys

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/placetopay-gateway/gateway/internal/operators"
	"github.com/placetopay-gateway/gateway/internal/orders"
)

// Timing of the checks.
const (
	// CacheTTL is how long a replica trusts what it read of a key: a revocation, or a new
	// key, reaches every replica within it, with no restart and no message between them.
	CacheTTL = 500 * time.Millisecond
	// TouchEvery spaces the writes of a key's last-used time: at most one per key and
	// replica in this time, not one per request.
	TouchEvery = time.Minute
	// maxCached bounds the cache; past it the cache starts again empty.
	maxCached = 10_000
)

// Key is a stored API key as anyone may see it: never the key itself.
type Key struct {
	ID           uuid.UUID
	Name         string
	Scope        Scope
	Prefix       string // sk_live_ or sk_test_ and the first 8 characters of the key's body
	CreatedAt    time.Time
	CreatedBy    string
	RevokedAt    *time.Time
	RevokedBy    string
	RevokeReason string
	LastUsedAt   *time.Time
}

// Created is a new key with its secret, which is shown this once and never stored.
type Created struct {
	Key
	Secret string
}

// Service creates, lists, revokes and checks API keys. Each replica has its own; they
// share only the database.
type Service struct {
	pool *pgxpool.Pool
	kind string // LivePrefix in production, TestPrefix in development
	now  func() time.Time

	mu      sync.Mutex
	cache   map[string]cached // by prefix
	touched map[uuid.UUID]time.Time
}

// cached is what a replica read of one prefix, and when: found is false for a prefix no
// key has (so that a flood of made-up keys does not become a flood of queries).
type cached struct {
	key   Key
	hash  []byte
	found bool
	at    time.Time
}

// NewService returns the API key service: live keys (sk_live_) when live, test keys
// (sk_test_) otherwise; now is the clock (time.Now when nil).
func NewService(pool *pgxpool.Pool, live bool, now func() time.Time) *Service {
	if pool == nil {
		panic("apikeys: NewService needs a pool")
	}
	if now == nil {
		now = time.Now
	}
	kind := TestPrefix
	if live {
		kind = LivePrefix
	}
	return &Service{pool: pool, kind: kind, now: now, cache: map[string]cached{}, touched: map[uuid.UUID]time.Time{}}
}

// Actions in the audit log.
const (
	AuditCreate = "api_key.create"
	AuditRevoke = "api_key.revoke"
)

// Create makes a key named name with scope; by is who asked, named in the audit log.
func (s *Service) Create(ctx context.Context, name string, scope Scope, by operators.Actor) (Created, error) {
	name = strings.TrimSpace(name)
	if name == "" || utf8.RuneCountInString(name) > 100 {
		return Created{}, &orders.Error{Code: orders.EInvalid, Field: "name", Message: "is required, at most 100 characters"}
	}
	if _, err := ParseScope(string(scope)); err != nil {
		return Created{}, err
	}
	for attempt := 0; ; attempt++ {
		secret := newKey(s.kind)
		k := Key{ID: uuid.New(), Name: name, Scope: scope, Prefix: PublicPrefix(secret), CreatedAt: s.now().UTC(), CreatedBy: describe(by)}
		err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, `INSERT INTO api_keys (id, name, scope, prefix, hash, created_at, created_by)
				VALUES ($1, $2, $3, $4, $5, $6, $7)`, k.ID, k.Name, string(k.Scope), k.Prefix, hashKey(secret), k.CreatedAt, k.CreatedBy); err != nil {
				return err
			}
			return operators.Audit(ctx, tx, operators.AuditEntry{Actor: by, Action: AuditCreate, Target: target(k),
				After: []byte(`{"scope":"` + string(k.Scope) + `"}`)})
		})
		var pgErr *pgconn.PgError
		if errors.As(err, &pgErr) && pgErr.Code == "23505" && attempt < 3 {
			continue // two keys with the same 8 public characters: about one in 2^47
		}
		if err != nil {
			return Created{}, err
		}
		return Created{Key: k, Secret: secret}, nil
	}
}

// target names a key in the audit log: its prefix and name, never the key.
func target(k Key) string { return "api_key:" + k.Prefix + " " + k.Name }

func describe(a operators.Actor) string {
	if a.Name != "" {
		return a.Kind + " " + a.Name
	}
	return a.Kind + " " + a.ID
}

const keyColumns = `id, name, scope, prefix, created_at, created_by, revoked_at, coalesce(revoked_by, ''), coalesce(revoke_reason, ''), last_used_at`

func scanKey(row pgx.Row, extra ...any) (Key, error) {
	var k Key
	var scope string
	err := row.Scan(append([]any{&k.ID, &k.Name, &scope, &k.Prefix, &k.CreatedAt, &k.CreatedBy, &k.RevokedAt, &k.RevokedBy, &k.RevokeReason, &k.LastUsedAt}, extra...)...)
	k.Scope = Scope(scope)
	return k, err
}

// List returns every key, revoked ones too, newest first.
func (s *Service) List(ctx context.Context) ([]Key, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+keyColumns+` FROM api_keys ORDER BY created_at DESC, id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Key{}
	for rows.Next() {
		k, err := scanKey(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, k)
	}
	return out, rows.Err()
}

// Active counts the keys this gateway would take (live in production, test in
// development) that are not revoked.
func (s *Service) Active(ctx context.Context) (int, error) {
	var n int
	err := s.pool.QueryRow(ctx, `SELECT count(*) FROM api_keys WHERE revoked_at IS NULL AND starts_with(prefix, $1)`, s.kind).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("apikeys: count active keys: %w", err)
	}
	return n, nil
}

// Revoke stops the key named by ref (its id or its prefix) for good, on every replica
// within CacheTTL; the audit row naming by and reason commits with it.
func (s *Service) Revoke(ctx context.Context, ref, reason string, by operators.Actor) (Key, error) {
	reason = strings.TrimSpace(reason)
	if reason == "" || utf8.RuneCountInString(reason) > 500 {
		return Key{}, &orders.Error{Code: orders.EInvalid, Field: "reason", Message: "is required: say why, in at most 500 characters"}
	}
	where, arg := "prefix = $1", any(ref)
	if id, err := uuid.Parse(ref); err == nil {
		where, arg = "id = $1", id
	}
	var k Key
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var err error
		k, err = scanKey(tx.QueryRow(ctx, `SELECT `+keyColumns+` FROM api_keys WHERE `+where+` FOR UPDATE`, arg))
		if errors.Is(err, pgx.ErrNoRows) {
			return orders.Errorf(orders.ENotFound, "no API key %s", ref)
		} else if err != nil {
			return err
		}
		if k.RevokedAt != nil {
			return orders.Errorf(orders.EConflict, "API key %s was revoked at %s", k.Prefix, k.RevokedAt.UTC().Format(time.RFC3339))
		}
		now := s.now().UTC()
		k.RevokedAt, k.RevokedBy, k.RevokeReason = &now, describe(by), reason
		if _, err := tx.Exec(ctx, `UPDATE api_keys SET revoked_at = $2, revoked_by = $3, revoke_reason = $4 WHERE id = $1`,
			k.ID, now, k.RevokedBy, reason); err != nil {
			return err
		}
		return operators.Audit(ctx, tx, operators.AuditEntry{Actor: by, Action: AuditRevoke, Target: target(k), Reason: reason})
	})
	if err != nil {
		return Key{}, err
	}
	s.mu.Lock()
	delete(s.cache, k.Prefix)
	s.mu.Unlock()
	return k, nil
}

// Authenticate returns the live key token is, or an unauthorized error for anything else:
// not a key, a key of the other kind (test on production, live on development), unknown
// or revoked. It asks the database at most once per CacheTTL per prefix, compares the
// hash in constant time, and records the use at most once per TouchEvery.
func (s *Service) Authenticate(ctx context.Context, token string) (Key, error) {
	if !Recognise(token) || !strings.HasPrefix(token, s.kind) {
		return Key{}, unauthorized()
	}
	prefix, now := PublicPrefix(token), s.now()
	s.mu.Lock()
	c, ok := s.cache[prefix]
	s.mu.Unlock()
	if !ok || now.Sub(c.at) >= CacheTTL || now.Before(c.at) {
		var err error
		if c, err = s.lookup(ctx, prefix, now); err != nil {
			return Key{}, err
		}
	}
	if !c.found || c.key.RevokedAt != nil || !sameHash(c.hash, hashKey(token)) {
		return Key{}, unauthorized()
	}
	if err := s.touch(ctx, c.key.ID, now); err != nil {
		return Key{}, err
	}
	return c.key, nil
}

func (s *Service) lookup(ctx context.Context, prefix string, now time.Time) (cached, error) {
	c := cached{at: now}
	var err error
	c.key, err = scanKey(s.pool.QueryRow(ctx, `SELECT `+keyColumns+`, hash FROM api_keys WHERE prefix = $1`, prefix), &c.hash)
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return cached{}, err
	}
	c.found = err == nil
	s.mu.Lock()
	if len(s.cache) >= maxCached {
		s.cache = map[string]cached{}
	}
	s.cache[prefix] = c
	s.mu.Unlock()
	return c, nil
}

// touch records that key id was used now, unless this replica did so within TouchEvery;
// the guard in the statement keeps other replicas from writing it more often either.
func (s *Service) touch(ctx context.Context, id uuid.UUID, now time.Time) error {
	s.mu.Lock()
	last, ok := s.touched[id]
	due := !ok || now.Sub(last) >= TouchEvery
	if due {
		if len(s.touched) >= maxCached {
			s.touched = map[uuid.UUID]time.Time{}
		}
		s.touched[id] = now
	}
	s.mu.Unlock()
	if !due {
		return nil
	}
	_, err := s.pool.Exec(ctx, `UPDATE api_keys SET last_used_at = $2 WHERE id = $1
		AND (last_used_at IS NULL OR last_used_at <= $2::timestamptz - make_interval(secs => $3))`, id, now.UTC(), TouchEvery.Seconds())
	if err != nil {
		return fmt.Errorf("apikeys: record the use of %s: %w", id, err)
	}
	return nil
}

func unauthorized() error {
	return orders.Errorf(orders.EUnauthorized, "a valid API key is required: Authorization: Bearer <key>")
}
