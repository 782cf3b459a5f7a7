package http

import (
	_ "embed"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/placetopay-gateway/gateway/internal/operators"
	"github.com/placetopay-gateway/gateway/internal/orders"
)

// AdminOpenAPIDocument is the operator API's OpenAPI 3.1 document, served at
// GET /admin/openapi.yaml on the admin listener and checked against its tests' responses.
//
//go:embed admin-openapi.yaml
var AdminOpenAPIDocument []byte

func handleAdminOpenAPI(c echo.Context) error {
	return c.Blob(http.StatusOK, "application/yaml", AdminOpenAPIDocument)
}

// handleAdminSearch is GET /admin/api/orders.
func (s *Server) handleAdminSearch(c echo.Context) error {
	found, err := s.searchOrders(c, c.QueryParams())
	if err != nil {
		return err
	}
	out := struct {
		Data []orderJSON `json:"data"`
	}{Data: []orderJSON{}}
	for _, o := range found {
		out.Data = append(out.Data, toOrderJSON(o))
	}
	return writeJSON(c, echo.MIMEApplicationJSON, http.StatusOK, out)
}

// searchParamsOf reads the search's query parameters (the API's and the search page's).
func searchParamsOf(q url.Values) (operators.SearchParams, error) {
	p := operators.SearchParams{Q: q.Get("q"), Status: q.Get("status"), Filter: q.Get("filter")}
	for name, dst := range map[string]**time.Time{"from": &p.From, "to": &p.To} {
		if v := q.Get(name); v != "" {
			t, err := parseDateOrTime(v)
			if err != nil {
				return p, &badRequest{field: name, detail: name + " must be a date (2026-01-31) or an RFC 3339 time"}
			}
			*dst = &t
		}
	}
	for name, dst := range map[string]**int64{"min": &p.Min, "max": &p.Max} {
		if v := q.Get(name); v != "" {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil || n < 0 {
				return p, &badRequest{field: name, detail: name + " must be an amount in minor units (cents), a whole number"}
			}
			*dst = &n
		}
	}
	return p, nil
}

func parseDateOrTime(v string) (time.Time, error) {
	if t, err := time.Parse(time.DateOnly, v); err == nil {
		return t, nil
	}
	return time.Parse(time.RFC3339, v)
}

type auditJSON struct {
	ID        int64           `json:"id"`
	At        time.Time       `json:"at"`
	ActorKind string          `json:"actorKind"`
	ActorID   string          `json:"actorId"`
	ActorName string          `json:"actorName"`
	IP        string          `json:"ip"`
	Action    string          `json:"action"`
	OrderID   *string         `json:"orderId"`
	Target    string          `json:"target"`
	Reason    string          `json:"reason"`
	Before    json.RawMessage `json:"before"`
	After     json.RawMessage `json:"after"`
}

func toAuditJSON(list []operators.AuditEntry) []auditJSON {
	out := []auditJSON{}
	for _, e := range list {
		a := auditJSON{ID: e.ID, At: e.At, ActorKind: e.Actor.Kind, ActorID: e.Actor.ID, ActorName: e.Actor.Name, IP: e.Actor.IP,
			Action: e.Action, Target: e.Target, Reason: e.Reason, Before: e.Before, After: e.After}
		if e.OrderID != nil {
			id := e.OrderID.String()
			a.OrderID = &id
		}
		if len(a.Before) == 0 {
			a.Before = json.RawMessage("null")
		}
		if len(a.After) == 0 {
			a.After = json.RawMessage("null")
		}
		out = append(out, a)
	}
	return out
}

// handleAdminAudit is GET /admin/api/audit: the global audit log, newest first.
func (s *Server) handleAdminAudit(c echo.Context) error {
	f := operators.AuditFilter{Limit: 100}
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
	return writeJSON(c, echo.MIMEApplicationJSON, http.StatusOK, struct {
		Data []auditJSON `json:"data"`
	}{toAuditJSON(list)})
}

// handleAdminOrder is GET /admin/api/orders/{id}: the order and its whole story.
func (s *Server) handleAdminOrder(c echo.Context) error {
	o, refunds, st, err := s.orderStory(c)
	if err != nil {
		return err
	}
	out := storyJSON{Order: toOrderJSON(o), Refunds: []refundJSON{}, Audit: toAuditJSON(st.Audit),
		Timeline: []timelineJSON{}, Notifications: []notificationJSON{}, Actions: []actionJSON{}, Events: []eventStoryJSON{}}
	for _, r := range refunds {
		out.Refunds = append(out.Refunds, toRefundJSON(r))
	}
	for _, t := range st.Timeline {
		p := t.Payload
		if len(p) == 0 {
			p = json.RawMessage("null")
		}
		out.Timeline = append(out.Timeline, timelineJSON{At: t.At, Kind: t.Kind, From: t.From, To: t.To,
			ProviderStatus: t.ProviderStatus, Reason: t.Reason, Message: t.Message, Payload: p})
	}
	for _, n := range st.Notifications {
		out.Notifications = append(out.Notifications, notificationJSON(n))
	}
	for _, a := range st.Actions {
		out.Actions = append(out.Actions, actionJSON{ID: a.ID.String(), Kind: a.Kind, Action: a.Action, Status: a.Status,
			Reason: a.Reason, Message: a.Message, CreatedAt: a.CreatedAt, UpdatedAt: a.UpdatedAt})
	}
	for _, e := range st.Events {
		ej := eventStoryJSON{ID: e.ID.String(), Type: e.Type, CreatedAt: e.CreatedAt, DeliveredAt: e.DeliveredAt, FailedAt: e.FailedAt,
			Attempts: e.Attempts, Deliveries: []deliveryJSON{}}
		for _, d := range e.Deliveries {
			ej.Deliveries = append(ej.Deliveries, deliveryJSON(d))
		}
		out.Events = append(out.Events, ej)
	}
	return writeJSON(c, echo.MIMEApplicationJSON, http.StatusOK, out)
}

type storyJSON struct {
	Order         orderJSON          `json:"order"`
	Refunds       []refundJSON       `json:"refunds"`
	Actions       []actionJSON       `json:"actions"`
	Timeline      []timelineJSON     `json:"timeline"`
	Notifications []notificationJSON `json:"notifications"`
	Events        []eventStoryJSON   `json:"events"`
	Audit         []auditJSON        `json:"audit"`
}

type timelineJSON struct {
	At             time.Time       `json:"at"`
	Kind           string          `json:"kind"`
	From           string          `json:"from"`
	To             string          `json:"to"`
	ProviderStatus string          `json:"providerStatus"`
	Reason         string          `json:"reason"`
	Message        string          `json:"message"`
	Payload        json.RawMessage `json:"payload"`
}

type notificationJSON struct {
	ReceivedAt        time.Time  `json:"receivedAt"`
	RequestID         *int64     `json:"requestId"`
	InternalReference *int64     `json:"internalReference"`
	Status            string     `json:"status"`
	Signature         string     `json:"signature"`
	Duplicates        int        `json:"duplicates"`
	ProcessedAt       *time.Time `json:"processedAt"`
}

type actionJSON struct {
	ID        string    `json:"id"`
	Kind      string    `json:"kind"`
	Action    string    `json:"action"`
	Status    string    `json:"status"`
	Reason    string    `json:"reason"`
	Message   string    `json:"message"`
	CreatedAt time.Time `json:"createdAt"`
	UpdatedAt time.Time `json:"updatedAt"`
}

type eventStoryJSON struct {
	ID          string         `json:"id"`
	Type        string         `json:"type"`
	CreatedAt   time.Time      `json:"createdAt"`
	DeliveredAt *time.Time     `json:"deliveredAt"`
	FailedAt    *time.Time     `json:"failedAt"`
	Attempts    int            `json:"attempts"`
	Deliveries  []deliveryJSON `json:"deliveries"`
}

type deliveryJSON struct {
	At         time.Time `json:"at"`
	StatusCode *int      `json:"statusCode"`
	Error      string    `json:"error"`
	DurationMS int       `json:"durationMs"`
}

// orderStory reads the order of the request's id, its refunds and its story: what the
// operator API's order and the console's order page show.
func (s *Server) orderStory(c echo.Context) (orders.Order, []orders.Refund, operators.Story, error) {
	id, err := orderID(c)
	if err != nil {
		return orders.Order{}, nil, operators.Story{}, err
	}
	ctx := c.Request().Context()
	o, err := s.orders.Get(ctx, id)
	if err != nil {
		return orders.Order{}, nil, operators.Story{}, err
	}
	refunds, err := s.money.Actions.Refunds(ctx, id)
	if err != nil {
		return orders.Order{}, nil, operators.Story{}, err
	}
	st, err := s.console.Operators.StoryOf(ctx, id)
	return o, refunds, st, err
}
