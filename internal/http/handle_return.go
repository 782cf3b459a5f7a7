package http

import (
	"context"
	_ "embed"
	"html/template"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"
	"go.uber.org/zap"

	"github.com/placetopay-gateway/gateway/internal/locale"
	"github.com/placetopay-gateway/gateway/internal/orders"
)

//go:embed pages/return.html
var returnHTML string

var returnPage = template.Must(template.New("return").Parse(returnHTML))

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
	l := pageLocale(c)
	words, status := returnWords(l, o)
	c.Response().Header().Set(echo.HeaderContentType, echo.MIMETextHTMLCharsetUTF8)
	c.Response().Header().Set(echo.HeaderVary, "Accept-Language")
	c.Response().WriteHeader(http.StatusOK)
	return returnPage.Execute(c.Response(), map[string]any{
		"L": l, "Reference": o.Reference, "Status": status, "Words": words,
		"Total": pageMoney(l, o.Amount), "Updated": l.Date(o.UpdatedAt), "Nonce": nonce,
	})
}

// returnWords is what the status page says of o, and the status it names in data-status
// ("cancelled_by_payer" for a payer's cancel): the words of the demo's order page, except
// that this page neither updates by itself nor offers another try.
func returnWords(l locale.Locale, o orders.Order) (statusWords, string) {
	w := orderStatusWords(l, o.Status, pageMoney(l, o.Paid()))
	switch {
	case cancelledByPayer(o):
		w = cancelledWords(l)
		w.Detail = l.T("You cancelled the payment on PlacetoPay's page. Nothing was charged.")
		return w, "cancelled_by_payer"
	case o.Status == orders.StatusFailed:
		w.Detail = l.T("Nothing was charged.")
	case o.Status == orders.StatusPending:
		w.Detail = l.T("Your bank has not answered yet. Reload this page to see the latest status.")
	}
	return w, string(o.Status)
}
