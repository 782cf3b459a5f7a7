package http

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"
	"go.uber.org/zap"

	"github.com/placetopay-gateway/gateway/internal/orders"
)

// problem is an RFC 9457 problem detail. code is the domain error code and field the request
// field at fault, when there is one.
type problem struct {
	Type   string `json:"type"`
	Title  string `json:"title"`
	Status int    `json:"status"`
	Detail string `json:"detail,omitempty"`
	Code   string `json:"code"`
	Field  string `json:"field,omitempty"`
}

// statusOf is the one mapping from domain error codes to HTTP statuses.
var statusOf = map[string]int{
	orders.EInvalid:      http.StatusUnprocessableEntity,
	orders.ENotFound:     http.StatusNotFound,
	orders.EConflict:     http.StatusConflict,
	orders.EUnauthorized: http.StatusUnauthorized,
	orders.EForbidden:    http.StatusForbidden,
	orders.EUnavailable:  http.StatusBadGateway,
	orders.EGone:         http.StatusGone,
	orders.EInternal:     http.StatusInternalServerError,
}

// badRequest is an error in the request's form (not JSON, wrong type, unknown field), as
// opposed to a broken rule (orders.EInvalid, 422).
type badRequest struct {
	field, detail string
}

func (e *badRequest) Error() string { return "bad request: " + e.detail }

// handleError writes every error as problem+json. Only internal errors are logged, and their
// text never reaches the caller.
func (s *Server) handleError(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	if s.console != nil && isConsolePage(c) {
		s.renderPageError(c, err)
		return
	}
	p := problem{Type: "about:blank"}
	var (
		domErr *orders.Error
		bad    *badRequest
		he     *echo.HTTPError
	)
	switch {
	case errors.Is(err, errOverloaded):
		p = overloadedProblem()
	case errors.As(err, &domErr):
		p.Status, p.Code, p.Detail, p.Field = statusOf[domErr.Code], domErr.Code, domErr.Message, domErr.Field
		if domErr.RetryAfter > 0 {
			c.Response().Header().Set("Retry-After", strconv.Itoa(domErr.RetryAfter))
		}
	case errors.As(err, &bad):
		p.Status, p.Code, p.Detail, p.Field = http.StatusBadRequest, "bad_request", bad.detail, bad.field
	case errors.As(err, &he) && he.Code < 500:
		p.Status, p.Code = he.Code, codeForStatus(he.Code)
		if msg, ok := he.Message.(string); ok {
			p.Detail = msg
		}
	default:
		s.log.Error("request failed", zap.String("method", c.Request().Method), zap.String("route", c.Path()), zap.Error(err))
		p.Status, p.Code, p.Detail = http.StatusInternalServerError, orders.EInternal, "internal error"
	}
	if p.Status == 0 {
		p.Status = http.StatusInternalServerError
	}
	p.Title = http.StatusText(p.Status)
	if p.Status == http.StatusUnauthorized {
		c.Response().Header().Set("WWW-Authenticate", `Bearer realm="gateway"`)
	}
	if err := writeJSON(c, "application/problem+json", p.Status, p); err != nil {
		s.log.Warn("write error response", zap.Error(err))
	}
}

func codeForStatus(status int) string {
	switch status {
	case http.StatusNotFound:
		return orders.ENotFound
	case http.StatusUnauthorized:
		return orders.EUnauthorized
	case http.StatusRequestEntityTooLarge:
		return "too_large"
	case http.StatusMethodNotAllowed:
		return "method_not_allowed"
	case http.StatusUnsupportedMediaType:
		return "unsupported_media_type"
	case http.StatusTooManyRequests:
		return "rate_limited"
	}
	return "bad_request"
}
