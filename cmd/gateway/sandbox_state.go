package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/placetopay-gateway/gateway/internal/placetopay/sandbox"
)

// The embedded sandbox's state outlives the process, so that a restart of a development
// gateway does not strand the checkouts it opened (docs/sandbox-state.md): `gateway serve`
// keeps it in the development database, `gateway sandbox` in SANDBOX_STATE_FILE (serve too
// when it is set).

// sandboxStateDDL makes the schema the embedded sandbox keeps its state in. It is not a
// migration: only a development gateway running the sandbox creates it, so that it never
// appears in a production database. The snapshot is json, not jsonb: json keeps the text as
// saved, and the notification bodies in it must stay byte for byte what was signed and sent.
const sandboxStateDDL = `CREATE SCHEMA IF NOT EXISTS sandbox;
CREATE TABLE IF NOT EXISTS sandbox.state (
	id int PRIMARY KEY CHECK (id = 1),
	snapshot json NOT NULL,
	saved_at timestamptz NOT NULL
)`

// sandboxStateWhere is where the development gateway keeps the sandbox's state, for the log.
const sandboxStateWhere = "table sandbox.state of the development database (DROP SCHEMA sandbox CASCADE forgets it)"

func fileStateWhere(path string) string {
	return path + " (SANDBOX_STATE_FILE; delete it to forget every session)"
}

// embeddedSandboxState is where `gateway serve` keeps its embedded sandbox's state:
// SANDBOX_STATE_FILE when set, else the development database.
func embeddedSandboxState(ctx context.Context, c sandboxConfig, pool *pgxpool.Pool) (sandbox.Persister, string, error) {
	if c.StateFile != "" {
		return fileSandboxState{path: c.StateFile}, fileStateWhere(c.StateFile), nil
	}
	state, err := newDBSandboxState(ctx, pool)
	if err != nil {
		return nil, "", err
	}
	return state, sandboxStateWhere, nil
}

// dbSandboxState keeps the sandbox's snapshot in one row of sandbox.state.
type dbSandboxState struct{ pool *pgxpool.Pool }

// newDBSandboxState creates the sandbox schema when it is missing.
func newDBSandboxState(ctx context.Context, pool *pgxpool.Pool) (*dbSandboxState, error) {
	if _, err := pool.Exec(ctx, sandboxStateDDL); err != nil {
		return nil, fmt.Errorf("sandbox state: create schema sandbox: %w", err)
	}
	return &dbSandboxState{pool: pool}, nil
}

func (s *dbSandboxState) Load(ctx context.Context) ([]byte, error) {
	var snapshot string
	err := s.pool.QueryRow(ctx, `SELECT snapshot::text FROM sandbox.state WHERE id = 1`).Scan(&snapshot)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("sandbox state: load: %w", err)
	}
	return []byte(snapshot), nil
}

func (s *dbSandboxState) Save(ctx context.Context, snapshot []byte) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO sandbox.state (id, snapshot, saved_at) VALUES (1, $1::text::json, now())
		ON CONFLICT (id) DO UPDATE SET snapshot = EXCLUDED.snapshot, saved_at = EXCLUDED.saved_at`, string(snapshot))
	if err != nil {
		return fmt.Errorf("sandbox state: save: %w", err)
	}
	return nil
}

// fileSandboxState keeps the sandbox's snapshot in a file, replaced whole on every save
// (a temporary file beside it, then a rename), so that a crash leaves the old snapshot or
// the new one, never half of one.
type fileSandboxState struct{ path string }

func (f fileSandboxState) Load(context.Context) ([]byte, error) {
	b, err := os.ReadFile(f.path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("sandbox state: %w", err)
	}
	return b, nil
}

func (f fileSandboxState) Save(_ context.Context, snapshot []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(f.path), "."+filepath.Base(f.path)+".*")
	if err != nil {
		return fmt.Errorf("sandbox state: %w", err)
	}
	defer os.Remove(tmp.Name()) // gone already once renamed
	if _, err := tmp.Write(snapshot); err != nil {
		_ = tmp.Close()
		return fmt.Errorf("sandbox state: write %s: %w", tmp.Name(), err)
	}
	if err := tmp.Sync(); err != nil {
		_ = tmp.Close()
		return fmt.Errorf("sandbox state: sync %s: %w", tmp.Name(), err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("sandbox state: close %s: %w", tmp.Name(), err)
	}
	if err := os.Rename(tmp.Name(), f.path); err != nil {
		return fmt.Errorf("sandbox state: %w", err)
	}
	return nil
}
