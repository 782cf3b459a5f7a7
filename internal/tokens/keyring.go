// Package tokens seals PlacetoPay card tokens for storage: AES-256-GCM with a random nonce
// per encryption, the ciphertext bound to its row by additional data, and a key id stored
// beside each ciphertext so that keys can be rotated.
package tokens

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"
	"strings"
)

// Keyring holds the token keys: the first encrypts, every one decrypts. Its zero value is
// not usable; build it with ParseKeys or Generate.
type Keyring struct {
	current string
	keys    map[string]cipher.AEAD
}

// DefaultKeyID is the id of a key given without one.
const DefaultKeyID = "default"

var keyIDRE = regexp.MustCompile(`^[A-Za-z0-9_-]{1,32}$`)

// ParseKeys reads GATEWAY_TOKEN_KEY: comma-separated keys, each `id:key` or a bare key (id
// "default"), where a key is 32 bytes written as 64 hex digits or base64 (standard or URL
// alphabet, padded or not). The first key encrypts; the others only decrypt what older keys
// encrypted. Errors never include key material.
func ParseKeys(s string) (*Keyring, error) {
	k := &Keyring{keys: map[string]cipher.AEAD{}}
	for i, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		id, raw := DefaultKeyID, part
		if before, after, ok := strings.Cut(part, ":"); ok {
			id, raw = before, after
		}
		if !keyIDRE.MatchString(id) {
			return nil, fmt.Errorf("key %d: the id must be 1 to 32 letters, digits, - or _", i+1)
		}
		if _, dup := k.keys[id]; dup {
			return nil, fmt.Errorf("key %d: the id %q is used twice", i+1, id)
		}
		key, err := decodeKey(raw)
		if err != nil {
			return nil, fmt.Errorf("key %q: %w", id, err)
		}
		aead, err := newAEAD(key)
		if err != nil {
			return nil, fmt.Errorf("key %q: %w", id, err)
		}
		k.keys[id] = aead
		if k.current == "" {
			k.current = id
		}
	}
	if k.current == "" {
		return nil, errors.New("no key given")
	}
	return k, nil
}

// Generate returns a keyring with one random key, for a development run without a
// configured key: what it seals cannot be opened after a restart.
func Generate() *Keyring {
	var key [32]byte
	if _, err := rand.Read(key[:]); err != nil {
		panic("tokens: no randomness: " + err.Error())
	}
	aead, _ := newAEAD(key[:])
	return &Keyring{current: "ephemeral", keys: map[string]cipher.AEAD{"ephemeral": aead}}
}

func decodeKey(s string) ([]byte, error) {
	if len(s) == 64 {
		if b, err := hex.DecodeString(s); err == nil {
			return b, nil
		}
	}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(s); err == nil {
			if len(b) != 32 {
				return nil, fmt.Errorf("must be 32 bytes, not %d", len(b))
			}
			return b, nil
		}
	}
	return nil, errors.New("must be 32 bytes as 64 hex digits or base64")
}

func newAEAD(key []byte) (cipher.AEAD, error) {
	if len(key) != 32 {
		return nil, fmt.Errorf("must be 32 bytes, not %d", len(key))
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

// KeyID is the id of the key Seal uses.
func (k *Keyring) KeyID() string { return k.current }

// Seal encrypts plaintext with the current key, bound to aad (the row it belongs to). It
// returns the key id to store beside the ciphertext, and nonce||ciphertext||tag.
func (k *Keyring) Seal(plaintext, aad []byte) (keyID string, sealed []byte, err error) {
	aead := k.keys[k.current]
	nonce := make([]byte, aead.NonceSize(), aead.NonceSize()+len(plaintext)+aead.Overhead())
	if _, err := rand.Read(nonce); err != nil {
		return "", nil, fmt.Errorf("tokens: nonce: %w", err)
	}
	return k.current, aead.Seal(nonce, nonce, plaintext, aad), nil
}

// ErrOpen is any failure to decrypt: an unknown key id, another key, another row's
// additional data, or tampered bytes. It says nothing more on purpose.
var ErrOpen = errors.New("tokens: cannot decrypt")

// Open decrypts what Seal returned, with the key named keyID and the same aad.
func (k *Keyring) Open(keyID string, sealed, aad []byte) ([]byte, error) {
	aead, ok := k.keys[keyID]
	if !ok || len(sealed) < aead.NonceSize()+aead.Overhead() {
		return nil, ErrOpen
	}
	n := aead.NonceSize()
	out, err := aead.Open(nil, sealed[:n], sealed[n:], aad)
	if err != nil {
		return nil, ErrOpen
	}
	return out, nil
}
