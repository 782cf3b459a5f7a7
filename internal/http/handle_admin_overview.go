package http

import (
	"net/http"
	"time"

	"github.com/labstack/echo/v4"
)

type overviewJSON struct {
	Attention           map[string]int `json:"attention"`
	Today               time.Time      `json:"today"`
	ApprovedToday       int            `json:"approvedToday"`
	DecidedToday        int            `json:"decidedToday"`
	ApprovalRate        *int           `json:"approvalRate"`
	Since               time.Time      `json:"since"`
	MissedNotifications int            `json:"missedNotifications"`
	Notifications       int            `json:"notifications"`
	SHA1Notifications   int            `json:"sha1Notifications"`
	SHA1Share           *int           `json:"sha1Share"`
	ApprovalsPerHour    []hourJSON     `json:"approvalsPerHour"`
}

type hourJSON struct {
	Hour  time.Time `json:"hour"`
	Count int       `json:"count"`
}

// handleAdminOverview is GET /admin/api/overview: the console home page's figures.
func (s *Server) handleAdminOverview(c echo.Context) error {
	ov, err := s.console.Operators.OverviewOf(c.Request().Context(), startOfDay(time.Now()))
	if err != nil {
		return err
	}
	out := overviewJSON{Attention: ov.Attention, Today: ov.Today, ApprovedToday: ov.ApprovedToday, DecidedToday: ov.DecidedToday,
		Since: ov.Since, MissedNotifications: ov.MissedNotifications, Notifications: ov.Notifications,
		SHA1Notifications: ov.SHA1Notifications, ApprovalsPerHour: []hourJSON{}}
	if n, ok := ov.ApprovalRate(); ok {
		out.ApprovalRate = &n
	}
	if n, ok := ov.SHA1Share(); ok {
		out.SHA1Share = &n
	}
	for _, h := range ov.ApprovalsPerHour {
		out.ApprovalsPerHour = append(out.ApprovalsPerHour, hourJSON(h))
	}
	return writeJSON(c, echo.MIMEApplicationJSON, http.StatusOK, out)
}
