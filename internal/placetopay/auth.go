package placetopay

import (
	"crypto/rand"
	"crypto/sha1" //nolint:gosec // PlacetoPay's legacy tranKey and notification scheme; SHA-256 is the default
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"hash"
	"io"
	"time"
)

// Algorithm is the digest of tranKeys and notification signatures.
type Algorithm string

// The two algorithms PlacetoPay uses: SHA-256 now, SHA-1 for sites not yet migrated.
const (
	SHA256 Algorithm = "sha256"
	SHA1   Algorithm = "sha1"
)

func (a Algorithm) newHash() (hash.Hash, error) {
	switch a {
	case SHA256, "":
		return sha256.New(), nil
	case SHA1:
		return sha1.New(), nil //nolint:gosec // see import
	}
	return nil, fmt.Errorf("placetopay: unknown algorithm %q", string(a))
}

// TranKey computes Base64(digest(rawNonce + seed + secretKey)) over the raw digest bytes,
// exactly as docs/placetopay.md#trankey documents.
func TranKey(alg Algorithm, rawNonce []byte, seed, secretKey string) (string, error) {
	h, err := alg.newHash()
	if err != nil {
		return "", err
	}
	h.Write(rawNonce)
	h.Write([]byte(seed))
	h.Write([]byte(secretKey))
	return base64.StdEncoding.EncodeToString(h.Sum(nil)), nil
}

// Credentials are a PlacetoPay site's login and secret key. The secret key never leaves the
// process: only digests of it are sent.
type Credentials struct {
	Login     string
	SecretKey string
}

// String hides the secret key from logs and fmt.
func (c Credentials) String() string { return "Credentials{Login: " + c.Login + ", SecretKey: ***}" }

// GoString hides the secret key from %#v too.
func (c Credentials) GoString() string { return c.String() }

// Authenticator builds a fresh auth object for every request: a new random nonce and the
// current time as seed. Clock and Nonce are injectable for tests.
type Authenticator struct {
	Credentials Credentials
	Algorithm   Algorithm              // SHA256 when empty
	Clock       func() time.Time       // time.Now when nil
	Nonce       func() ([]byte, error) // 16 random bytes when nil
}

// Auth returns the auth object for one request.
func (a *Authenticator) Auth() (Auth, error) {
	now := time.Now
	if a.Clock != nil {
		now = a.Clock
	}
	newNonce := randomNonce
	if a.Nonce != nil {
		newNonce = a.Nonce
	}
	raw, err := newNonce()
	if err != nil {
		return Auth{}, fmt.Errorf("placetopay: nonce: %w", err)
	}
	seed := now().Format(time.RFC3339)
	key, err := TranKey(a.Algorithm, raw, seed, a.Credentials.SecretKey)
	if err != nil {
		return Auth{}, err
	}
	return Auth{
		Login: a.Credentials.Login, TranKey: key,
		Nonce: base64.StdEncoding.EncodeToString(raw), Seed: seed,
	}, nil
}

func randomNonce() ([]byte, error) {
	b := make([]byte, 16)
	_, err := io.ReadFull(rand.Reader, b)
	return b, err
}
