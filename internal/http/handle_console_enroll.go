package http

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/placetopay-gateway/gateway/internal/operators"
	"github.com/placetopay-gateway/gateway/internal/orders"
)

type enrollData struct {
	Token, Email       string
	Secret, URI, Draft string // the TOTP step
}

// handleConsoleEnrollForm is GET /console/enroll?token=…: the enrollment link's page.
func (s *Server) handleConsoleEnrollForm(c echo.Context) error {
	token := c.QueryParam("token")
	email, err := s.console.Operators.EnrollingEmail(c.Request().Context(), token)
	if err != nil {
		return err
	}
	p := s.newPage(c, "Set your password", enrollData{Token: token, Email: email})
	p.CSRF = s.formToken(c)
	return s.render(c, http.StatusOK, "enroll", p)
}

// handleConsoleEnroll is POST /console/enroll: the password (twice), and whether to add a
// TOTP second factor. Without one the operator is enrolled and sent to sign in; with one,
// the next page shows the secret and asks for a code (handleConsoleEnrollTOTP).
func (s *Server) handleConsoleEnroll(c echo.Context) error {
	if err := checkFormToken(c); err != nil {
		return err
	}
	ctx := c.Request().Context()
	token, password := c.FormValue("token"), c.FormValue("password")
	email, err := s.console.Operators.EnrollingEmail(ctx, token)
	if err != nil {
		return err
	}
	d := enrollData{Token: token, Email: email}
	if password != c.FormValue("confirm") {
		return s.enrollAgain(c, d, &orders.Error{Code: orders.EInvalid, Field: "confirm", Message: "is not the same password"})
	}
	if c.FormValue("totp") == "" {
		if _, err := s.console.Operators.Enroll(ctx, operators.EnrollParams{Token: token, Password: password}); err != nil {
			return s.enrollAgain(c, d, err)
		}
		return c.Redirect(http.StatusSeeOther, "/console/signin?enrolled=1")
	}
	d.Draft, d.Secret, d.URI, err = s.console.Operators.SealEnrollDraft(token, email, password)
	if err != nil {
		return s.enrollAgain(c, d, err)
	}
	p := s.newPage(c, "Add your authenticator", d)
	p.CSRF = s.formToken(c)
	return s.render(c, http.StatusOK, "enroll_totp", p)
}

// handleConsoleEnrollTOTP is POST /console/enroll/totp: the code proves the authenticator
// has the secret; the operator is then enrolled with the password chosen before.
func (s *Server) handleConsoleEnrollTOTP(c echo.Context) error {
	if err := checkFormToken(c); err != nil {
		return err
	}
	token := c.FormValue("token")
	_, err := s.console.Operators.EnrollDraft(c.Request().Context(), token, c.FormValue("draft"), c.FormValue("code"))
	if e, ok := domainError(err); ok && e.Field == "code" {
		p := s.newPage(c, "Add your authenticator", enrollData{Token: token, Draft: c.FormValue("draft")})
		p.CSRF = s.formToken(c)
		p.Error = actionMessage(p.L, e)
		return s.render(c, http.StatusUnprocessableEntity, "enroll_totp", p)
	} else if err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/console/signin?enrolled=1")
}

// enrollAgain shows the enrollment form again with why it did nothing (a refused invalid
// value); other errors are the page's.
func (s *Server) enrollAgain(c echo.Context, d enrollData, err error) error {
	e, ok := domainError(err)
	if !ok || e.Code != orders.EInvalid {
		return err
	}
	p := s.newPage(c, "Set your password", enrollData{Token: d.Token, Email: d.Email})
	p.CSRF = s.formToken(c)
	p.Error = actionMessage(p.L, e)
	return s.render(c, http.StatusUnprocessableEntity, "enroll", p)
}
