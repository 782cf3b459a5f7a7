package operators

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/placetopay-gateway/gateway/internal/orders"
)

// draftTTL is how long an operator has to confirm a TOTP code after choosing a password.
const draftTTL = 15 * time.Minute

// enrollDraft is what the first enrollment step chose, carried to the second (confirming
// the authenticator's code) sealed: the page never holds the password in clear.
type enrollDraft struct {
	Password string    `json:"p"`
	Secret   string    `json:"s"`
	Expires  time.Time `json:"e"`
}

// SealEnrollDraft checks the password's length and seals it with a fresh TOTP secret for
// the enrollment form's second step, bound to the enrollment token. It returns the sealed
// draft and the secret to show (the otpauth URI is NewTOTP's key's URL).
func (s *Service) SealEnrollDraft(token, email, password string) (draft, secret, uri string, err error) {
	if len([]rune(password)) < minPassword {
		return "", "", "", passwordTooShort()
	}
	key, err := NewTOTP(email)
	if err != nil {
		return "", "", "", err
	}
	//nolint:gosec // the draft is sealed (encrypted) at once below, never kept or sent in clear
	plain, _ := json.Marshal(enrollDraft{Password: password, Secret: key.Secret(), Expires: s.now().Add(draftTTL)})
	keyID, sealed, err := s.sealer.Seal(plain, draftAAD(token))
	if err != nil {
		return "", "", "", err
	}
	draft = base64.RawURLEncoding.EncodeToString([]byte(keyID)) + "." + base64.RawURLEncoding.EncodeToString(sealed)
	return draft, key.Secret(), key.URL(), nil
}

// EnrollDraft enrolls with a sealed draft (SealEnrollDraft) and the code the operator's
// authenticator shows.
func (s *Service) EnrollDraft(ctx context.Context, token, draft, code string) (Operator, error) {
	bad := &orders.Error{Code: orders.EInvalid, Field: "draft", Message: "the enrollment form expired; open the enrollment link again"}
	k, sealed, ok := strings.Cut(draft, ".")
	keyID, err1 := base64.RawURLEncoding.DecodeString(k)
	box, err2 := base64.RawURLEncoding.DecodeString(sealed)
	if !ok || err1 != nil || err2 != nil {
		return Operator{}, bad
	}
	plain, err := s.sealer.Open(string(keyID), box, draftAAD(token))
	var d enrollDraft
	if err != nil || json.Unmarshal(plain, &d) != nil || s.now().After(d.Expires) {
		return Operator{}, bad
	}
	return s.Enroll(ctx, EnrollParams{Token: token, Password: d.Password, TOTPSecret: d.Secret, Code: code})
}

func draftAAD(token string) []byte { return append([]byte("enroll-draft:"), hashToken(token)...) }

// EnrollingEmail returns the email of the operator a valid enrollment token was issued to.
func (s *Service) EnrollingEmail(ctx context.Context, token string) (string, error) {
	var email string
	err := s.pool.QueryRow(ctx, `SELECT email FROM operators WHERE enrollment_hash = $1 AND enrollment_expires > $2
		AND disabled_at IS NULL`, hashToken(token), s.now().UTC()).Scan(&email)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", orders.Errorf(orders.EUnauthorized, "the enrollment link is not valid (used, expired or revoked)")
	}
	return email, err
}
