package http

import (
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/placetopay-gateway/gateway/internal/orders"
)

// refreshParam reads ?refresh=, a boolean: absent or false is false, true is true. Any
// other value (1, yes, TRUE, an empty one, the parameter twice) is a 400 naming it, so that
// a caller who meant a refresh never silently reads the order as last stored.
func refreshParam(c echo.Context) (bool, error) {
	values, ok := c.QueryParams()["refresh"]
	if !ok {
		return false, nil
	}
	if len(values) == 1 {
		switch values[0] {
		case "true":
			return true, nil
		case "false":
			return false, nil
		}
	}
	return false, &badRequest{field: "refresh", detail: "refresh must be true or false"}
}

// limitParam reads ?limit=, the size of a page: a whole number from 1 to 100, def when
// absent or empty. Anything else is a 422 naming the parameter.
func limitParam(c echo.Context, def int) (int, error) {
	l := c.QueryParam("limit")
	if l == "" {
		return def, nil
	}
	n, err := strconv.Atoi(l)
	if err != nil || n < 1 || n > 100 {
		return 0, &orders.Error{Code: orders.EInvalid, Field: "limit", Message: "must be a whole number between 1 and 100"}
	}
	return n, nil
}
