package http

import (
	"slices"
	"strings"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"github.com/placetopay-gateway/gateway/internal/autopay"
	"github.com/placetopay-gateway/gateway/internal/orders"
	"github.com/placetopay-gateway/gateway/internal/webhooks"
)

// eventTypes lists every event type the gateway writes, for ?type=.
func eventTypes() []string {
	return append(orders.EventTypes(), autopay.EventTypes()...)
}

// eventFilter reads GET /v1/events' ?orderId= (one order's id) and ?type= (one or more
// types, comma-separated or repeated). Each may be given once at most (type may repeat); a
// malformed value, or a type the gateway never writes, is a 422 naming the parameter.
func eventFilter(c echo.Context) (webhooks.EventFilter, error) {
	var f webhooks.EventFilter
	q := c.QueryParams()
	if ids, ok := q["orderId"]; ok {
		if len(ids) != 1 {
			return f, &orders.Error{Code: orders.EInvalid, Field: "orderId", Message: "may be given once"}
		}
		id, err := uuid.Parse(ids[0])
		if err != nil || len(ids[0]) != 36 {
			return f, &orders.Error{Code: orders.EInvalid, Field: "orderId", Message: "must be an order id (a UUID)"}
		}
		f.OrderID = &id
	}
	known := eventTypes()
	for _, v := range q["type"] {
		for typ := range strings.SplitSeq(v, ",") {
			if !slices.Contains(known, typ) {
				return f, &orders.Error{Code: orders.EInvalid, Field: "type",
					Message: "must be event types the gateway writes, comma-separated: " + strings.Join(known, ", ")}
			}
			if !slices.Contains(f.Types, typ) {
				f.Types = append(f.Types, typ)
			}
		}
	}
	return f, nil
}
