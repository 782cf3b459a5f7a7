// Package pgtest gives each test its own freshly migrated Postgres database, cloned from a
// template that is migrated once per schema version.
package pgtest

import (
	"context"
	"database/sql"
	"net/url"
	"os"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"
	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" database/sql driver pgtestdb connects with
	"github.com/peterldowns/pgtestdb"
	"github.com/peterldowns/pgtestdb/migrators/common"

	"github.com/placetopay-gateway/gateway/migrations"
)

// migrator runs the embedded goose migrations on pgtestdb's template database.
type migrator struct{}

func (migrator) Hash() (string, error) {
	return common.HashDirs(migrations.FS(), "*.sql", ".")
}

func (migrator) Migrate(ctx context.Context, db *sql.DB, _ pgtestdb.Config) error {
	_, err := migrations.Up(ctx, db)
	return err
}

// ServerConfig returns the connection settings of the Postgres server tests use: the one in
// DATABASE_URL (as `make test` sets it), else the local default.
func ServerConfig(t testing.TB) pgtestdb.Config {
	t.Helper()
	raw := os.Getenv("DATABASE_URL")
	if raw == "" {
		raw = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
	}
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatalf("pgtest: DATABASE_URL: %v", err)
	}
	pw, _ := u.User.Password()
	opts := u.Query()
	if opts.Get("sslmode") == "" {
		opts.Set("sslmode", "disable")
	}
	return pgtestdb.Config{
		DriverName: "pgx", User: u.User.Username(), Password: pw,
		Host: u.Hostname(), Port: u.Port(), Database: "postgres", Options: opts.Encode(),
	}
}

// URL returns the connection URL of a new, migrated database that lives as long as t.
func URL(t testing.TB) string {
	t.Helper()
	return pgtestdb.Custom(t, ServerConfig(t), migrator{}).URL()
}

// EmptyURL returns the URL of a new database with no tables at all, dropped after t.
func EmptyURL(t testing.TB) string {
	t.Helper()
	return pgtestdb.Custom(t, ServerConfig(t), pgtestdb.NoopMigrator{}).URL()
}

// Pool returns a pool on a new, migrated database, closed when t ends.
func Pool(t testing.TB) *pgxpool.Pool {
	t.Helper()
	pool, err := pgxpool.New(context.Background(), URL(t))
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	t.Cleanup(pool.Close)
	return pool
}
