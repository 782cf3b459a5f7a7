package http

import (
	"context"
	"html/template"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"
	"go.uber.org/zap"
)

var returnPage = template.Must(template.New("return").Parse(`<!doctype html>
<html lang="en"><meta charset="utf-8"><title>Order {{.Reference}}</title>
<style nonce="{{.Nonce}}">body{font:16px system-ui,sans-serif;max-width:30rem;margin:3rem auto}</style>
<body><h1>Order {{.Reference}}</h1><p>Status: <strong>{{.Status}}</strong></p></body></html>`))

// handleReturn is GET /return/{id}, where PlacetoPay sends the shopper back: the gateway
// queries the order's sessions first (unless one was checked in the last few seconds: anyone
// with the link can load it), then redirects to the order's returnUrl (or shows the
// status when the order has none). The redirect itself never changes the order.
func (s *Server) handleReturn(c echo.Context) error {
	id, err := orderID(c)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(c.Request().Context(), 10*time.Second)
	defer cancel()
	if err := s.money.Reconciler.RefreshOrderIfStale(ctx, id); err != nil {
		s.log.Warn("return: refresh failed; the probe will catch up", zap.String("order", id.String()), zap.Error(err))
	}
	o, err := s.orders.Get(c.Request().Context(), id)
	if err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderCacheControl, "no-store")
	if o.ReturnURL != "" {
		return c.Redirect(http.StatusSeeOther, returnTarget(o))
	}
	nonce, src := newNonce()
	setPagePolicy(c, "style-src "+src, "form-action 'none'")
	c.Response().Header().Set(echo.HeaderContentType, echo.MIMETextHTMLCharsetUTF8)
	c.Response().WriteHeader(http.StatusOK)
	return returnPage.Execute(c.Response(), struct{ Reference, Status, Nonce string }{o.Reference, string(o.Status), nonce})
}
