package operators

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"github.com/placetopay-gateway/gateway/internal/orders"
)

// Session is a console session as the browser holds it: the cookie's token and the CSRF
// token unsafe requests must echo. Only their hashes are stored.
type Session struct {
	Token     string
	CSRFToken string
	ExpiresAt time.Time
	Operator  Operator
}

// Principal is who a request acts as: an operator, through a session (with its CSRF hash)
// or an API token (no CSRF: no browser sends it by itself).
type Principal struct {
	Operator
	csrfHash []byte // nil for API tokens
}

// ViaSession reports whether the principal came from a console session cookie.
func (p Principal) ViaSession() bool { return p.csrfHash != nil }

// CheckCSRF reports whether token is the session's CSRF token.
func (p Principal) CheckCSRF(token string) bool {
	return p.csrfHash != nil && token != "" && sameHash(p.csrfHash, hashToken(token))
}

// SignInParams is what the sign-in form sends, and where from.
type SignInParams struct {
	Email, Password, Code string
	IP, UserAgent         string
}

var errSignIn = orders.Errorf(orders.EUnauthorized, "wrong email, password or code")

// SignIn checks an operator's password (and TOTP code, when they have one) and opens a
// session. MaxFailures wrong answers in a row lock the operator for LockoutDuration, and a
// locked operator is refused even with the right password. In production an admin without
// a second factor cannot sign in.
func (s *Service) SignIn(ctx context.Context, p SignInParams) (Session, error) {
	email, err := normalizeEmail(p.Email)
	if err != nil {
		_, _ = checkPassword(dummyHash, p.Password)
		return Session{}, errSignIn
	}
	now := s.now().UTC()
	var (
		hash     *string
		sealed   []byte
		keyID    *string
		failures int
		disabled bool
	)
	o, err := scanOperator(s.pool.QueryRow(ctx, `SELECT `+operatorColumns+`, password_hash, totp_secret, totp_key_id, failed_attempts, disabled_at IS NOT NULL
		FROM operators WHERE email = $1`, email), &hash, &sealed, &keyID, &failures, &disabled)
	if errors.Is(err, pgx.ErrNoRows) || (err == nil && (hash == nil || disabled)) {
		_, _ = checkPassword(dummyHash, p.Password)
		return Session{}, errSignIn
	} else if err != nil {
		return Session{}, err
	}
	if o.LockedUntil != nil && o.LockedUntil.After(now) {
		return Session{}, &orders.Error{Code: orders.EUnauthorized, Message: fmt.Sprintf(
			"too many failed sign-ins; try again after %s", o.LockedUntil.UTC().Format(time.RFC3339))}
	}
	ok, err := checkPassword(*hash, p.Password)
	if err != nil {
		return Session{}, err
	}
	if ok && sealed != nil {
		secret, err := s.sealer.Open(*keyID, sealed, o.ID[:])
		if err != nil {
			return Session{}, fmt.Errorf("operators: open totp secret of %s: %w", o.ID, err)
		}
		ok = totp.Validate(p.Code, string(secret))
	}
	if !ok {
		if failures+1 >= MaxFailures {
			_, err = s.pool.Exec(ctx, `UPDATE operators SET failed_attempts = 0, locked_until = $2 WHERE id = $1`, o.ID, now.Add(LockoutDuration))
		} else {
			_, err = s.pool.Exec(ctx, `UPDATE operators SET failed_attempts = failed_attempts + 1 WHERE id = $1`, o.ID)
		}
		if err != nil {
			return Session{}, err
		}
		return Session{}, errSignIn
	}
	if s.production && o.Role == Admin && !o.TOTP {
		return Session{}, orders.Errorf(orders.EUnauthorized, "an admin needs a second factor (TOTP) in production; ask for a new enrollment")
	}
	sess := Session{Token: newSecret(), CSRFToken: newSecret(), ExpiresAt: now.Add(SessionDuration), Operator: o}
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `UPDATE operators SET failed_attempts = 0, locked_until = NULL WHERE id = $1`, o.ID); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `INSERT INTO operator_sessions (id_hash, operator_id, csrf_hash, expires_at, ip, user_agent, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7)`, hashToken(sess.Token), o.ID, hashToken(sess.CSRFToken), sess.ExpiresAt,
			p.IP, truncate(p.UserAgent, 512), now)
		return err
	})
	if err != nil {
		return Session{}, err
	}
	sess.Operator.LockedUntil = nil
	return sess, nil
}

func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) > n {
		return string(r[:n])
	}
	return s
}

// SessionOf returns who holds the console session token, while it lasts and the operator
// is enabled.
func (s *Service) SessionOf(ctx context.Context, token string) (Principal, error) {
	if token == "" {
		return Principal{}, unauthorized()
	}
	var p Principal
	o, err := scanOperator(s.pool.QueryRow(ctx, `SELECT o.id, o.email, o.role, o.password_hash IS NOT NULL, o.totp_secret IS NOT NULL,
			o.disabled_at, o.locked_until, o.created_at, s.csrf_hash
		FROM operator_sessions s JOIN operators o ON o.id = s.operator_id
		WHERE s.id_hash = $1 AND s.expires_at > $2 AND o.disabled_at IS NULL`, hashToken(token), s.now().UTC()), &p.csrfHash)
	if errors.Is(err, pgx.ErrNoRows) {
		return Principal{}, unauthorized()
	} else if err != nil {
		return Principal{}, err
	}
	p.Operator = o
	return p, nil
}

// TokenPrincipal returns who an API token (op_…) acts as.
func (s *Service) TokenPrincipal(ctx context.Context, token string) (Principal, error) {
	o, err := s.Authenticate(ctx, token)
	return Principal{Operator: o}, err
}

// SignOut ends the console session token.
func (s *Service) SignOut(ctx context.Context, token string) error {
	_, err := s.pool.Exec(ctx, `DELETE FROM operator_sessions WHERE id_hash = $1`, hashToken(token))
	return err
}

// EnrollParams is what the enrollment form sends: the token from the link, the password,
// and optionally a TOTP secret (from NewTOTP) with a code proving the operator's app has it.
type EnrollParams struct {
	Token, Password  string
	TOTPSecret, Code string
}

func passwordTooShort() error {
	return &orders.Error{Code: orders.EInvalid, Field: "password", Message: fmt.Sprintf("must have at least %d characters", minPassword)}
}

// NewTOTP returns a fresh TOTP key for an operator to add to their authenticator app.
func NewTOTP(email string) (*otp.Key, error) {
	return totp.Generate(totp.GenerateOpts{Issuer: "PlacetoPay gateway", AccountName: email})
}

// Enroll sets the password (and second factor) of the operator the enrollment token was
// issued to; the token then stops working.
func (s *Service) Enroll(ctx context.Context, p EnrollParams) (Operator, error) {
	if len([]rune(p.Password)) < minPassword {
		return Operator{}, passwordTooShort()
	}
	if p.TOTPSecret != "" && !totp.Validate(p.Code, p.TOTPSecret) {
		return Operator{}, &orders.Error{Code: orders.EInvalid, Field: "code", Message: "does not match the authenticator's secret"}
	}
	now := s.now().UTC()
	var o Operator
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var id uuid.UUID
		err := tx.QueryRow(ctx, `SELECT id FROM operators WHERE enrollment_hash = $1 AND enrollment_expires > $2
			AND disabled_at IS NULL FOR UPDATE`, hashToken(p.Token), now).Scan(&id)
		if errors.Is(err, pgx.ErrNoRows) {
			return orders.Errorf(orders.EUnauthorized, "the enrollment link is not valid (used, expired or revoked)")
		} else if err != nil {
			return err
		}
		var sealed []byte
		var keyID *string
		if p.TOTPSecret != "" {
			k, s, err := s.sealer.Seal([]byte(p.TOTPSecret), id[:])
			if err != nil {
				return err
			}
			sealed, keyID = s, &k
		}
		o, err = scanOperator(tx.QueryRow(ctx, `UPDATE operators SET password_hash = $2, totp_secret = $3, totp_key_id = $4,
			enrollment_hash = NULL, enrollment_expires = NULL, failed_attempts = 0, locked_until = NULL
			WHERE id = $1 RETURNING `+operatorColumns, id, hashPassword(p.Password), sealed, keyID))
		return err
	})
	return o, err
}
