package http

import (
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/placetopay-gateway/gateway/internal/endpoints"
	"github.com/placetopay-gateway/gateway/internal/operators"
)

// endpointRow is a webhook endpoint as the endpoints page lists it: never a secret.
type endpointRow struct {
	ID, URL, Events        string // Events is "" for every type
	Default, Enabled, Auto bool   // Auto: disabled by the gateway after failing too long
	DisabledAt, Reason     string
	FailingSince           string // "" while it does not fail
	Pending                int64
	Secrets                int
}

// endpointsData is the endpoints page's: the list, and the secret on the answer to a
// creation or a rotation.
type endpointsData struct {
	Endpoints []endpointRow
	Secret    *endpoints.Created
	Rotated   bool // the secret is a rotation's, not a new endpoint's
}

// handleConsoleEndpoints is GET /console/endpoints: the default endpoint, then every
// stored one, for any operator.
func (s *Server) handleConsoleEndpoints(c echo.Context) error {
	return s.renderEndpoints(c, http.StatusOK, nil, false)
}

// renderEndpoints renders the endpoints page with status; secret, when set, is shown this once.
func (s *Server) renderEndpoints(c echo.Context, status int, secret *endpoints.Created, rotated bool) error {
	p := s.newPage(c, "Webhook endpoints", nil)
	list, err := s.console.Endpoints.List(c.Request().Context())
	if err != nil {
		return err
	}
	d := endpointsData{Secret: secret, Rotated: rotated}
	for _, e := range list {
		r := endpointRow{ID: e.ID, URL: e.URL, Events: strings.Join(e.EventTypes, ", "), Default: e.Default, Enabled: e.Enabled(),
			Auto: e.DisabledAuto, Reason: e.DisabledReason, Pending: e.Pending, Secrets: e.Secrets}
		if e.DisabledAt != nil {
			r.DisabledAt = p.L.Date(*e.DisabledAt)
		}
		if e.FailingSince != nil {
			r.FailingSince = p.L.Date(*e.FailingSince)
		}
		d.Endpoints = append(d.Endpoints, r)
	}
	p.Data = d
	return s.render(c, status, "endpoints", p)
}

// handleConsoleCreateEndpoint is POST /console/endpoints. Like a key's creation, its answer
// is the page itself with the secret on it, this once (no-store, like every console page).
func (s *Server) handleConsoleCreateEndpoint(c echo.Context) error {
	var events []string
	if v := strings.TrimSpace(c.FormValue("events")); v != "" {
		events = strings.Split(v, ",")
	}
	e, err := s.createEndpoint(c, c.FormValue("url"), events)
	if err != nil {
		return s.actionRefused(c, "/console/endpoints", err)
	}
	return s.renderEndpoints(c, http.StatusCreated, &e, false)
}

// handleConsoleEndpointState is POST /console/endpoints/{id}/disable and /enable.
func (s *Server) handleConsoleEndpointState(enable bool) echo.HandlerFunc {
	return func(c echo.Context) error {
		var since time.Time
		if enable {
			var err error
			if since, err = formSince(c, "replaySince"); err != nil {
				return s.actionRefused(c, "/console/endpoints", err)
			}
		}
		e, n, err := s.setEndpointState(c, c.Param("id"), enable, c.FormValue("reason"), since)
		if err != nil {
			return s.actionRefused(c, "/console/endpoints", err)
		}
		l := consoleLocale(c)
		msg := l.T("Webhook endpoint %s disabled: its events wait until it is enabled.", e.URL)
		switch {
		case enable && !since.IsZero():
			msg = l.T("Webhook endpoint %s enabled: what waited is delivered, oldest first, and %d events since %s are due again.",
				e.URL, n, since.Format("2006-01-02 15:04"))
		case enable:
			msg = l.T("Webhook endpoint %s enabled: what waited is delivered, oldest first.", e.URL)
		}
		return s.redirectWithFlash(c, "/console/endpoints", msg, false)
	}
}

// handleConsoleRotateEndpoint is POST /console/endpoints/{id}/rotate: the new secret, once.
func (s *Server) handleConsoleRotateEndpoint(c echo.Context) error {
	e, err := s.rotateEndpoint(c, c.Param("id"), strings.TrimSpace(c.FormValue("overlap")))
	if err != nil {
		return s.actionRefused(c, "/console/endpoints", err)
	}
	return s.renderEndpoints(c, http.StatusOK, &e, true)
}

// handleConsoleReplayEndpoint is POST /console/endpoints/{id}/replay, since a form's time (UTC).
func (s *Server) handleConsoleReplayEndpoint(c echo.Context) error {
	since, err := formSince(c, "since")
	if err != nil {
		return s.actionRefused(c, "/console/endpoints", err)
	}
	n, err := s.replayEndpoint(c, c.Param("id"), since)
	if err != nil {
		return s.actionRefused(c, "/console/endpoints", err)
	}
	return s.redirectWithFlash(c, "/console/endpoints", consoleLocale(c).T("%d events are due for delivery again.", n), false)
}

// consoleEndpointsRoutes are the endpoints page and its forms, behind the API's role
// check. Creating and rotating keep no answer (it holds the secret): the same form sent
// again is sent back to the list instead of making another secret.
func (s *Server) consoleEndpointsRoutes() {
	e, page, signedIn, manage := s.echo, s.consolePageMiddleware, s.consoleSession, s.requireRole(operators.ActionManageEndpoints)
	e.GET("/console/endpoints", s.handleConsoleEndpoints, page, signedIn)
	once := s.idempotentShowingOnce("/console/endpoints")
	e.POST("/console/endpoints", s.handleConsoleCreateEndpoint, page, signedIn, manage, once)
	e.POST("/console/endpoints/:id/disable", s.handleConsoleEndpointState(false), page, signedIn, manage, s.idempotent)
	e.POST("/console/endpoints/:id/enable", s.handleConsoleEndpointState(true), page, signedIn, manage, s.idempotent)
	e.POST("/console/endpoints/:id/rotate", s.handleConsoleRotateEndpoint, page, signedIn, manage, once)
	e.POST("/console/endpoints/:id/replay", s.handleConsoleReplayEndpoint, page, signedIn, manage, s.idempotent)
}
