package sandbox

import (
	"context"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"time"

	pp "github.com/placetopay-gateway/gateway/internal/placetopay"
)

// Authentication failure codes (docs/placetopay.md#authentication-errors).
const (
	authMalformed    = 100 // no auth, a blank field, a body that is not JSON, or not sent as JSON
	authUnknownLogin = 101
	authBadTranKey   = 102
	authSeedSkew     = 103
)

// maxSeedSkew is how far the seed may be from the real time (the clock's base), either way
// (docs/placetopay.md#nonce-and-seed).
const maxSeedSkew = 5 * time.Minute

// flavour is the API a route belongs to: Checkout and autopay report failures differently.
type flavour int

const (
	checkout flavour = iota
	autopayAPI
)

// apiHandler handles an authenticated API request whose body has been read.
type apiHandler func(w http.ResponseWriter, r *http.Request, body []byte)

// api authenticates every request as PlacetoPay does before calling h, which serves the
// operation op, with the fault set for op if any (api_faults.go). Every call first takes
// the configured latency and meets the conditions (conditions.go).
func (sb *Sandbox) api(f flavour, op string, h apiHandler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 1<<20))
		if err != nil {
			sb.fail(w, http.StatusRequestEntityTooLarge, "request_not_valid", "The request body is too large")
			return
		}
		if !sb.delay(w, r) {
			return
		}
		login, code := sb.authenticate(r, body)
		if code != 0 {
			sb.authFailure(w, f, code)
			return
		}
		sb.withFault(op, w, r.WithContext(context.WithValue(r.Context(), loginKey{}, login)), body, h)
	}
}

// loginKey carries the authenticated login in a request's context, for the handlers.
type loginKey struct{}

// loginOf returns the login a request authenticated with.
func loginOf(r *http.Request) string {
	login, _ := r.Context().Value(loginKey{}).(string)
	return login
}

// authenticate returns the login of a valid auth object, or the failure code. It checks, in the
// order of docs/placetopay.md#authentication-errors: shape, login, seed age, then the tranKey, which may be SHA-256 or
// legacy SHA-1, told apart by the digest's length.
func (sb *Sandbox) authenticate(r *http.Request, body []byte) (string, int) {
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
		return "", authMalformed
	}
	var req struct {
		Auth *pp.Auth `json:"auth"`
	}
	if err := json.Unmarshal(body, &req); err != nil || req.Auth == nil {
		return "", authMalformed
	}
	a := req.Auth
	if a.Login == "" || a.TranKey == "" || a.Nonce == "" || a.Seed == "" {
		return "", authMalformed
	}
	site, ok := sb.siteOfLogin(a.Login)
	if !ok {
		return "", authUnknownLogin
	}
	seed, err := time.Parse(time.RFC3339, a.Seed)
	if err != nil {
		return "", authMalformed
	}
	if skew := sb.clock.Base().Sub(seed); skew > maxSeedSkew || skew < -maxSeedSkew {
		return "", authSeedSkew
	}
	sent, err := base64.StdEncoding.DecodeString(a.TranKey)
	if err != nil {
		return "", authBadTranKey
	}
	alg := pp.SHA256
	switch len(sent) {
	case 32:
	case 20:
		alg = pp.SHA1
	default:
		return "", authBadTranKey
	}
	nonce, err := base64.StdEncoding.DecodeString(a.Nonce)
	if err != nil {
		return "", authBadTranKey
	}
	want, err := pp.TranKey(alg, nonce, a.Seed, site.SecretKey)
	if err != nil {
		return "", authBadTranKey
	}
	wantRaw, _ := base64.StdEncoding.DecodeString(want)
	if subtle.ConstantTimeCompare(sent, wantRaw) != 1 {
		return "", authBadTranKey
	}
	return site.Login, 0
}

// siteOfLogin finds the site of login, comparing every login in constant time.
func (sb *Sandbox) siteOfLogin(login string) (Site, bool) {
	var found Site
	ok := false
	for _, s := range append([]Site{{Login: sb.cfg.Login, SecretKey: sb.cfg.SecretKey, NotifyURL: sb.cfg.NotifyURL}}, sb.cfg.Sites...) {
		if subtle.ConstantTimeCompare([]byte(login), []byte(s.Login)) == 1 {
			found, ok = s, true
		}
	}
	return found, ok
}

// authFailure answers a failed authentication. Checkout says 401 with reason 401 and the
// code in the message; autopay says 400 for missing fields (docs/placetopay.md#authentication-errors) and otherwise 401 with
// the code as reason, as its status schema lists.
func (sb *Sandbox) authFailure(w http.ResponseWriter, f flavour, code int) {
	msg := fmt.Sprintf("Authentication failed %d", code)
	switch {
	case f == checkout:
		sb.fail(w, http.StatusUnauthorized, 401, msg)
	case code == authMalformed:
		sb.fail(w, http.StatusBadRequest, "400", "authentication does not include all required parameters (login, tranKey, seed, nonce)")
	default:
		sb.fail(w, http.StatusUnauthorized, code, msg)
	}
}
