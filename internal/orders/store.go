package orders

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/placetopay-gateway/gateway/internal/orders/ordersdb"
)

// Store is the orders' Postgres storage: the generated queries, run on the pool or inside
// a transaction.
type Store struct {
	pool *pgxpool.Pool
	q    *ordersdb.Queries
}

// NewStore returns a Store on pool.
func NewStore(pool *pgxpool.Pool) *Store {
	if pool == nil {
		panic("orders: NewStore needs a pool")
	}
	return &Store{pool: pool, q: ordersdb.New()}
}

// inTx runs fn in one transaction, committed when fn returns nil and rolled back otherwise.
func (s *Store) inTx(ctx context.Context, fn func(tx pgx.Tx) error) error {
	return pgx.BeginFunc(ctx, s.pool, fn)
}

// uniqueViolation returns the constraint name when err is a unique violation (23505).
func uniqueViolation(err error) (string, bool) {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "23505" {
		return pgErr.ConstraintName, true
	}
	return "", false
}
