package placetopay

import (
	"encoding/base64"
	"testing"
	"time"
)

// The documented vectors (docs/placetopay.md#trankey).
func TestTranKeyVectors(t *testing.T) {
	raw := []byte("ifYEPnAcJbpDVR1t")
	seed := "2016-10-26T21:37:00+00:00"
	tests := []struct {
		alg  Algorithm
		want string
	}{
		{SHA1, "Xi5xrRwrqPU21WE2JI4hyMaCvQ8="},
		{SHA256, "NDlpEEAIe8sbKZ6mGWQrZwbyBB62J1LcyP/a/o7LRqY="},
	}
	for _, tt := range tests {
		t.Run(string(tt.alg), func(t *testing.T) {
			got, err := TranKey(tt.alg, raw, seed, "ABCD1234")
			if err != nil || got != tt.want {
				t.Errorf("TranKey = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
	if got := base64.StdEncoding.EncodeToString(raw); got != "aWZZRVBuQWNKYnBEVlIxdA==" {
		t.Errorf("nonce sent = %q", got)
	}
}

func TestAuthenticatorUsesInjectedClockAndNonce(t *testing.T) {
	a := Authenticator{
		Credentials: Credentials{Login: "login", SecretKey: "ABCD1234"},
		Clock:       func() time.Time { return time.Date(2016, 10, 26, 21, 37, 0, 0, time.UTC) },
		Nonce:       func() ([]byte, error) { return []byte("ifYEPnAcJbpDVR1t"), nil },
	}
	got, err := a.Auth()
	if err != nil {
		t.Fatal(err)
	}
	want := Auth{Login: "login", TranKey: "NDlpEEAIe8sbKZ6mGWQrZwbyBB62J1LcyP/a/o7LRqY=",
		Nonce: "aWZZRVBuQWNKYnBEVlIxdA==", Seed: "2016-10-26T21:37:00Z"}
	// The seed format differs from the vector's "+00:00"; recompute the expected key for it.
	want.TranKey, _ = TranKey(SHA256, []byte("ifYEPnAcJbpDVR1t"), want.Seed, "ABCD1234")
	if got != want {
		t.Errorf("Auth() = %+v, want %+v", got, want)
	}
}

func TestAuthenticatorFreshNoncePerRequest(t *testing.T) {
	a := Authenticator{Credentials: Credentials{Login: "l", SecretKey: "s"}}
	first, err := a.Auth()
	if err != nil {
		t.Fatal(err)
	}
	second, _ := a.Auth()
	if first.Nonce == second.Nonce || first.TranKey == second.TranKey {
		t.Errorf("two requests shared a nonce or tranKey: %+v %+v", first, second)
	}
	if raw, _ := base64.StdEncoding.DecodeString(first.Nonce); len(raw) != 16 {
		t.Errorf("raw nonce is %d bytes, want 16", len(raw))
	}
}
