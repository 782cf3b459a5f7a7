package http

import (
	"net/http"
	"net/url"

	"github.com/labstack/echo/v4"

	"github.com/placetopay-gateway/gateway/internal/operators"
	"github.com/placetopay-gateway/gateway/internal/orders"
)

type ordersData struct {
	Params   operators.SearchParams
	From, To string
	Min, Max string
	Statuses []string
	Filters  []string
	Rows     []orderRow
	Searched bool
}

type orderRow struct {
	ID, Reference, Status, Amount, Created string
}

// handleConsoleOrders is GET /console/orders: the search page, matching as GET
// /admin/api/orders does.
func (s *Server) handleConsoleOrders(c echo.Context) error {
	q := c.QueryParams()
	d := ordersData{From: q.Get("from"), To: q.Get("to"), Min: q.Get("min"), Max: q.Get("max"), Filters: operators.Filters,
		Statuses: []string{"pending", "authorized", "partially_paid", "paid", "failed", "cancelled", "review", "partially_refunded", "refunded"}}
	p := s.newPage(c, "Orders", nil)
	p.Q = q.Get("q")
	found, err := s.searchOrders(c, q)
	status := http.StatusOK
	if err != nil {
		status, p.Error = s.pageError(c, err)
	}
	d.Params, _ = searchParamsOf(q)
	for _, o := range found {
		d.Rows = append(d.Rows, orderRow{ID: o.ID.String(), Reference: o.Reference, Status: string(o.Status),
			Amount: pageMoney(p.L, o.Amount), Created: p.L.Date(o.CreatedAt)})
	}
	p.Data = d
	return s.render(c, status, "orders", p)
}

// searchOrders runs the search the query parameters ask for (as GET /admin/api/orders).
func (s *Server) searchOrders(c echo.Context, q url.Values) ([]orders.Order, error) {
	params, err := searchParamsOf(q)
	if err != nil {
		return nil, err
	}
	ids, err := s.console.Operators.SearchOrders(c.Request().Context(), params)
	if err != nil {
		return nil, err
	}
	out := make([]orders.Order, 0, len(ids))
	for _, id := range ids {
		o, err := s.orders.Get(c.Request().Context(), id)
		if err != nil {
			return nil, err
		}
		out = append(out, o)
	}
	return out, nil
}

// handleConsoleOrder is GET /console/orders/{id}: the order's whole story, and the actions
// the operator's role allows.
func (s *Server) handleConsoleOrder(c echo.Context) error {
	o, refunds, st, err := s.orderStory(c)
	if err != nil {
		return err
	}
	p := s.newPage(c, "Order", nil)
	p.Title = p.L.T("Order %s", o.Reference)
	p.Data = toStoryView(p.L, o, refunds, st)
	return s.render(c, http.StatusOK, "order", p)
}

// handleConsoleAudit is GET /console/audit: the global audit log, newest first.
func (s *Server) handleConsoleAudit(c echo.Context) error {
	list, err := s.console.Operators.AuditLog(c.Request().Context(), operators.AuditFilter{Limit: 200})
	if err != nil {
		return err
	}
	p := s.newPage(c, "Audit log", nil)
	p.Data = toAuditRows(p.L, list)
	return s.render(c, http.StatusOK, "audit", p)
}
