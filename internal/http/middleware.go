package http

import (
	"crypto/sha256"
	"crypto/subtle"
	"fmt"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"
	"go.uber.org/zap"

	"github.com/placetopay-gateway/gateway/internal/apikeys"
	"github.com/placetopay-gateway/gateway/internal/operators"
	"github.com/placetopay-gateway/gateway/internal/orders"
)

// ownerKey is where requireAPIKey leaves the caller's owner (which scopes idempotency keys)
// for later middleware; callerKey is where it leaves the whole caller.
const (
	ownerKey  = "gateway.owner"
	callerKey = "gateway.caller"
)

// caller is who a merchant API request acts as: a key's owner (a fingerprint of a
// GATEWAY_API_KEYS key, or a stored key's id), its scope, and how the audit log names it.
// Nothing in it reveals the key.
type caller struct {
	owner string
	scope apikeys.Scope
	actor operators.Actor
}

// requireAPIKey admits requests bearing an API key whose scope allows the route: 401 for
// no key, an unknown or a revoked one; 403 for a key whose scope does not reach the route.
func (s *Server) requireAPIKey(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		who, err := s.authenticate(c.Request())
		if err != nil {
			return err
		}
		if access := routeAccess(c.Request().Method, c.Path()); !who.scope.Allows(access) {
			return orders.Errorf(orders.EForbidden, "a %s key may not %s %s", who.scope, c.Request().Method, c.Path())
		}
		c.Set(ownerKey, who.owner)
		c.Set(callerKey, who)
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

// authenticate finds the caller of the bearer token: one of GATEWAY_API_KEYS (compared in
// constant time with every one, full scope), else a key stored in the database.
func (s *Server) authenticate(r *http.Request) (caller, error) {
	scheme, token, ok := strings.Cut(r.Header.Get(echo.HeaderAuthorization), " ")
	token = strings.TrimSpace(token)
	if !ok || !strings.EqualFold(scheme, "Bearer") || token == "" {
		return caller{}, errNoAPIKey
	}
	got := sha256.Sum256([]byte(token))
	owner := ""
	for _, k := range s.apiKeys {
		if subtle.ConstantTimeCompare(got[:], k.digest[:]) == 1 {
			owner = k.owner
		}
	}
	if owner != "" {
		return caller{owner: owner, scope: apikeys.Full,
			actor: operators.Actor{Kind: operators.ActorAPIKey, ID: owner, Name: "api key " + owner}}, nil
	}
	if s.keys == nil {
		return caller{}, errNoAPIKey
	}
	k, err := s.keys.Authenticate(r.Context(), token)
	if err != nil {
		return caller{}, err
	}
	return caller{owner: "key:" + k.ID.String(), scope: k.Scope,
		actor: operators.Actor{Kind: operators.ActorAPIKey, ID: k.Prefix, Name: k.Name}}, nil
}

var errNoAPIKey = orders.Errorf(orders.EUnauthorized, "a valid API key is required: Authorization: Bearer <key>")

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
