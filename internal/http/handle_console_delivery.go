package http

import (
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/placetopay-gateway/gateway/internal/operators"
	"github.com/placetopay-gateway/gateway/internal/orders"
)

// deliveryView is merchant event delivery as the home page shows it.
type deliveryView struct {
	Paused              bool
	PausedAt, PausedBy  string
	Reason              string
	Undelivered         int64
	OldestUndeliveredAt string
	// SinceDefault fills the redeliver form: a day ago, as the form's field writes times.
	SinceDefault string
}

func (s *Server) deliveryViewOf(c echo.Context, p *consolePage) (deliveryView, error) {
	st, err := s.console.Operators.DeliveryState(c.Request().Context())
	if err != nil {
		return deliveryView{}, err
	}
	v := deliveryView{Paused: st.Paused, PausedBy: st.PausedBy, Reason: st.Reason, Undelivered: st.Undelivered,
		SinceDefault: time.Now().UTC().Add(-24 * time.Hour).Format(formMinute)}
	if st.PausedAt != nil {
		v.PausedAt = p.L.Date(*st.PausedAt)
	}
	if st.OldestAt != nil {
		v.OldestUndeliveredAt = p.L.Date(*st.OldestAt)
	}
	return v, nil
}

// formMinute is how a datetime-local field sends a time; the console reads it as UTC.
const formMinute = "2006-01-02T15:04"

// formTime is a time from a form: RFC 3339, or a datetime-local field's minute in UTC. It
// answers the RFC 3339 text the API takes, or the text as given (the API then names it).
func formTime(v string) string {
	v = strings.TrimSpace(v)
	if t, err := time.ParseInLocation(formMinute, v, time.UTC); err == nil {
		return t.Format(time.RFC3339)
	}
	return v
}

// formSince reads the form's optional time (UTC) named field: zero when empty, an EInvalid
// naming the field when it is not a date and time.
func formSince(c echo.Context, field string) (time.Time, error) {
	v := formTime(c.FormValue(field))
	if v == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		return time.Time{}, &orders.Error{Code: orders.EInvalid, Field: field, Message: "must be a date and time (UTC)"}
	}
	return t, nil
}

// handleConsoleDelivery is POST /console/delivery/pause and /resume (action says which),
// back to the home page.
func (s *Server) handleConsoleDelivery(action string) echo.HandlerFunc {
	return func(c echo.Context) error {
		if _, err := s.changeDelivery(c, action, c.FormValue("reason")); err != nil {
			return s.actionRefused(c, "/console", err)
		}
		return s.redirectWithFlash(c, "/console", consoleLocale(c).T(actionDone[action]), false)
	}
}

// handleConsoleRedeliverSince is POST /console/events/redeliver, back to the home page.
func (s *Server) handleConsoleRedeliverSince(c echo.Context) error {
	body := redeliverSinceBody{Since: formTime(c.FormValue("since")), Reason: c.FormValue("reason")}
	if v := strings.TrimSpace(c.FormValue("until")); v != "" {
		body.Until = formTime(v)
	}
	for _, t := range strings.Split(c.FormValue("types"), ",") {
		if t = strings.TrimSpace(t); t != "" {
			body.Types = append(body.Types, t)
		}
	}
	n, err := s.redeliverSince(c, body)
	if err != nil {
		return s.actionRefused(c, "/console", err)
	}
	l := consoleLocale(c)
	return s.redirectWithFlash(c, "/console", l.T("%d events are due for delivery again.", n), false)
}

// consoleDeliveryRoutes are the home page's delivery forms, behind the API's role checks.
func (s *Server) consoleDeliveryRoutes() {
	e := s.echo
	for _, a := range []string{operators.ActionPauseDelivery, operators.ActionResumeDelivery} {
		path := "/console/delivery/pause"
		if a == operators.ActionResumeDelivery {
			path = "/console/delivery/resume"
		}
		e.POST(path, s.handleConsoleDelivery(a), s.consolePageMiddleware, s.consoleSession, s.requireRole(a), s.idempotent)
	}
	e.POST("/console/events/redeliver", s.handleConsoleRedeliverSince, s.consolePageMiddleware, s.consoleSession,
		s.requireRole(operators.ActionRedeliverSince), s.idempotent)
}
