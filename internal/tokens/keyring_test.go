package tokens

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"strings"
	"testing"
)

func key(b byte) []byte { return bytes.Repeat([]byte{b}, 32) }

func TestRoundTrip(t *testing.T) {
	k, err := ParseKeys("k1:" + hex.EncodeToString(key(1)))
	if err != nil {
		t.Fatal(err)
	}
	id, sealed, err := k.Seal([]byte("tok_secret"), []byte("pm-1"))
	if err != nil {
		t.Fatal(err)
	}
	if id != "k1" || bytes.Contains(sealed, []byte("tok_secret")) {
		t.Fatalf("id %q, sealed holds the plaintext: %v", id, bytes.Contains(sealed, []byte("tok_secret")))
	}
	got, err := k.Open(id, sealed, []byte("pm-1"))
	if err != nil || string(got) != "tok_secret" {
		t.Fatalf("open = %q, %v", got, err)
	}
	_, again, _ := k.Seal([]byte("tok_secret"), []byte("pm-1"))
	if bytes.Equal(sealed, again) {
		t.Fatal("two seals of the same plaintext are equal: the nonce is not random")
	}
}

func TestWrongKeyAADOrTamperFails(t *testing.T) {
	k1, _ := ParseKeys("k1:" + hex.EncodeToString(key(1)))
	other, _ := ParseKeys("k1:" + hex.EncodeToString(key(2)))
	id, sealed, _ := k1.Seal([]byte("tok_secret"), []byte("pm-1"))
	if _, err := other.Open(id, sealed, []byte("pm-1")); !errors.Is(err, ErrOpen) {
		t.Fatalf("another key opened it: %v", err)
	}
	if _, err := k1.Open(id, sealed, []byte("pm-2")); !errors.Is(err, ErrOpen) {
		t.Fatalf("another row's aad opened it: %v", err)
	}
	for i := range sealed {
		bad := bytes.Clone(sealed)
		bad[i] ^= 0x01
		if _, err := k1.Open(id, bad, []byte("pm-1")); !errors.Is(err, ErrOpen) {
			t.Fatalf("byte %d tampered and it still opened", i)
		}
	}
	if _, err := k1.Open(id, sealed[:10], []byte("pm-1")); !errors.Is(err, ErrOpen) {
		t.Fatal("a truncated ciphertext opened")
	}
	if _, err := k1.Open("k9", sealed, []byte("pm-1")); !errors.Is(err, ErrOpen) {
		t.Fatal("an unknown key id opened")
	}
}

func TestRotation(t *testing.T) {
	old, _ := ParseKeys("2024:" + base64.StdEncoding.EncodeToString(key(1)))
	id, sealed, _ := old.Seal([]byte("tok_old"), []byte("pm-1"))

	rotated, err := ParseKeys("2025:" + base64.RawURLEncoding.EncodeToString(key(3)) + ", 2024:" + base64.StdEncoding.EncodeToString(key(1)))
	if err != nil {
		t.Fatal(err)
	}
	if got, err := rotated.Open(id, sealed, []byte("pm-1")); err != nil || string(got) != "tok_old" {
		t.Fatalf("the old key does not decrypt after rotation: %q, %v", got, err)
	}
	newID, newSealed, _ := rotated.Seal([]byte("tok_new"), []byte("pm-2"))
	if newID != "2025" {
		t.Fatalf("rotated keyring encrypts with %q, want the first key 2025", newID)
	}
	if _, err := old.Open(newID, newSealed, []byte("pm-2")); !errors.Is(err, ErrOpen) {
		t.Fatal("the old keyring opened what the new key sealed")
	}
}

func TestParseKeys(t *testing.T) {
	hexKey := hex.EncodeToString(key(7))
	tests := []struct {
		in, id, err string
	}{
		{in: hexKey, id: DefaultKeyID},
		{in: base64.StdEncoding.EncodeToString(key(7)), id: DefaultKeyID},
		{in: "a:" + hexKey + ",b:" + base64.StdEncoding.EncodeToString(key(8)), id: "a"},
		{in: "", err: "no key"},
		{in: "a:" + hexKey + ",a:" + hexKey, err: "used twice"},
		{in: "bad id:" + hexKey, err: "id must be"},
		{in: "a:" + hex.EncodeToString(key(7)[:16]), err: "32 bytes"},
		{in: "a:not-a-key!", err: "32 bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			k, err := ParseKeys(tt.in)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("err = %v, want %q", err, tt.err)
				}
				if strings.Contains(err.Error(), hexKey) {
					t.Fatal("the error shows the key")
				}
				return
			}
			if err != nil || k.KeyID() != tt.id {
				t.Fatalf("ParseKeys = %v, %v; want id %q", k, err, tt.id)
			}
		})
	}
}

func TestGenerate(t *testing.T) {
	a, b := Generate(), Generate()
	id, sealed, _ := a.Seal([]byte("x"), nil)
	if _, err := a.Open(id, sealed, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Open(id, sealed, nil); err == nil {
		t.Fatal("two generated keyrings share a key")
	}
}
