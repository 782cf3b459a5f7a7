package orders

import (
	"context"
	"errors"
	"fmt"

	"go.uber.org/zap"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/placetopay-gateway/gateway/internal/orders/ordersdb"
)

// Store is the orders' Postgres storage. It owns the SQL: the generated queries are called
// here (store*.go) and nowhere else, and its methods take and return domain types. Methods
// that take a db run on the pool or inside a transaction; those that take a tx are steps of
// a larger change that must commit together.
type Store struct {
	pool *pgxpool.Pool
	q    *ordersdb.Queries
	log  *zap.Logger // one line per order created and per status change, for the run log
}

// NewStore returns a Store on pool that logs on log what happens to orders (ids, statuses
// and amounts, never personal data).
func NewStore(pool *pgxpool.Pool, log *zap.Logger) *Store {
	if pool == nil || log == nil {
		panic("orders: NewStore needs a pool and a logger")
	}
	return &Store{pool: pool, q: ordersdb.New(), log: log}
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

// orderNotFound turns a missing order row into the domain's not-found error.
func orderNotFound(err error, id fmt.Stringer) error {
	if errors.Is(err, pgx.ErrNoRows) {
		return &Error{Code: ENotFound, Field: "id", Message: fmt.Sprintf("order %s does not exist", id)}
	}
	return err
}

// found reports whether err is nil, false when it is "no rows", and err otherwise: for
// lookups whose absence is an answer.
func found(err error) (bool, error) {
	if errors.Is(err, pgx.ErrNoRows) {
		return false, nil
	}
	return err == nil, err
}
