package http

import (
	"context"
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/placetopay-gateway/gateway/internal/orders"
	"github.com/placetopay-gateway/gateway/internal/webhooks"
)

// EventLister reads the events feed; webhooks.EventLog is the real one.
type EventLister interface {
	List(ctx context.Context, after string, limit int, f webhooks.EventFilter) (webhooks.EventPage, error)
}

var _ EventLister = (*webhooks.EventLog)(nil)

// eventsPage is GET /v1/events' body. NextCursor is never null: it is the cursor of the
// last event in Data or, for an empty page, the cursor the page was read after. A storefront
// that polls with after=nextCursor, forever, sees every event once, in order.
type eventsPage struct {
	Data       []webhooks.Event `json:"data"`
	NextCursor string           `json:"nextCursor"`
}

// handleListEvents is GET /v1/events: order and autopay events oldest first, after the cursor in after
// (none for the start), at most limit (1 to 100, default 50) of them, of one order (orderId)
// and of some types (type) when asked.
func (s *Server) handleListEvents(c echo.Context) error {
	if s.events == nil {
		return errors.New("http: GET /v1/events: the server was built without an event lister")
	}
	limit, err := limitParam(c, webhooks.DefaultListLimit)
	if err != nil {
		return err
	}
	filter, err := eventFilter(c)
	if err != nil {
		return err
	}
	page, err := s.events.List(c.Request().Context(), c.QueryParam("after"), limit, filter)
	if errors.Is(err, webhooks.ErrInvalidCursor) {
		return &orders.Error{Code: orders.EInvalid, Field: "after", Message: "is not a cursor this API returned"}
	}
	if errors.Is(err, webhooks.ErrCursorExpired) {
		return &orders.Error{Code: orders.EGone, Field: "after", Message: "events after this cursor are older than the retention " +
			"(GATEWAY_RETENTION_EVENTS) and were deleted: read the feed again from the start, without after, and check the orders and enrolments you follow"}
	}
	if err != nil {
		return err
	}
	if page.Events == nil {
		page.Events = []webhooks.Event{}
	}
	return writeJSON(c, echo.MIMEApplicationJSON, http.StatusOK, eventsPage{Data: page.Events, NextCursor: page.Next})
}
