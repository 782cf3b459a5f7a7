package http

import (
	"crypto/rand"
	"encoding/base64"
	"strings"

	"github.com/labstack/echo/v4"
)

// apiPolicy is the Content-Security-Policy of every answer that is not a page: a JSON body
// opened in a browser may load nothing and be framed by no one.
const apiPolicy = "default-src 'none'; frame-ancestors 'none'"

// hstsValue keeps browsers on https for a year once they have seen it over https. No
// includeSubDomains: the gateway does not speak for the other hosts of its domain.
const hstsValue = "max-age=31536000"

// securityHeaders gives every answer the headers browsers act on: no MIME sniffing, no
// referrer, apiPolicy, and with hsts Strict-Transport-Security. Pages replace the policy
// and the referrer policy with their own (setPagePolicy).
func securityHeaders(hsts bool) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			h := c.Response().Header()
			h.Set("X-Content-Type-Options", "nosniff")
			h.Set("Referrer-Policy", "no-referrer")
			h.Set("Content-Security-Policy", apiPolicy)
			if hsts {
				h.Set("Strict-Transport-Security", hstsValue)
			}
			return next(c)
		}
	}
}

// setPagePolicy gives an HTML page its Content-Security-Policy: nothing loads but what
// directives allow (default-src 'none'), and no page may be framed (frame-ancestors) or
// re-based (base-uri). Pages allow their inline <style> and <script> elements by a nonce
// (newNonce), never with 'unsafe-inline'.
//
// Pages with a form leave form-action out (default-src does not cover it): their forms post
// to the gateway, which answers with a redirect to PlacetoPay's payment page, and browsers
// check form-action against every hop of that redirect.
//
// Pages send other sites their origin, never their path (strict-origin-when-cross-origin):
// no order id or reference in a URL leaves the gateway, while form posts keep a meaningful
// Origin header (no-referrer would make it "null").
func setPagePolicy(c echo.Context, directives ...string) {
	policy := append([]string{"default-src 'none'"}, directives...)
	policy = append(policy, "frame-ancestors 'none'", "base-uri 'none'")
	h := c.Response().Header()
	h.Set("Content-Security-Policy", strings.Join(policy, "; "))
	h.Set("Referrer-Policy", "strict-origin-when-cross-origin")
}

// newNonce returns a fresh nonce for one page's inline elements, and the policy source that
// allows them ('nonce-…').
func newNonce() (nonce, source string) {
	var b [18]byte
	_, _ = rand.Read(b[:])
	nonce = base64.RawURLEncoding.EncodeToString(b[:]) // no "+": templates would escape it in the attribute
	return nonce, "'nonce-" + nonce + "'"
}
