package sandbox

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strconv"
	"testing"
	"time"

	pp "github.com/placetopay-gateway/gateway/internal/placetopay"
)

// authBody is a query body with the given auth object.
func authBody(t *testing.T, auth any) []byte {
	t.Helper()
	b, err := json.Marshal(map[string]any{"auth": auth})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// signed builds an auth object by hand: rawNonce, seed and the secret, digested by alg.
func signed(t *testing.T, alg pp.Algorithm, login, secret, seed string) pp.Auth {
	t.Helper()
	nonce := []byte("ifYEPnAcJbpDVR1t")
	key, err := pp.TranKey(alg, nonce, seed, secret)
	if err != nil {
		t.Fatal(err)
	}
	return pp.Auth{Login: login, TranKey: key, Nonce: base64.StdEncoding.EncodeToString(nonce), Seed: seed}
}

func TestAuthentication(t *testing.T) {
	h := newHarness(t)
	id, _ := h.create(basicSession("ORDER-AUTH"))
	path := "/api/session/" + itoa(id)
	seed := testEpoch.Format(time.RFC3339)
	good := signed(t, pp.SHA256, testLogin, testSecret, seed)

	for _, tc := range []struct {
		name        string
		contentType string
		body        []byte
		code        int // the code in "Authentication failed N"; 0 is success
	}{
		{"SHA-256 tranKey", "application/json", authBody(t, good), 0},
		{"SHA-1 tranKey", "application/json", authBody(t, signed(t, pp.SHA1, testLogin, testSecret, seed)), 0},
		{"charset in content type", "application/json; charset=utf-8", authBody(t, good), 0},
		{"seed with fractions and Z", "application/json", authBody(t, signed(t, pp.SHA256, testLogin, testSecret, testEpoch.Add(-90*time.Second).Format("2006-01-02T15:04:05.000Z"))), 0},
		{"seed with microseconds and +00:00", "application/json", authBody(t, signed(t, pp.SHA256, testLogin, testSecret, testEpoch.Format("2006-01-02T15:04:05.000000-07:00"))), 0},
		{"seed in another offset", "application/json", authBody(t, signed(t, pp.SHA1, testLogin, testSecret, testEpoch.In(time.FixedZone("", -5*3600)).Format(time.RFC3339))), 0},
		{"no auth", "application/json", []byte(`{}`), 100},
		{"not JSON", "application/json", []byte(`auth=1`), 100},
		{"blank nonce", "application/json", authBody(t, pp.Auth{Login: good.Login, TranKey: good.TranKey, Seed: good.Seed}), 100},
		{"auth as a string", "application/json", []byte(`{"auth":"x"}`), 100},
		{"seed not a date", "application/json", authBody(t, signed(t, pp.SHA256, testLogin, testSecret, "yesterday")), 100},
		{"form content type", "application/x-www-form-urlencoded", authBody(t, good), 100},
		{"no content type", "", authBody(t, good), 100},
		{"unknown login", "application/json", authBody(t, signed(t, pp.SHA256, "someone-else", testSecret, seed)), 101},
		{"wrong secret", "application/json", authBody(t, signed(t, pp.SHA256, testLogin, "not-the-secret", seed)), 102},
		{"hex digest instead of raw", "application/json", authBody(t, pp.Auth{Login: testLogin, TranKey: base64.StdEncoding.EncodeToString([]byte("0123456789abcdef0123456789abcdef0123456789abcdef")), Nonce: good.Nonce, Seed: seed}), 102},
		{"nonce not base64", "application/json", authBody(t, pp.Auth{Login: testLogin, TranKey: good.TranKey, Nonce: "not base64!", Seed: seed}), 102},
		{"seed six minutes old", "application/json", authBody(t, signed(t, pp.SHA256, testLogin, testSecret, testEpoch.Add(-6*time.Minute).Format(time.RFC3339))), 103},
		{"seed six minutes ahead", "application/json", authBody(t, signed(t, pp.SHA256, testLogin, testSecret, testEpoch.Add(6*time.Minute).Format(time.RFC3339))), 103},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := h.send(http.MethodPost, path, tc.contentType, tc.body)
			if tc.code == 0 {
				r.want(t, http.StatusOK)
				return
			}
			r.want(t, http.StatusUnauthorized)
			if got := status(r.Body, "status"); got != "FAILED/401" {
				t.Errorf("status = %s, want FAILED/401", got)
			}
			if _, isNumber := get(r.Body, "status", "reason").(float64); !isNumber {
				t.Errorf("reason %#v is not a JSON number", get(r.Body, "status", "reason"))
			}
			if got, want := str(r.Body, "status", "message"), "Authentication failed "+itoa(int64(tc.code)); got != want {
				t.Errorf("message = %q, want %q", got, want)
			}
			if str(r.Body, "status", "date") == "" {
				t.Error("no date")
			}
		})
	}

	t.Run("every API route authenticates", func(t *testing.T) {
		for _, p := range []string{"/api/session", path, path + "/cancel", "/api/collect", "/api/transaction", "/api/reverse", "/api/instrument/invalidate"} {
			h.send(http.MethodPost, p, "application/json", []byte(`{}`)).want(t, http.StatusUnauthorized)
		}
	})

	t.Run("moving the sandbox clock does not lock clients out", func(t *testing.T) {
		// Clients keep real clocks; the seed is checked against the real time, not the
		// sandbox time that POST /sandbox/clock moves to make sessions expire.
		h.advance(10 * time.Minute)
		h.send(http.MethodPost, path, "application/json", authBody(t, good)).want(t, http.StatusOK)
	})
}

func TestAutopayAuthentication(t *testing.T) {
	h := newHarness(t)
	seed := testEpoch.Format(time.RFC3339)
	r := h.send(http.MethodPost, "/autopay/search", "application/json", []byte(`{"auth":{"login":"`+testLogin+`"}}`)).want(t, http.StatusBadRequest)
	if got := status(r.Body, "status"); got != "FAILED/400" {
		t.Errorf("missing fields: status = %s, want FAILED/400", got)
	}
	if got, want := str(r.Body, "status", "message"), "authentication does not include all required parameters (login, tranKey, seed, nonce)"; got != want {
		t.Errorf("message = %q, want %q", got, want)
	}
	r = h.send(http.MethodPost, "/autopay/search", "application/json", authBody(t, signed(t, pp.SHA256, testLogin, "wrong", seed))).want(t, http.StatusUnauthorized)
	if got := status(r.Body, "status"); got != "FAILED/102" {
		t.Errorf("wrong secret: status = %s, want FAILED/102", got)
	}
	r = h.send(http.MethodPost, "/autopay/session", "application/json", authBody(t, signed(t, pp.SHA256, "nobody", testSecret, seed))).want(t, http.StatusUnauthorized)
	if got := status(r.Body, "status") + " " + str(r.Body, "status", "message"); got != "FAILED/101 Authentication failed 101" {
		t.Errorf("unknown login: %s", got)
	}
	h.send(http.MethodPost, "/autopay/search", "application/json", authBody(t, signed(t, pp.SHA256, testLogin, testSecret, seed))).want(t, http.StatusOK)
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
