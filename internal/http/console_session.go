package http

import (
	"bytes"
	"crypto/subtle"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/labstack/echo/v4"
	"go.uber.org/zap"

	"github.com/placetopay-gateway/gateway/internal/locale"
	"github.com/placetopay-gateway/gateway/internal/orders"
)

const (
	csrfKey    = "csrf"                 // the page's CSRF token, in the echo context
	csrfField  = "csrf"                 // the forms' hidden field
	langCookie = "console_lang"         // ?lang=es|en, kept
	formCookie = "gateway_console_form" // the sign-in and enrollment forms' CSRF token, before a session exists
)

// consoleSession admits the operator of the console session cookie (the API's: the same
// session, the same CSRF token). Signed out, a page answers 303 to the sign-in page, which
// brings them back. A POST must carry the session's CSRF token in its csrf field, compared
// in constant time, or it is 403 and changes nothing; its idempotencyKey field becomes the
// request's Idempotency-Key (scoped to the operator, as in the API).
func (s *Server) consoleSession(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		ctx := c.Request().Context()
		ck, err := c.Cookie(sessionCookie)
		if err != nil {
			return toSignIn(c)
		}
		p, err := s.console.Operators.SessionOf(ctx, ck.Value)
		if orders.ErrorCode(err) == orders.EUnauthorized {
			return toSignIn(c)
		} else if err != nil {
			return err
		}
		csrf, err := c.Cookie(csrfCookie)
		if err != nil || !p.CheckCSRF(csrf.Value) {
			return toSignIn(c) // a session from the API alone: sign in on the page
		}
		if c.Request().Method == http.MethodPost {
			form, err := peekForm(c)
			if err != nil {
				return err
			}
			if !p.CheckCSRF(form.Get(csrfField)) {
				return &orders.Error{Code: orders.EForbidden, Field: csrfField, Message: "the form's CSRF token is missing or wrong"}
			}
			c.Request().Header.Del("Idempotency-Key")
			if k := form.Get("idempotencyKey"); k != "" {
				c.Request().Header.Set("Idempotency-Key", k)
			}
		}
		c.Set(principalKey, p)
		c.Set(ownerKey, "operator:"+p.ID.String())
		c.Set(csrfKey, csrf.Value)
		return next(c)
	}
}

// toSignIn sends a signed-out browser to the sign-in page; a GET comes back to its path
// (the path only: a query may hold what was searched for).
func toSignIn(c echo.Context) error {
	target := "/console/signin"
	if c.Request().Method == http.MethodGet && c.Request().URL.Path != "/console" {
		target += "?next=" + url.QueryEscape(c.Request().URL.Path)
	}
	return c.Redirect(http.StatusSeeOther, target)
}

// peekForm parses the urlencoded body and leaves it in place for what reads it next (the
// idempotency middleware hashes it; the handler reads its fields).
func peekForm(c echo.Context) (url.Values, error) {
	body, err := io.ReadAll(http.MaxBytesReader(c.Response(), c.Request().Body, maxBody))
	if err != nil {
		return nil, bodyError(err)
	}
	c.Request().Body = io.NopCloser(bytes.NewReader(body))
	form, err := url.ParseQuery(string(body))
	if err != nil {
		return nil, &badRequest{field: "body", detail: "the form is not urlencoded"}
	}
	return form, nil
}

// safeNext is where the sign-in page sends the operator: next when it is a console path,
// else the home page. Anything that could leave the console (another host, a scheme, "//",
// a backslash) is refused.
func safeNext(next string) string {
	u, err := url.Parse(next)
	if next == "" || err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || strings.ContainsAny(next, "\\\r\n\t") ||
		strings.HasPrefix(next, "//") || (u.Path != "/console" && !strings.HasPrefix(u.Path, "/console/")) || strings.Contains(u.Path, "..") {
		return "/console"
	}
	return u.Path
}

// formToken returns the sign-in and enrollment forms' CSRF token, setting its cookie when the
// browser has none (they are posted before any session exists).
func (s *Server) formToken(c echo.Context) string {
	if ck, err := c.Cookie(formCookie); err == nil && len(ck.Value) >= 32 {
		return ck.Value
	}
	v := randomToken()
	c.SetCookie(&http.Cookie{ //nolint:gosec // Secure is off only in development over plain http
		Name: formCookie, Value: v, Path: "/console", HttpOnly: true, Secure: !s.console.InsecureCookie, SameSite: http.SameSiteStrictMode})
	return v
}

// checkFormToken refuses (403) a sign-in or enrollment POST whose csrf field is not the
// browser's form token.
func checkFormToken(c echo.Context) error {
	ck, err := c.Cookie(formCookie)
	if err != nil || len(ck.Value) < 32 || subtle.ConstantTimeCompare([]byte(ck.Value), []byte(c.FormValue(csrfField))) != 1 {
		return &orders.Error{Code: orders.EForbidden, Field: csrfField, Message: "the form's CSRF token is missing or wrong; reload the page"}
	}
	return nil
}

// consoleLocale is the operator's language: ?lang=es|en (kept in a cookie), else the
// cookie, else Accept-Language. The browser's region still picks the time zone.
func consoleLocale(c echo.Context) locale.Locale {
	header := c.Request().Header.Get("Accept-Language")
	l := locale.FromAcceptLanguage(header, consoleTexts)
	want := c.QueryParam("lang")
	if want == "es" || want == "en" {
		c.SetCookie(&http.Cookie{ //nolint:gosec // a language choice, not a secret; Secure follows the connection
			Name: langCookie, Value: want, Path: "/console", MaxAge: 365 * 24 * 3600,
			HttpOnly: true, Secure: c.IsTLS(), SameSite: http.SameSiteLaxMode})
	} else if ck, err := c.Cookie(langCookie); err == nil && (ck.Value == "es" || ck.Value == "en") {
		want = ck.Value
	}
	if want != "" && want != l.Lang() {
		return locale.FromAcceptLanguage(want, consoleTexts)
	}
	return l
}

// pageError is the status and the operator's sentence for an error a page could not get
// past; only internal errors are logged, and their text is never shown.
func (s *Server) pageError(c echo.Context, err error) (int, string) {
	l := consoleLocale(c)
	var (
		domErr *orders.Error
		bad    *badRequest
		he     *echo.HTTPError
	)
	switch {
	case errors.As(err, &domErr):
		return statusOf[domErr.Code], actionMessage(l, domErr)
	case errors.As(err, &bad):
		return http.StatusBadRequest, l.T("The request was not understood: %s", bad.detail)
	case errors.As(err, &he) && he.Code < 500:
		return he.Code, http.StatusText(he.Code)
	}
	s.log.Error("console page failed", zap.String("method", c.Request().Method), zap.String("route", c.Path()), zap.Error(err))
	return http.StatusInternalServerError, l.T("Something went wrong on our side; try again.")
}
