package http

import (
	"encoding/base64"
	"errors"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/placetopay-gateway/gateway/internal/locale"
	"github.com/placetopay-gateway/gateway/internal/orders"
)

// flashCookie carries the one-time message of Post/Redirect/Get: what a form did, or why it
// did nothing, shown once by the page the POST redirects to. It never holds personal data,
// and nothing of it goes into a URL.
const flashCookie = "console_flash"

// redirectWithFlash answers a form's POST: 303 to target, with msg to show there (as an error
// when failed).
func (s *Server) redirectWithFlash(c echo.Context, target, msg string, failed bool) error {
	kind := "ok"
	if failed {
		kind = "error"
	}
	if len(msg) > 800 {
		msg = msg[:800]
	}
	c.SetCookie(&http.Cookie{ //nolint:gosec // Secure is off only in development over plain http
		Name: flashCookie, Value: base64.RawURLEncoding.EncodeToString([]byte(kind + "\n" + msg)), Path: "/console", MaxAge: 60,
		HttpOnly: true, Secure: !s.console.InsecureCookie, SameSite: http.SameSiteStrictMode})
	return c.Redirect(http.StatusSeeOther, target)
}

// takeFlash returns the one-time message, if any, and clears it.
func (s *Server) takeFlash(c echo.Context) (flash, failure string) {
	ck, err := c.Cookie(flashCookie)
	if err != nil {
		return "", ""
	}
	c.SetCookie(&http.Cookie{ //nolint:gosec // Secure is off only in development over plain http
		Name: flashCookie, Value: "", Path: "/console", MaxAge: -1, HttpOnly: true, Secure: !s.console.InsecureCookie, SameSite: http.SameSiteStrictMode})
	raw, err := base64.RawURLEncoding.DecodeString(ck.Value)
	if err != nil {
		return "", ""
	}
	kind, msg, _ := strings.Cut(string(raw), "\n")
	if kind == "error" {
		return "", msg
	}
	return msg, ""
}

// actionMessage is the operator's sentence for a refused request: what the domain said
// (in English, as the API says it), after a sentence in the page's language.
func actionMessage(l locale.Locale, e *orders.Error) string {
	detail := e.Message
	if e.Field != "" && e.Field != csrfField && e.Field != csrfHeader {
		detail = e.Field + " " + detail
	}
	switch e.Code {
	case orders.EForbidden:
		if e.Field == csrfField || e.Field == csrfHeader {
			return l.T("The form has expired: reload the page and try again.")
		}
		return l.T("Your role may not do this.")
	case orders.EUnauthorized:
		return l.T("Not allowed: %s.", detail)
	case orders.ENotFound:
		return l.T("Not found: %s.", detail)
	}
	return l.T("Nothing was done: %s.", detail)
}

// domainError is err's domain error, if it is one.
func domainError(err error) (*orders.Error, bool) {
	var e *orders.Error
	ok := errors.As(err, &e)
	return e, ok
}
