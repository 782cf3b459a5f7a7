package operators

import (
	"context"
	"encoding/json"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgconn"
)

// Actor kinds in the audit log.
const (
	ActorOperator = "operator"
	ActorAPIKey   = "api_key"
	ActorCLI      = "cli" // the gateway command line, run by whoever holds DATABASE_URL
)

// Actor is who did something: an operator (id and email) or a merchant API key (its
// fingerprint, never the key), and from which address.
type Actor struct {
	Kind, ID, Name, IP string
}

// AuditEntry is one row of the audit log.
type AuditEntry struct {
	ID      int64
	At      time.Time
	Actor   Actor
	Action  string
	OrderID *uuid.UUID
	Target  string
	Reason  string
	Before  json.RawMessage
	After   json.RawMessage
}

// Execer is what Audit writes through: a transaction, so that the row commits with the
// change it records, or not at all.
type Execer interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
}

// Audit appends e to the audit log through db (the action's transaction).
func Audit(ctx context.Context, db Execer, e AuditEntry) error {
	before, after := jsonOrNil(e.Before), jsonOrNil(e.After)
	_, err := db.Exec(ctx, `INSERT INTO audit_log (actor_kind, actor_id, actor_name, ip, action, order_id, target, reason, before, after)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`, e.Actor.Kind, e.Actor.ID, e.Actor.Name, e.Actor.IP, e.Action,
		e.OrderID, e.Target, e.Reason, before, after)
	return err
}

func jsonOrNil(m json.RawMessage) any {
	if len(m) == 0 {
		return nil
	}
	return string(m)
}

// AuditFilter selects audit entries: one order's (OrderID), or all, newest first, before
// the id Before (0: from the newest), at most Limit.
type AuditFilter struct {
	OrderID *uuid.UUID
	Before  int64
	Limit   int
}

// AuditLog returns audit entries, newest first.
func (s *Service) AuditLog(ctx context.Context, f AuditFilter) ([]AuditEntry, error) {
	if f.Limit <= 0 || f.Limit > 500 {
		f.Limit = 100
	}
	rows, err := s.pool.Query(ctx, `SELECT id, at, actor_kind, actor_id, actor_name, ip, action, order_id, target, reason, before, after
		FROM audit_log WHERE ($1::uuid IS NULL OR order_id = $1) AND ($2 = 0 OR id < $2)
		ORDER BY id DESC LIMIT $3`, f.OrderID, f.Before, f.Limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []AuditEntry{}
	for rows.Next() {
		var e AuditEntry
		var before, after []byte
		if err := rows.Scan(&e.ID, &e.At, &e.Actor.Kind, &e.Actor.ID, &e.Actor.Name, &e.Actor.IP, &e.Action, &e.OrderID,
			&e.Target, &e.Reason, &before, &after); err != nil {
			return nil, err
		}
		e.Before, e.After = before, after
		out = append(out, e)
	}
	return out, rows.Err()
}

// Record appends e to the audit log on its own: for what changes nothing in the database by
// itself (a query of PlacetoPay).
func (s *Service) Record(ctx context.Context, e AuditEntry) error {
	return Audit(ctx, s.pool, e)
}
