package http

import (
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/placetopay-gateway/gateway/internal/operators"
)

type homeData struct {
	Attention     []attentionLink
	Approved      int
	Rate          string
	Missed        int
	Notifications int
	SHA1Share     string
	Chart         barChart
	Delivery      deliveryView
}

type attentionLink struct {
	Filter, Label string
	Count         int
}

// attentionLabels names the saved searches on the home page.
var attentionLabels = map[string]string{
	operators.FilterReview:          "In review",
	operators.FilterUnknownActions:  "Actions with an unknown outcome",
	operators.FilterExpiredSessions: "Sessions pending past their expiry",
	operators.FilterUndelivered:     "Orders with undelivered events",
	operators.FilterProbeFound:      "Payments found without a notification",
}

// startOfDay is the start of today, UTC: the day the home page's "today" counts.
func startOfDay(now time.Time) time.Time {
	y, m, d := now.UTC().Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// handleConsoleHome is GET /console: what needs a person, and how today is going.
func (s *Server) handleConsoleHome(c echo.Context) error {
	ov, err := s.console.Operators.OverviewOf(c.Request().Context(), startOfDay(time.Now()))
	if err != nil {
		return err
	}
	p := s.newPage(c, "Home", nil)
	d := homeData{Approved: ov.ApprovedToday, Missed: ov.MissedNotifications, Notifications: ov.Notifications,
		Rate: percent(ov.ApprovalRate()), SHA1Share: percent(ov.SHA1Share()), Chart: approvalsChart(p.L, ov.ApprovalsPerHour)}
	for _, f := range operators.Filters {
		d.Attention = append(d.Attention, attentionLink{Filter: f, Label: p.L.T(attentionLabels[f]), Count: ov.Attention[f]})
	}
	if d.Delivery, err = s.deliveryViewOf(c, p); err != nil {
		return err
	}
	p.Data = d
	return s.render(c, http.StatusOK, "home", p)
}
