package http

import (
	"crypto/rand"
	"embed"
	"encoding/base32"
	"html/template"
	"net/http"
	"net/url"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/placetopay-gateway/gateway/internal/orders"
)

//go:embed demo/*.html
var demoFiles embed.FS

var demoPages = template.Must(template.ParseFS(demoFiles, "demo/*.html"))

// demoPrice is the demo shop's one product: 25.00 USD.
var demoPrice = orders.Money{Minor: 2500, Currency: "USD"}

// demoCards are the sandbox test cards shown on the shop page.
var demoCards = []string{"4110760000000081 (approves)", "4110760000000016 (declines)",
	"4110760000000073 (pending, then approved)", "4048370000000037 (pending, then rejected)"}

// handleDemoShop is GET /demo: a one-product shop (development only).
func (s *Server) handleDemoShop(c echo.Context) error {
	nonce, src := newNonce()
	setPagePolicy(c, "style-src "+src)
	c.Response().Header().Set(echo.HeaderContentType, echo.MIMETextHTMLCharsetUTF8)
	return demoPages.ExecuteTemplate(c.Response(), "shop.html", map[string]any{
		"Total": demoPrice.String(), "Cards": demoCards, "Nonce": nonce,
	})
}

// handleDemoPay is POST /demo/pay: the shop's own backend creates the order and its checkout
// in the gateway (no API key reaches the browser), leaves the order's id and client secret
// in a cookie for the order page, and sends the shopper to PlacetoPay.
func (s *Server) handleDemoPay(c echo.Context) error {
	var b [10]byte
	_, _ = rand.Read(b[:])
	ref := "DEMO-" + base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b[:])
	o, secret, err := s.orders.Create(c.Request().Context(), orders.CreateParams{
		Reference: ref, Description: "Gateway T-shirt", Amount: demoPrice,
		Items:     []orders.Item{{SKU: "TSHIRT", Name: "Gateway T-shirt", Qty: 1, PriceMinor: demoPrice.Minor}},
		ReturnURL: s.publicURL + "/demo/orders/" + ref,
	})
	if err != nil {
		return err
	}
	// Not HttpOnly: the order page's script reads it. Not Secure: the demo runs in
	// development, over plain http.
	c.SetCookie(&http.Cookie{Name: "demo_" + ref, Value: url.QueryEscape(o.ID.String() + "." + secret), //nolint:gosec // see above
		Path: "/demo", SameSite: http.SameSiteLaxMode, MaxAge: 86400})
	return s.demoCheckout(c, o)
}

// handleDemoOrder is GET /demo/orders/{reference}: the order's live status.
func (s *Server) handleDemoOrder(c echo.Context) error {
	// The page's script polls GET /v1/orders/{id} on this origin.
	nonce, src := newNonce()
	setPagePolicy(c, "style-src "+src, "script-src "+src, "connect-src 'self'")
	c.Response().Header().Set(echo.HeaderContentType, echo.MIMETextHTMLCharsetUTF8)
	c.Response().Header().Set(echo.HeaderCacheControl, "no-store")
	return demoPages.ExecuteTemplate(c.Response(), "order.html", map[string]any{"Reference": c.Param("ref"), "Nonce": nonce})
}

// handleDemoRetry is POST /demo/orders/{reference}/retry: a new checkout for a failed order,
// allowed to the browser holding the order's client secret.
func (s *Server) handleDemoRetry(c echo.Context) error {
	ck, err := c.Cookie("demo_" + c.Param("ref"))
	if err != nil {
		return orders.Errorf(orders.EUnauthorized, "this order was not started from this browser")
	}
	v, _ := url.QueryUnescape(ck.Value)
	id, secret, _ := strings.Cut(v, ".")
	c.SetParamNames("id")
	c.SetParamValues(id)
	oid, err := orderID(c)
	if err != nil {
		return err
	}
	o, err := s.orders.GetWithClientSecret(c.Request().Context(), oid, secret)
	if err != nil {
		return err
	}
	return s.demoCheckout(c, o)
}

func (s *Server) demoCheckout(c echo.Context, o orders.Order) error {
	sess, _, err := s.money.Checkouts.Checkout(c.Request().Context(), o.ID, orders.CheckoutParams{
		Locale: "en_US", IPAddress: c.RealIP(), UserAgent: c.Request().UserAgent(),
	})
	if err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, sess.ProcessURL)
}
