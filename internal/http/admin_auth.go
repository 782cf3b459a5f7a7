package http

import (
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/placetopay-gateway/gateway/internal/operators"
	"github.com/placetopay-gateway/gateway/internal/orders"
)

// sessionCookie holds the console session token; csrfHeader echoes the session's CSRF token
// on every unsafe request made with the cookie; csrfCookie keeps that token for the
// console's pages (startSession).
const (
	sessionCookie = "gateway_console"
	csrfHeader    = "X-CSRF-Token"
	csrfCookie    = "gateway_console_csrf"
	principalKey  = "operator"
)

// requireOperator admits an operator API token (Authorization: Bearer op_…) or a console
// session cookie; with the cookie, an unsafe method also needs the session's CSRF token in
// X-CSRF-Token (a cross-site form can send the cookie, never the header). Idempotency keys
// are scoped to the operator.
func (s *Server) requireOperator(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		ctx := c.Request().Context()
		var (
			p   operators.Principal
			err error
		)
		if scheme, token, ok := strings.Cut(c.Request().Header.Get(echo.HeaderAuthorization), " "); ok && strings.EqualFold(scheme, "Bearer") {
			p, err = s.console.Operators.TokenPrincipal(ctx, strings.TrimSpace(token))
		} else if ck, cerr := c.Cookie(sessionCookie); cerr == nil {
			p, err = s.console.Operators.SessionOf(ctx, ck.Value)
			if err == nil && unsafeMethod(c.Request().Method) && !p.CheckCSRF(c.Request().Header.Get(csrfHeader)) {
				return &orders.Error{Code: orders.EForbidden, Field: csrfHeader, Message: "the session's CSRF token is missing or wrong"}
			}
		} else {
			err = orders.Errorf(orders.EUnauthorized, "an operator token (Authorization: Bearer op_…) or a console session is required")
		}
		if err != nil {
			return err
		}
		c.Set(principalKey, p)
		c.Set(ownerKey, "operator:"+p.ID.String())
		return next(c)
	}
}

func unsafeMethod(m string) bool {
	return m != http.MethodGet && m != http.MethodHead && m != http.MethodOptions
}

func principal(c echo.Context) operators.Principal {
	p, _ := c.Get(principalKey).(operators.Principal)
	return p
}

// requireRole refuses (403) an operator whose role may not take action.
func (s *Server) requireRole(action string) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			if p := principal(c); !operators.Allowed(p.Role, action) {
				return orders.Errorf(orders.EForbidden, "a %s may not %s", p.Role, action)
			}
			return next(c)
		}
	}
}

type signInBody struct {
	Email    string `json:"email"`
	Password string `json:"password"`
	Code     string `json:"code"`
}

type operatorJSON struct {
	ID    string `json:"id"`
	Email string `json:"email"`
	Role  string `json:"role"`
	TOTP  bool   `json:"totp"`
}

func toOperatorJSON(o operators.Operator) operatorJSON {
	return operatorJSON{ID: o.ID.String(), Email: o.Email, Role: string(o.Role), TOTP: o.TOTP}
}

// handleSignIn is POST /admin/api/session: the session cookie, and the CSRF token the page
// sends back in X-CSRF-Token.
func (s *Server) handleSignIn(c echo.Context) error {
	var body signInBody
	if err := decodeJSON(c, &body); err != nil {
		return err
	}
	sess, err := s.console.Operators.SignIn(c.Request().Context(), operators.SignInParams{Email: body.Email, Password: body.Password,
		Code: body.Code, IP: c.RealIP(), UserAgent: c.Request().UserAgent()})
	if err != nil {
		return err
	}
	s.startSession(c, sess)
	return writeJSON(c, echo.MIMEApplicationJSON, http.StatusCreated, struct {
		Operator  operatorJSON `json:"operator"`
		CSRFToken string       `json:"csrfToken"`
		ExpiresAt time.Time    `json:"expiresAt"`
	}{toOperatorJSON(sess.Operator), sess.CSRFToken, sess.ExpiresAt})
}

// handleSignOut is DELETE /admin/api/session.
func (s *Server) handleSignOut(c echo.Context) error {
	if err := s.endSession(c); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

// startSession gives the browser the session: its token in the session cookie, and its
// CSRF token in csrfCookie, from which the console's pages write it into their forms (a
// script of the page may read neither: both are HttpOnly, and SameSite=Strict keeps other
// sites' requests from carrying them).
func (s *Server) startSession(c echo.Context, sess operators.Session) {
	for name, value := range map[string]string{sessionCookie: sess.Token, csrfCookie: sess.CSRFToken} {
		c.SetCookie(&http.Cookie{ //nolint:gosec // Secure is off only in development over plain http
			Name: name, Value: value, Path: "/", Expires: sess.ExpiresAt,
			HttpOnly: true, Secure: !s.console.InsecureCookie, SameSite: http.SameSiteStrictMode})
	}
}

// endSession ends the browser's session, if it has one, and clears its cookies.
func (s *Server) endSession(c echo.Context) error {
	if ck, err := c.Cookie(sessionCookie); err == nil {
		if err := s.console.Operators.SignOut(c.Request().Context(), ck.Value); err != nil {
			return err
		}
	}
	for _, name := range []string{sessionCookie, csrfCookie} {
		c.SetCookie(&http.Cookie{ //nolint:gosec // Secure is off only in development over plain http
			Name: name, Value: "", Path: "/", MaxAge: -1,
			HttpOnly: true, Secure: !s.console.InsecureCookie, SameSite: http.SameSiteStrictMode})
	}
	return nil
}
