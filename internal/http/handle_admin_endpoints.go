package http

import (
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/placetopay-gateway/gateway/internal/endpoints"
	"github.com/placetopay-gateway/gateway/internal/operators"
	"github.com/placetopay-gateway/gateway/internal/orders"
)

// endpointJSON is a webhook endpoint as the operator API shows it: never its secrets.
type endpointJSON struct {
	ID             string     `json:"id"`
	URL            string     `json:"url"`
	Events         []string   `json:"events"`
	Default        bool       `json:"default"`
	Enabled        bool       `json:"enabled"`
	DisabledAt     *time.Time `json:"disabledAt"`
	DisabledReason string     `json:"disabledReason"`
	DisabledAuto   bool       `json:"disabledAuto"`
	FailingSince   *time.Time `json:"failingSince"`
	Secrets        int        `json:"secrets"`
	Pending        int64      `json:"pending"`
	CreatedAt      *time.Time `json:"createdAt"`
}

func toEndpointJSON(e endpoints.Endpoint) endpointJSON {
	j := endpointJSON{ID: e.ID, URL: e.URL, Events: e.EventTypes, Default: e.Default, Enabled: e.Enabled(), DisabledAt: e.DisabledAt,
		DisabledReason: e.DisabledReason, DisabledAuto: e.DisabledAuto, FailingSince: e.FailingSince, Secrets: e.Secrets, Pending: e.Pending}
	if !e.Default {
		j.CreatedAt = &e.CreatedAt
	}
	return j
}

// handleAdminEndpoints is GET /admin/api/endpoints: the default endpoint, then every stored one.
func (s *Server) handleAdminEndpoints(c echo.Context) error {
	list, err := s.console.Endpoints.List(c.Request().Context())
	if err != nil {
		return err
	}
	out := make([]endpointJSON, 0, len(list))
	for _, e := range list {
		out = append(out, toEndpointJSON(e))
	}
	return writeJSON(c, echo.MIMEApplicationJSON, http.StatusOK, struct {
		Data []endpointJSON `json:"data"`
	}{out})
}

// secretAnswer is an endpoint with the secret shown this once.
type secretAnswer struct {
	Endpoint endpointJSON `json:"endpoint"`
	Secret   string       `json:"secret"`
}

// handleAdminCreateEndpoint is POST /admin/api/endpoints: the answer holds the secret, once.
// Like key creation it takes no Idempotency-Key, so that no stored answer keeps the secret.
func (s *Server) handleAdminCreateEndpoint(c echo.Context) error {
	var body struct {
		URL    string   `json:"url"`
		Events []string `json:"events"`
	}
	if err := decodeJSON(c, &body); err != nil {
		return err
	}
	e, err := s.createEndpoint(c, body.URL, body.Events)
	if err != nil {
		return err
	}
	return writeJSON(c, echo.MIMEApplicationJSON, http.StatusCreated, secretAnswer{toEndpointJSON(e.Endpoint), e.Secret})
}

// handleAdminEndpointState is POST /admin/api/endpoints/{id}/disable and /enable.
func (s *Server) handleAdminEndpointState(enable bool) echo.HandlerFunc {
	return func(c echo.Context) error {
		var body struct {
			Reason      string    `json:"reason"`
			ReplaySince time.Time `json:"replaySince"`
		}
		var err error
		if enable {
			err = decodeJSON(c, &body)
		} else { // disable takes no replaySince
			var r reasonBody
			err = decodeJSON(c, &r)
			body.Reason = r.Reason
		}
		if err != nil {
			return err
		}
		e, _, err := s.setEndpointState(c, c.Param("id"), enable, body.Reason, body.ReplaySince)
		if err != nil {
			return err
		}
		return writeJSON(c, echo.MIMEApplicationJSON, http.StatusOK, toEndpointJSON(e))
	}
}

// handleAdminRotateEndpoint is POST /admin/api/endpoints/{id}/rotate: the new secret, once.
func (s *Server) handleAdminRotateEndpoint(c echo.Context) error {
	var body struct {
		Overlap string `json:"overlap"`
	}
	if err := decodeJSON(c, &body); err != nil {
		return err
	}
	e, err := s.rotateEndpoint(c, c.Param("id"), body.Overlap)
	if err != nil {
		return err
	}
	return writeJSON(c, echo.MIMEApplicationJSON, http.StatusOK, secretAnswer{toEndpointJSON(e.Endpoint), e.Secret})
}

// handleAdminReplayEndpoint is POST /admin/api/endpoints/{id}/replay.
func (s *Server) handleAdminReplayEndpoint(c echo.Context) error {
	var body struct {
		Since time.Time `json:"since"`
	}
	if err := decodeJSON(c, &body); err != nil {
		return err
	}
	n, err := s.replayEndpoint(c, c.Param("id"), body.Since)
	if err != nil {
		return err
	}
	return writeJSON(c, echo.MIMEApplicationJSON, http.StatusOK, struct {
		Queued int64 `json:"queued"`
	}{n})
}

// The helpers below change an endpoint for the operator of c (whose role requireRole
// checked), for the operator API and the console page alike: the same checks, the same
// audit rows, the same count of operator actions.

// createEndpoint adds an endpoint; the answer holds its secret, once.
func (s *Server) createEndpoint(c echo.Context, url string, events []string) (endpoints.Created, error) {
	e, err := s.console.Endpoints.Create(c.Request().Context(), url, events, operatorActor(c))
	if err != nil {
		return endpoints.Created{}, err
	}
	s.countEndpointAction(c)
	return e, nil
}

// setEndpointState enables or disables the endpoint whose id is id, with reason; enabling
// with a non-zero replaySince also queues again every event since then.
func (s *Server) setEndpointState(c echo.Context, id string, enable bool, reason string, replaySince time.Time) (endpoints.Endpoint, int64, error) {
	svc, ctx, by := s.console.Endpoints, c.Request().Context(), operatorActor(c)
	var e endpoints.Endpoint
	var n int64
	var err error
	if enable {
		e, n, err = svc.Enable(ctx, id, reason, replaySince, by)
	} else {
		e, err = svc.Disable(ctx, id, reason, by)
	}
	if err != nil {
		return endpoints.Endpoint{}, 0, err
	}
	s.countEndpointAction(c)
	return e, n, nil
}

// rotateEndpoint gives the endpoint a new secret; overlap is a Go duration, "" for 24h.
func (s *Server) rotateEndpoint(c echo.Context, id, overlap string) (endpoints.Created, error) {
	d := 24 * time.Hour
	if overlap != "" {
		var err error
		if d, err = time.ParseDuration(overlap); err != nil {
			return endpoints.Created{}, &orders.Error{Code: orders.EInvalid, Field: "overlap", Message: "must be a Go duration, such as 24h"}
		}
	}
	e, err := s.console.Endpoints.Rotate(c.Request().Context(), id, d, operatorActor(c))
	if err != nil {
		return endpoints.Created{}, err
	}
	s.countEndpointAction(c)
	return e, nil
}

// replayEndpoint queues again the endpoint's events since, and answers how many.
func (s *Server) replayEndpoint(c echo.Context, id string, since time.Time) (int64, error) {
	if since.IsZero() {
		return 0, &orders.Error{Code: orders.EInvalid, Field: "since", Message: "is required: an RFC 3339 time"}
	}
	n, err := s.console.Endpoints.Replay(c.Request().Context(), id, since, operatorActor(c))
	if err != nil {
		return 0, err
	}
	s.countEndpointAction(c)
	return n, nil
}

func (s *Server) countEndpointAction(c echo.Context) {
	s.operatorActions.WithLabelValues(operators.ActionManageEndpoints, string(principal(c).Role)).Inc()
}
