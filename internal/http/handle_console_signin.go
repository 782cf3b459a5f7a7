package http

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/placetopay-gateway/gateway/internal/operators"
	"github.com/placetopay-gateway/gateway/internal/orders"
)

type signInData struct {
	Next, Email string
}

// handleConsoleSignInForm is GET /console/signin.
func (s *Server) handleConsoleSignInForm(c echo.Context) error {
	p := s.newPage(c, "Sign in", signInData{Next: safeNext(c.QueryParam("next"))})
	p.CSRF = s.formToken(c)
	if c.QueryParam("enrolled") == "1" && p.Flash == "" {
		p.Flash = p.L.T("Your password is set. Sign in with it.")
	}
	return s.render(c, http.StatusOK, "signin", p)
}

// handleConsoleSignIn is POST /console/signin: the same sign-in as the API's (lockout,
// second factor, the same session), then 303 to the page asked for, if it is a console
// page. A refusal shows the form again with the reason.
func (s *Server) handleConsoleSignIn(c echo.Context) error {
	if err := checkFormToken(c); err != nil {
		return err
	}
	next := safeNext(c.FormValue("next"))
	sess, err := s.console.Operators.SignIn(c.Request().Context(), operators.SignInParams{Email: c.FormValue("email"),
		Password: c.FormValue("password"), Code: c.FormValue("code"), IP: c.RealIP(), UserAgent: c.Request().UserAgent()})
	if e, ok := domainError(err); ok && e.Code == orders.EUnauthorized {
		p := s.newPage(c, "Sign in", signInData{Next: next, Email: c.FormValue("email")})
		p.CSRF = s.formToken(c)
		p.Error = p.L.T("Not signed in: %s.", e.Message)
		return s.render(c, http.StatusUnauthorized, "signin", p)
	} else if err != nil {
		return err
	}
	s.startSession(c, sess)
	return c.Redirect(http.StatusSeeOther, next)
}

// handleConsoleSignOut is POST /console/signout.
func (s *Server) handleConsoleSignOut(c echo.Context) error {
	if err := s.endSession(c); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/console/signin")
}
