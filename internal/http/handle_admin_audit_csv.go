package http

import (
	"encoding/csv"
	"net/http"
	"strconv"
	"time"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"github.com/placetopay-gateway/gateway/internal/operators"
)

// handleAdminAuditCSV is GET /admin/api/audit.csv: the audit log (one order's with
// ?orderId=), newest first, up to 500 entries before ?before=, as CSV for a spreadsheet.
func (s *Server) handleAdminAuditCSV(c echo.Context) error {
	f := operators.AuditFilter{Limit: 500}
	if v := c.QueryParam("orderId"); v != "" {
		id, err := uuid.Parse(v)
		if err != nil {
			return &badRequest{field: "orderId", detail: "orderId must be an order id"}
		}
		f.OrderID = &id
	}
	if v := c.QueryParam("before"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n <= 0 {
			return &badRequest{field: "before", detail: "before must be an audit entry id"}
		}
		f.Before = n
	}
	list, err := s.console.Operators.AuditLog(c.Request().Context(), f)
	if err != nil {
		return err
	}
	h := c.Response().Header()
	h.Set(echo.HeaderContentType, "text/csv; charset=utf-8")
	h.Set(echo.HeaderContentDisposition, `attachment; filename="audit.csv"`)
	c.Response().WriteHeader(http.StatusOK)
	w := csv.NewWriter(c.Response())
	_ = w.Write([]string{"id", "at", "actor_kind", "actor_id", "actor_name", "ip", "action", "order_id", "target", "reason", "before", "after"})
	for _, e := range list {
		order := ""
		if e.OrderID != nil {
			order = e.OrderID.String()
		}
		_ = w.Write([]string{strconv.FormatInt(e.ID, 10), e.At.UTC().Format(time.RFC3339Nano), e.Actor.Kind, e.Actor.ID, e.Actor.Name,
			e.Actor.IP, e.Action, order, csvSafe(e.Target), csvSafe(e.Reason), string(e.Before), string(e.After)})
	}
	w.Flush()
	return w.Error()
}

// csvSafe keeps a free-text cell from being read as a formula by a spreadsheet.
func csvSafe(s string) string {
	if s != "" && (s[0] == '=' || s[0] == '+' || s[0] == '-' || s[0] == '@') {
		return "'" + s
	}
	return s
}
