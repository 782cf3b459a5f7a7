package sandbox

import (
	"crypto/rand"
	"encoding/base64"
	"net/http"
)

// apiPolicy is the Content-Security-Policy of every answer but the hosted page: a JSON body
// opened in a browser may load nothing and be framed by no one.
const apiPolicy = "default-src 'none'; frame-ancestors 'none'"

// withSecurityHeaders gives every answer no MIME sniffing, no referrer and apiPolicy; the
// hosted page replaces the policy and the referrer policy with its own (pagePolicy).
func withSecurityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Content-Security-Policy", apiPolicy)
		next.ServeHTTP(w, r)
	})
}

// setPagePolicy gives the hosted page its headers and returns the nonce its inline <style>
// must carry: nothing else loads, nothing frames it (the real page also refuses frames).
// form-action is left out: the page's forms post to itself, and the answer redirects to the
// merchant's returnUrl, wherever that is, which browsers check against form-action too.
// Other sites get the origin only: the page's path holds the session's key.
func setPagePolicy(w http.ResponseWriter) string {
	var b [18]byte
	_, _ = rand.Read(b[:])
	nonce := base64.RawURLEncoding.EncodeToString(b[:]) // no "+": the template would escape it
	h := w.Header()
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'nonce-"+nonce+"'; frame-ancestors 'none'; base-uri 'none'")
	h.Set("Referrer-Policy", "strict-origin-when-cross-origin")
	return nonce
}
