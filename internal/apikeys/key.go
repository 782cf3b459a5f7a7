// Package apikeys holds the merchant API keys kept in the database: their format (a
// recognisable prefix and a checksum, so that a leaked key can be found by a scanner), their
// scopes, and the service that creates, lists, revokes and checks them.
package apikeys

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"hash/crc32"
	"strings"
)

// The kinds of key: live keys work only on a production gateway, test keys only on a
// development one, so that a key copied from a laptop cannot move real money.
const (
	LivePrefix = "sk_live_"
	TestPrefix = "sk_test_"
)

// Lengths of a key's parts: the random body (43 base62 characters, 256 bits), the part of
// it shown and stored in clear (the lookup prefix), and the CRC32 checksum (6 base62
// characters).
const (
	bodyLen     = 43
	publicLen   = 8
	checksumLen = 6
	keyLen      = len(LivePrefix) + bodyLen + checksumLen
)

const base62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// newKey returns a fresh key of kind (LivePrefix or TestPrefix):
// kind + 43 random base62 characters + the base62 CRC32 of kind and body.
func newKey(kind string) string {
	var b strings.Builder
	b.Grow(keyLen)
	b.WriteString(kind)
	buf := make([]byte, 64)
	for n := 0; n < bodyLen; {
		if _, err := rand.Read(buf); err != nil {
			panic("apikeys: no randomness: " + err.Error()) // crypto/rand never fails on supported systems
		}
		for _, c := range buf {
			// 248 = 4×62: rejecting the rest keeps every character equally likely.
			if c < 248 && n < bodyLen {
				b.WriteByte(base62[c%62])
				n++
			}
		}
	}
	b.WriteString(checksum(b.String()))
	return b.String()
}

// checksum is the CRC32 (IEEE) of s in six base62 characters.
func checksum(s string) string {
	n := crc32.ChecksumIEEE([]byte(s))
	out := make([]byte, checksumLen)
	for i := checksumLen - 1; i >= 0; i-- {
		out[i] = base62[n%62]
		n /= 62
	}
	return string(out)
}

// Recognise reports whether s has the shape of a gateway API key and a checksum that
// matches: what a secret scanner (or the gateway, before it asks the database) checks. A
// key that passes may still be unknown or revoked.
func Recognise(s string) bool {
	if len(s) != keyLen || (!strings.HasPrefix(s, LivePrefix) && !strings.HasPrefix(s, TestPrefix)) {
		return false
	}
	for _, c := range []byte(s[len(LivePrefix):]) {
		if strings.IndexByte(base62, c) < 0 {
			return false
		}
	}
	split := keyLen - checksumLen
	return subtle.ConstantTimeCompare([]byte(checksum(s[:split])), []byte(s[split:])) == 1
}

// PublicPrefix is the part of key stored in clear: its kind and the first characters of
// its body, as `gateway keys list` shows it. key must be recognised.
func PublicPrefix(key string) string { return key[:len(LivePrefix)+publicLen] }

// hashKey is what the database keeps of a key: its SHA-256. Keys carry 256 random bits,
// so a fast hash is enough (no one can guess a preimage); a slow one, as for passwords,
// would only cost every request time.
func hashKey(key string) []byte {
	h := sha256.Sum256([]byte(key))
	return h[:]
}

// sameHash compares two hashes in constant time.
func sameHash(a, b []byte) bool { return len(a) == 32 && subtle.ConstantTimeCompare(a, b) == 1 }
