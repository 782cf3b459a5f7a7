package http

import (
	"github.com/labstack/echo/v4"

	"github.com/placetopay-gateway/gateway/internal/locale"
	"github.com/placetopay-gateway/gateway/internal/orders"
)

// The gateway's pages (the demo shop, its order page and the status page at /return/{id})
// speak the browser's language, Spanish or English (English when it asks for neither), and
// write amounts and dates for its locale (internal/locale): dates in the country's zone when
// the browser names one that has a single zone (es-CO: Bogotá), else in UTC, said so.

// pageLocale is the locale of the browser that asked for a page.
func pageLocale(c echo.Context) locale.Locale {
	return locale.FromAcceptLanguage(c.Request().Header.Get("Accept-Language"), pageTexts)
}

// pageMoney is m for a page.
func pageMoney(l locale.Locale, m orders.Money) string {
	exp, _ := orders.CurrencyExponent(m.Currency) // every order's currency is known
	return l.Money(m.Minor, exp, m.Currency)
}

// statusWords is how a page says an order's status: a title and a sentence.
type statusWords struct {
	Title  string `json:"title"`
	Detail string `json:"detail"`
	Class  string `json:"class"` // paid, failed or none, for the page's colours
}

// cancelledWords is what a page says of a failed order whose payer cancelled on PlacetoPay's
// page (cancelledByPayer): the payment was cancelled, not refused.
func cancelledWords(l locale.Locale) statusWords {
	return statusWords{l.T("Payment cancelled"), l.T("You cancelled the payment on PlacetoPay's page. Nothing was charged; you can try again."), "failed"}
}

// orderStatusWords is what a page says of an order in status; paid is the amount paid, for
// the words of a paid order.
func orderStatusWords(l locale.Locale, status orders.Status, paid string) statusWords {
	switch status {
	case orders.StatusPending:
		return statusWords{l.T("Waiting for your bank"), l.T("This page updates by itself."), ""}
	case orders.StatusPaid:
		return statusWords{l.T("Paid"), l.T("%s received. Thank you!", paid), "paid"}
	case orders.StatusFailed:
		return statusWords{l.T("Payment failed"), l.T("Nothing was charged. You can try again."), "failed"}
	case orders.StatusAuthorized:
		return statusWords{l.T("Authorized"), l.T("The amount is held on your card until the shop charges it."), "paid"}
	case orders.StatusPartiallyPaid:
		return statusWords{l.T("Partly paid"), l.T("%s received so far.", paid), ""}
	case orders.StatusCancelled:
		return statusWords{l.T("Cancelled"), l.T("The shop cancelled this order. Nothing was charged."), "failed"}
	case orders.StatusReview:
		return statusWords{l.T("Under review"), l.T("The shop is checking this payment; it will contact you."), ""}
	case orders.StatusPartiallyRefunded:
		return statusWords{l.T("Partly refunded"), l.T("Part of the payment was refunded."), ""}
	case orders.StatusRefunded:
		return statusWords{l.T("Refunded"), l.T("The payment was refunded."), ""}
	}
	return statusWords{Title: string(status)}
}

// cancelledByPayer reports whether o failed because its payer cancelled on PlacetoPay's page:
// its newest session is REJECTED with reason ?C (docs/placetopay.md#reason-codes).
func cancelledByPayer(o orders.Order) bool {
	return o.Status == orders.StatusFailed && len(o.Sessions) > 0 &&
		o.Sessions[0].Status == orders.ProviderRejected && o.Sessions[0].Reason == "?C"
}

// pageTexts are the gateway's page texts in Spanish.
var pageTexts = locale.NewTexts(map[string]string{
	// Order statuses
	"Waiting for your bank":                   "Esperando a su banco",
	"This page updates by itself.":            "Esta página se actualiza sola.",
	"Paid":                                    "Pagado",
	"%s received. Thank you!":                 "Recibimos %s. ¡Gracias!",
	"Payment failed":                          "Pago fallido",
	"Nothing was charged. You can try again.": "No se realizó ningún cobro. Puede intentarlo de nuevo.",
	"Payment cancelled":                       "Pago cancelado",
	"You cancelled the payment on PlacetoPay's page. Nothing was charged; you can try again.": "Usted canceló el pago en la página de PlacetoPay. No se realizó ningún cobro; puede intentarlo de nuevo.",
	"Authorized": "Autorizado",
	"The amount is held on your card until the shop charges it.": "El monto queda retenido en su tarjeta hasta que la tienda lo cobre.",
	"Partly paid":         "Pagado en parte",
	"%s received so far.": "Recibimos %s hasta ahora.",
	"Cancelled":           "Cancelado",
	"The shop cancelled this order. Nothing was charged.": "La tienda canceló este pedido. No se realizó ningún cobro.",
	"Under review": "En revisión",
	"The shop is checking this payment; it will contact you.": "La tienda está revisando este pago; se pondrá en contacto con usted.",
	"Partly refunded":                   "Reembolsado en parte",
	"Part of the payment was refunded.": "Se reembolsó parte del pago.",
	"Refunded":                          "Reembolsado",
	"The payment was refunded.":         "El pago fue reembolsado.",
	// The demo shop
	"Demo shop": "Tienda de demostración",
	"Demo storefront on the PlacetoPay sandbox: no real money moves.": "Tienda de demostración sobre el sandbox de PlacetoPay: no se mueve dinero real.",
	"Gateway T-shirt":                       "Camiseta Gateway",
	"Organic cotton, one size. Quantity 1.": "Algodón orgánico, talla única. Cantidad: 1.",
	"Total":                                 "Total",
	"Subtotal":                              "Subtotal",
	"VAT (IVA 19 %%)":                       "IVA (19 %%)",
	"Pay with PlacetoPay":                   "Pagar con PlacetoPay",
	"Sandbox test cards:":                   "Tarjetas de prueba del sandbox:",
	"approves":                              "aprueba",
	"declines: the payment page lets you try another card": "rechaza: la página de pago le deja intentar con otra tarjeta",
	"pending, then approved":                               "pendiente, luego aprobada",
	"pending, then rejected":                               "pendiente, luego rechazada",
	// The order page and the status page
	"Your order":             "Su pedido",
	"Order %s":               "Pedido %s",
	"Placed on %s":           "Realizado el %s",
	"Updated on %s":          "Actualizado el %s",
	"Amount":                 "Monto",
	"Status":                 "Estado",
	"Checking your payment…": "Consultando su pago…",
	"This order was not started from this browser.": "Este pedido no se inició desde este navegador.",
	"Try again":                "Intentar de nuevo",
	"Back to the shop":         "Volver a la tienda",
	"You can close this page.": "Puede cerrar esta página.",
	"Nothing was charged.":     "No se realizó ningún cobro.",
	"You cancelled the payment on PlacetoPay's page. Nothing was charged.":       "Usted canceló el pago en la página de PlacetoPay. No se realizó ningún cobro.",
	"Your bank has not answered yet. Reload this page to see the latest status.": "Su banco aún no ha respondido. Recargue esta página para ver el estado más reciente.",
})
