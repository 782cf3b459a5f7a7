package http

import (
	"crypto/sha256"
	"crypto/subtle"
	"fmt"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"
	"go.uber.org/zap"

	"github.com/placetopay-gateway/gateway/internal/orders"
)

// ownerKey is where requireAPIKey leaves the caller's key fingerprint for later middleware.
const ownerKey = "gateway.owner"

// requireAPIKey admits requests bearing one of the configured API keys.
func (s *Server) requireAPIKey(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		owner, ok := s.authenticate(c.Request())
		if !ok {
			return orders.Errorf(orders.EUnauthorized, "a valid API key is required: Authorization: Bearer <key>")
		}
		c.Set(ownerKey, owner)
		return next(c)
	}
}

// apiKeyOrClientSecret admits an API key, or lets the handler check X-Client-Secret after
// limit (anyone may send a client secret; only merchants hold an API key).
func (s *Server) apiKeyOrClientSecret(limit echo.MiddlewareFunc) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		withSecret, withKey := limit(next), s.requireAPIKey(next)
		return func(c echo.Context) error {
			if c.Request().Header.Get(echo.HeaderAuthorization) == "" && c.Request().Header.Get("X-Client-Secret") != "" {
				return withSecret(c)
			}
			return withKey(c)
		}
	}
}

// authenticate compares the bearer token with every configured key in constant time and
// returns the matching key's fingerprint.
func (s *Server) authenticate(r *http.Request) (string, bool) {
	scheme, token, ok := strings.Cut(r.Header.Get(echo.HeaderAuthorization), " ")
	token = strings.TrimSpace(token)
	if !ok || !strings.EqualFold(scheme, "Bearer") || token == "" {
		return "", false
	}
	got := sha256.Sum256([]byte(token))
	owner := ""
	for _, k := range s.apiKeys {
		if subtle.ConstantTimeCompare(got[:], k.digest[:]) == 1 {
			owner = k.owner
		}
	}
	return owner, owner != ""
}

// limitBody bounds every request body to maxBody bytes. Reading past the bound fails with
// *http.MaxBytesError, which bodyError answers with a 413, however the body is framed.
func (s *Server) limitBody(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		req := c.Request()
		if req.ContentLength > maxBody {
			return bodyError(&http.MaxBytesError{Limit: maxBody})
		}
		// The underlying writer lets net/http close the connection after an oversized body.
		req.Body = http.MaxBytesReader(c.Response().Writer, req.Body, maxBody)
		return next(c)
	}
}

// recoverPanics turns a panicking handler into a logged 500.
func (s *Server) recoverPanics(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) (err error) {
		defer func() {
			if r := recover(); r != nil {
				if r == http.ErrAbortHandler { //nolint:errorlint // a recovered panic value: net/http panics with this very one
					panic(r)
				}
				s.log.Error("handler panicked", zap.String("route", c.Path()), zap.Stack("stack"))
				err = fmt.Errorf("panic: %v", r)
			}
		}()
		return next(c)
	}
}

// noStore keeps order data out of browser and proxy caches.
func noStore(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		c.Response().Header().Set(echo.HeaderCacheControl, "no-store")
		return next(c)
	}
}
