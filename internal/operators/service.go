package operators

import (
	"context"
	"errors"
	"net/mail"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/placetopay-gateway/gateway/internal/orders"
)

// Sealer encrypts the TOTP secrets at rest; internal/tokens satisfies it.
type Sealer interface {
	Seal(plaintext, aad []byte) (keyID string, sealed []byte, err error)
	Open(keyID string, sealed, aad []byte) ([]byte, error)
}

// Limits of sign-in and sessions.
const (
	MaxFailures     = 5                // failed sign-ins in a row before the operator is locked
	LockoutDuration = 15 * time.Minute // how long a lockout lasts
	SessionDuration = 12 * time.Hour   // a console session's life
	EnrollmentTTL   = 72 * time.Hour   // how long an enrollment link may be used
	minPassword     = 12
)

// Service manages operators, their sign-ins and sessions.
type Service struct {
	pool       *pgxpool.Pool
	sealer     Sealer
	production bool // admins need a second factor
	now        func() time.Time
}

// NewService returns the operators service. production (GATEWAY_ENV=production) requires a
// second factor of admins; now is the clock (time.Now when nil).
func NewService(pool *pgxpool.Pool, sealer Sealer, production bool, now func() time.Time) *Service {
	if pool == nil || sealer == nil {
		panic("operators: NewService needs a pool and a sealer")
	}
	if now == nil {
		now = time.Now
	}
	return &Service{pool: pool, sealer: sealer, production: production, now: now}
}

// Added is a new operator with the secrets shown once: the enrollment token (for the
// console's enrollment link) and the API token (op_…).
type Added struct {
	Operator
	EnrollmentToken string
	APIToken        string
}

// Add creates an operator with a fresh enrollment token and API token.
func (s *Service) Add(ctx context.Context, email string, role Role) (Added, error) {
	email, err := normalizeEmail(email)
	if err != nil {
		return Added{}, err
	}
	if _, err := ParseRole(string(role)); err != nil {
		return Added{}, err
	}
	a := Added{EnrollmentToken: newSecret(), APIToken: TokenPrefix + newSecret()}
	now := s.now().UTC()
	a.Operator = Operator{ID: uuid.New(), Email: email, Role: role, CreatedAt: now}
	_, err = s.pool.Exec(ctx, `INSERT INTO operators (id, email, role, enrollment_hash, enrollment_expires, api_token_hash, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7)`, a.ID, email, string(role), hashToken(a.EnrollmentToken), now.Add(EnrollmentTTL), hashToken(a.APIToken), now)
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "23505" {
		return Added{}, &orders.Error{Code: orders.EConflict, Field: "email", Message: "an operator with this email exists"}
	}
	if err != nil {
		return Added{}, err
	}
	return a, nil
}

func normalizeEmail(email string) (string, error) {
	email = strings.ToLower(strings.TrimSpace(email))
	addr, err := mail.ParseAddress(email)
	if err != nil || addr.Address != email || len(email) > 254 {
		return "", &orders.Error{Code: orders.EInvalid, Field: "email", Message: "must be an email address"}
	}
	return email, nil
}

const operatorColumns = `id, email, role, password_hash IS NOT NULL, totp_secret IS NOT NULL, disabled_at, locked_until, created_at`

func scanOperator(row pgx.Row, extra ...any) (Operator, error) {
	var o Operator
	var role string
	err := row.Scan(append([]any{&o.ID, &o.Email, &role, &o.Enrolled, &o.TOTP, &o.DisabledAt, &o.LockedUntil, &o.CreatedAt}, extra...)...)
	o.Role = Role(role)
	return o, err
}

// List returns every operator, by email.
func (s *Service) List(ctx context.Context) ([]Operator, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+operatorColumns+` FROM operators ORDER BY email`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Operator
	for rows.Next() {
		o, err := scanOperator(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, o)
	}
	return out, rows.Err()
}

// Disable stops an operator for good: sign-in, API token and open sessions all end.
func (s *Service) Disable(ctx context.Context, email string) (Operator, error) {
	email, err := normalizeEmail(email)
	if err != nil {
		return Operator{}, err
	}
	var o Operator
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var err error
		o, err = scanOperator(tx.QueryRow(ctx, `UPDATE operators SET disabled_at = coalesce(disabled_at, $2),
			enrollment_hash = NULL WHERE email = $1 RETURNING `+operatorColumns, email, s.now().UTC()))
		if errors.Is(err, pgx.ErrNoRows) {
			return orders.Errorf(orders.ENotFound, "no operator %s", email)
		} else if err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `DELETE FROM operator_sessions WHERE operator_id = $1`, o.ID)
		return err
	})
	return o, err
}

// Authenticate returns the enabled operator whose API token this is.
func (s *Service) Authenticate(ctx context.Context, token string) (Operator, error) {
	if !strings.HasPrefix(token, TokenPrefix) {
		return Operator{}, unauthorized()
	}
	want := hashToken(token)
	var stored []byte
	o, err := scanOperator(s.pool.QueryRow(ctx, `SELECT `+operatorColumns+`, api_token_hash FROM operators
		WHERE api_token_hash = $1 AND disabled_at IS NULL`, want), &stored)
	if errors.Is(err, pgx.ErrNoRows) || (err == nil && !sameHash(stored, want)) {
		return Operator{}, unauthorized()
	}
	return o, err
}

func unauthorized() error {
	return orders.Errorf(orders.EUnauthorized, "an operator token or a console session is required")
}
