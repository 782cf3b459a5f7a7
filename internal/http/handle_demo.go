package http

import (
	"crypto/rand"
	"embed"
	"encoding/base32"
	"html/template"
	"net/http"
	"net/url"
	"strings"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"github.com/placetopay-gateway/gateway/internal/locale"
	"github.com/placetopay-gateway/gateway/internal/orders"
)

//go:embed demo/*.html
var demoFiles embed.FS

var demoPages = template.Must(template.ParseFS(demoFiles, "demo/*.html"))

// demoPrice is the demo shop's one product: 59,900 Colombian pesos, 19 % IVA included.
var demoPrice = orders.Money{Minor: 59_900_00, Currency: "COP"}

// demoVAT is the IVA the price includes, sent to PlacetoPay as a valueAddedTax: the base
// is the price over 1.19 rounded to the centavo (50,336.13), the tax what is left (9,563.87),
// so that base and tax add up to the price exactly.
var demoVAT = func() orders.Tax {
	base := (demoPrice.Minor*100 + 59) / 119 // round(price / 1.19)
	return orders.Tax{Kind: "valueAddedTax", AmountMinor: demoPrice.Minor - base, BaseMinor: &base}
}()

// demoCard is a sandbox test card shown on the shop page, with what it does.
type demoCard struct{ Number, Does string }

// demoCards are the sandbox test cards shown on the shop page.
func demoCards(l locale.Locale) []demoCard {
	return []demoCard{
		{"4110760000000081", l.T("approves")},
		{"4110760000000016", l.T("declines: the payment page lets you try another card")},
		{"4110760000000073", l.T("pending, then approved")},
		{"4048370000000037", l.T("pending, then rejected")},
	}
}

// handleDemoShop is GET /demo: a one-product shop (development only), in the browser's
// language.
func (s *Server) handleDemoShop(c echo.Context) error {
	nonce, src := newNonce()
	setPagePolicy(c, "style-src "+src)
	l := pageLocale(c)
	c.Response().Header().Set(echo.HeaderContentType, echo.MIMETextHTMLCharsetUTF8)
	c.Response().Header().Set(echo.HeaderVary, "Accept-Language")
	return demoPages.ExecuteTemplate(c.Response(), "shop.html", map[string]any{
		"L": l, "Total": pageMoney(l, demoPrice), "Cards": demoCards(l), "Nonce": nonce,
		"Subtotal": pageMoney(l, orders.Money{Minor: *demoVAT.BaseMinor, Currency: demoPrice.Currency}),
		"VAT":      pageMoney(l, orders.Money{Minor: demoVAT.AmountMinor, Currency: demoPrice.Currency}),
	})
}

// handleDemoPay is POST /demo/pay: the shop's own backend creates the order and its checkout
// in the gateway (no API key reaches the browser), leaves the order's id and client secret
// in a cookie for the order page, and sends the shopper to PlacetoPay.
func (s *Server) handleDemoPay(c echo.Context) error {
	var b [10]byte
	_, _ = rand.Read(b[:])
	ref := "DEMO-" + base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b[:])
	product := pageLocale(c).T("Gateway T-shirt")
	o, secret, err := s.orders.Create(c.Request().Context(), orders.CreateParams{
		Reference: ref, Description: product, Amount: demoPrice, Taxes: []orders.Tax{demoVAT},
		Items:     []orders.Item{{SKU: "TSHIRT", Name: product, Qty: 1, PriceMinor: demoPrice.Minor, TaxMinor: demoVAT.AmountMinor}},
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

// handleDemoOrder is GET /demo/orders/{reference}: the order's live status, in the browser's
// language. The shop's server reads the order with the secret its cookie holds to show the
// total and the date; the page's script then polls GET /v1/orders/{id} on this origin.
func (s *Server) handleDemoOrder(c echo.Context) error {
	nonce, src := newNonce()
	setPagePolicy(c, "style-src "+src, "script-src "+src, "connect-src 'self'")
	l := pageLocale(c)
	data := map[string]any{"L": l, "Reference": c.Param("ref"), "Nonce": nonce}
	// Keyed by order status, plus the words of a payer's cancel, under a key no status has.
	words := map[string]statusWords{"cancelledByPayer": cancelledWords(l)}
	paid := ""
	if o, err := s.demoOrder(c); err == nil {
		paid = pageMoney(l, o.Amount) // the demo's orders are paid in one payment
		data["Total"], data["Placed"] = paid, l.Date(o.CreatedAt)
	}
	for _, st := range orders.Statuses() {
		words[string(st)] = orderStatusWords(l, st, paid)
	}
	data["Words"] = words
	c.Response().Header().Set(echo.HeaderContentType, echo.MIMETextHTMLCharsetUTF8)
	c.Response().Header().Set(echo.HeaderCacheControl, "no-store")
	c.Response().Header().Set(echo.HeaderVary, "Accept-Language")
	return demoPages.ExecuteTemplate(c.Response(), "order.html", data)
}

// demoOrder reads the order of the page's reference with the id and client secret the shop
// left in this browser's cookie.
func (s *Server) demoOrder(c echo.Context) (orders.Order, error) {
	ck, err := c.Cookie("demo_" + c.Param("ref"))
	if err != nil {
		return orders.Order{}, orders.Errorf(orders.EUnauthorized, "this order was not started from this browser")
	}
	v, _ := url.QueryUnescape(ck.Value)
	id, secret, _ := strings.Cut(v, ".")
	oid, err := uuid.Parse(id)
	if err != nil {
		return orders.Order{}, orders.Errorf(orders.ENotFound, "order %q does not exist", id)
	}
	return s.orders.GetWithClientSecret(c.Request().Context(), oid, secret)
}

// handleDemoRetry is POST /demo/orders/{reference}/retry: a new checkout for a failed order,
// allowed to the browser holding the order's client secret.
func (s *Server) handleDemoRetry(c echo.Context) error {
	o, err := s.demoOrder(c)
	if err != nil {
		return err
	}
	return s.demoCheckout(c, o)
}

// demoCheckout opens the order's checkout in the browser's language (es_CO for Spanish
// without a country) and sends the shopper to PlacetoPay's page.
func (s *Server) demoCheckout(c echo.Context, o orders.Order) error {
	sess, _, err := s.money.Checkouts.Checkout(c.Request().Context(), o.ID, orders.CheckoutParams{
		Locale: pageLocale(c).PlacetoPay(), IPAddress: c.RealIP(), UserAgent: c.Request().UserAgent(),
	})
	if err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, sess.ProcessURL)
}
