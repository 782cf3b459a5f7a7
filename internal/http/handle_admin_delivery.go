package http

import (
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/placetopay-gateway/gateway/internal/operators"
	"github.com/placetopay-gateway/gateway/internal/orders"
)

// deliveryStateJSON is merchant event delivery as GET /admin/api/delivery shows it.
type deliveryStateJSON struct {
	Paused                      bool       `json:"paused"`
	PausedAt                    *time.Time `json:"pausedAt"`
	PausedBy                    *string    `json:"pausedBy"`
	Reason                      *string    `json:"reason"`
	Undelivered                 int64      `json:"undelivered"`
	OldestUndeliveredAt         *time.Time `json:"oldestUndeliveredAt"`
	OldestUndeliveredAgeSeconds int64      `json:"oldestUndeliveredAgeSeconds"`
}

func toDeliveryStateJSON(st operators.DeliveryState, now time.Time) deliveryStateJSON {
	out := deliveryStateJSON{Paused: st.Paused, PausedAt: st.PausedAt, Undelivered: st.Undelivered, OldestUndeliveredAt: st.OldestAt}
	if st.Paused {
		out.PausedBy, out.Reason = &st.PausedBy, &st.Reason
	}
	if st.OldestAt != nil {
		out.OldestUndeliveredAgeSeconds = max(int64(now.Sub(*st.OldestAt)/time.Second), 0)
	}
	return out
}

// handleDeliveryState is GET /admin/api/delivery.
func (s *Server) handleDeliveryState(c echo.Context) error {
	st, err := s.console.Operators.DeliveryState(c.Request().Context())
	if err != nil {
		return err
	}
	return writeJSON(c, echo.MIMEApplicationJSON, http.StatusOK, toDeliveryStateJSON(st, time.Now()))
}

// handleDeliveryPause is POST /admin/api/delivery/pause and /resume (action says which).
func (s *Server) handleDeliveryPause(action string) echo.HandlerFunc {
	return func(c echo.Context) error {
		var body reasonBody
		if err := decodeJSON(c, &body); err != nil {
			return err
		}
		st, err := s.changeDelivery(c, action, body.Reason)
		if err != nil {
			return err
		}
		return writeJSON(c, echo.MIMEApplicationJSON, http.StatusOK, toDeliveryStateJSON(st, time.Now()))
	}
}

// changeDelivery pauses or resumes (action says which) merchant delivery for the operator
// of c, with its audit row, and counts it: the API and the console's home page call it.
func (s *Server) changeDelivery(c echo.Context, action, reason string) (operators.DeliveryState, error) {
	reason, err := checkReason(reason)
	if err != nil {
		return operators.DeliveryState{}, err
	}
	ops := s.console.Operators
	change := ops.PauseDelivery
	if action == operators.ActionResumeDelivery {
		change = ops.ResumeDelivery
	}
	st, err := change(c.Request().Context(), operatorActor(c), reason)
	if err != nil {
		return operators.DeliveryState{}, err
	}
	s.operatorActions.WithLabelValues(action, string(principal(c).Role)).Inc()
	return st, nil
}

type redeliverSinceBody struct {
	Since  string   `json:"since"`
	Until  string   `json:"until"`
	Types  []string `json:"types"`
	Reason string   `json:"reason"`
}

// handleRedeliverSince is POST /admin/api/events/redeliver: every event of a period is due
// again.
func (s *Server) handleRedeliverSince(c echo.Context) error {
	var body redeliverSinceBody
	if err := decodeJSON(c, &body); err != nil {
		return err
	}
	n, err := s.redeliverSince(c, body)
	if err != nil {
		return err
	}
	return writeJSON(c, echo.MIMEApplicationJSON, http.StatusAccepted, struct {
		Count int64 `json:"count"`
	}{n})
}

// redeliverSince makes every event of the period due again for the operator of c, with its
// audit row, counts it and answers how many: the API and the console's home page call it.
func (s *Server) redeliverSince(c echo.Context, body redeliverSinceBody) (int64, error) {
	reason, err := checkReason(body.Reason)
	if err != nil {
		return 0, err
	}
	var r operators.RedeliverRange
	if r.Since, err = time.Parse(time.RFC3339, body.Since); err != nil {
		return 0, &orders.Error{Code: orders.EInvalid, Field: "since", Message: "must be an RFC 3339 time, such as 2026-01-31T00:00:00Z"}
	}
	if body.Until != "" {
		if r.Until, err = time.Parse(time.RFC3339, body.Until); err != nil {
			return 0, &orders.Error{Code: orders.EInvalid, Field: "until", Message: "must be an RFC 3339 time, such as 2026-01-31T00:00:00Z"}
		}
	}
	r.Types = body.Types
	n, err := s.console.Operators.RedeliverSince(c.Request().Context(), operatorActor(c), r, reason)
	if err != nil {
		return 0, err
	}
	s.operatorActions.WithLabelValues(operators.ActionRedeliverSince, string(principal(c).Role)).Inc()
	return n, nil
}
