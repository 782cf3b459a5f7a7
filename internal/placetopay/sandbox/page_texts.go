package sandbox

import (
	"net/http"
	"time"

	"github.com/placetopay-gateway/gateway/internal/locale"
	pp "github.com/placetopay-gateway/gateway/internal/placetopay"
)

// The hosted pages speak the session's locale as PlacetoPay's do: Spanish for es_*, English
// for any other, es_CO when the session names none (locale.FromPlacetoPay). Dates are shown
// in the locale's country's zone when it has one (Colombia: UTC-05:00), else in the zone of
// the sandbox's API dates (Config.Location), with the offset written out. The API answers
// keep PlacetoPay's English status messages whatever the locale.

// pageLocale is how the hosted pages of s speak.
func (sb *Sandbox) pageLocale(s *session) locale.Locale {
	return locale.FromPlacetoPay(s.Locale, sb.cfg.Location, pageTexts)
}

// requestLocale is how a page that belongs to no session speaks: the ?locale= it was linked
// with (a PlacetoPay locale), else the browser's language.
func (sb *Sandbox) requestLocale(r *http.Request) locale.Locale {
	if code := r.URL.Query().Get("locale"); localePattern.MatchString(code) {
		return locale.FromPlacetoPay(code, sb.cfg.Location, pageTexts)
	}
	return locale.FromAcceptLanguage(r.Header.Get("Accept-Language"), pageTexts)
}

// pageMoney is an amount of the sandbox's for the page.
func pageMoney(l locale.Locale, m money) string { return l.Money(m.Cents, 2, m.Currency) }

// partLabels name PlacetoPay's tax and detail kinds on the page.
var partLabels = map[string]string{
	"valueAddedTax": "VAT (IVA)", "exciseDuty": "Excise duty", "ice": "ICE (special consumption tax)",
	"airportTax": "Airport tax", "stateTax": "State tax", "reducedStateTax": "Reduced state tax",
	"municipalTax": "Municipal tax",
	"discount":     "Discount", "additional": "Additional charge", "vatDevolutionBase": "VAT refund base",
	"shipping": "Shipping", "handlingFee": "Handling fee", "insurance": "Insurance", "giftWrap": "Gift wrapping",
	"subtotal": "Subtotal", "fee": "Fee", "tip": "Tip", "airline": "Airline charge", "interests": "Interest",
}

// pageParts are the summary lines of the taxes and details of s's amount.
func pageParts(l locale.Locale, s *session) []pagePart {
	var out []pagePart
	for _, p := range s.AmountParts {
		line := pagePart{Label: l.T(partLabels[p.Kind]), Amount: pageMoney(l, money{Currency: s.Amount.Currency, Cents: p.Cents}), Class: "detail"}
		if p.Tax {
			line.Class = "tax"
		}
		if p.HasBase {
			line.Amount = l.T("%s on a base of %s", line.Amount, pageMoney(l, money{Currency: s.Amount.Currency, Cents: p.BaseCents}))
		}
		out = append(out, line)
	}
	return out
}

// statusText is the session's status in words.
func (sb *Sandbox) statusText(l locale.Locale, s *session) string {
	switch s.State.Status {
	case pp.StatusPending:
		switch t := s.inProgress(); {
		case t == nil:
			return l.T("Awaiting payment")
		case t.status() == pp.StatusPendingConfirmation:
			return l.T("Approved, awaiting the merchant's confirmation")
		}
		return l.T("Payment being processed")
	case pp.StatusApproved:
		return l.T("Approved")
	case pp.StatusApprovedPartial:
		return l.T("Partly paid")
	case pp.StatusPartialExpired:
		return l.T("Ended with part of the amount paid")
	}
	switch s.State.Reason {
	case "?C":
		return l.T("Cancelled by you")
	case "MC":
		return l.T("Cancelled by the merchant")
	case sb.cfg.ExpiryReason:
		return l.T("Expired")
	}
	if s.State.Message == msgAttempts {
		return l.T("Rejected: the limit of payment attempts was reached")
	}
	return l.T("Rejected")
}

// transactionStatusText is an attempt's status in words.
func transactionStatusText(l locale.Locale, t *transaction) string {
	switch t.status() {
	case pp.StatusApproved:
		return l.T("Approved")
	case pp.StatusRejected:
		return l.T("Declined")
	case pp.StatusPending:
		return l.T("Pending")
	case pp.StatusPendingConfirmation:
		return l.T("Awaiting confirmation")
	}
	return t.status()
}

// noticeText is what the page says of the last attempt. A decline says plainly that nothing
// was charged and how many cards the payer may still try.
func (sb *Sandbox) noticeText(l locale.Locale, s *session, payable bool) (text string, declined bool) {
	n := s.Notice
	if n.Kind == "" {
		return "", false
	}
	card := n.Card.masked()
	switch n.Kind {
	case noticePending:
		return l.T("%s: the payment is pending; the bank answers by %s.", card, l.Date(n.At)), false
	case noticeToConfirm:
		return l.T("%s: the payment was approved and awaits the merchant's confirmation.", card), false
	case noticeApproved:
		return l.T("%s: the payment was approved.", card), false
	case noticeSaved:
		return l.T("%s: the card was saved.", card), false
	case noticeDeclined, noticeSaveDeclined:
		text = l.T("The card %s was declined by its issuer. Nothing was charged.", card)
		if n.Kind == noticeSaveDeclined {
			text = l.T("The card %s was declined by its issuer. It was not saved.", card)
		}
		switch left := sb.cfg.AttemptsLimit - s.Rejected; {
		case !payable:
		case left == 1:
			text += " " + l.T("You can try another card: this is the last attempt.")
		default:
			text += " " + l.T("You can try another card: %d attempts left.", left)
		}
		return text, true
	}
	return "", false
}

// behaviourText says what a test card does, for the test cards page.
func (sb *Sandbox) behaviourText(l locale.Locale, c card) string {
	delay := c.Delay
	if delay == 0 {
		delay = sb.cfg.PendingDelay
	}
	switch c.Behaviour {
	case approve:
		return l.T("Approves")
	case deny:
		return l.T("Declines")
	case pendingApprove:
		return l.T("Pending for %s, then approved", duration(l, delay))
	case pendingReject:
		return l.T("Pending for %s, then declined", duration(l, delay))
	case approveUnder:
		return l.T("Approves, except amounts in USD of %s or more", l.Money(200_00, 2, "USD"))
	case approveIfCVV:
		return l.T("Approves only with expiry 11/28 and CVV 917")
	}
	return string(c.Behaviour)
}

// duration is a pending card's wait in words: whole minutes, or seconds.
func duration(l locale.Locale, d time.Duration) string {
	if d%time.Minute == 0 {
		if d == time.Minute {
			return l.T("1 minute")
		}
		return l.T("%d minutes", int(d/time.Minute))
	}
	return l.T("%d seconds", int(d/time.Second))
}

// pageTexts are the hosted pages' texts in Spanish.
var pageTexts = locale.NewTexts(map[string]string{
	// page.html and cards.html
	"PlacetoPay sandbox":                       "Sandbox de PlacetoPay",
	"PlacetoPay sandbox: no real money moves.": "Sandbox de PlacetoPay: no se mueve dinero real.",
	"Pay with one of the test cards.":          "Pague con una de las tarjetas de prueba.",
	"Reference":                                "Referencia",
	"Description":                              "Descripción",
	"Amount":                                   "Monto",
	"Still due":                                "Saldo pendiente",
	// Taxes and details of the amount
	"VAT (IVA)":                     "IVA",
	"Excise duty":                   "Impuesto al consumo",
	"ICE (special consumption tax)": "ICE (impuesto a los consumos especiales)",
	"Airport tax":                   "Tasa aeroportuaria",
	"State tax":                     "Impuesto estatal",
	"Reduced state tax":             "Impuesto estatal reducido",
	"Municipal tax":                 "Impuesto municipal",
	"Discount":                      "Descuento",
	"Additional charge":             "Cargo adicional",
	"VAT refund base":               "Base de devolución del IVA",
	"Shipping":                      "Envío",
	"Handling fee":                  "Cargo de manejo",
	"Insurance":                     "Seguro",
	"Gift wrapping":                 "Envoltura de regalo",
	"Subtotal":                      "Subtotal",
	"Fee":                           "Tarifa",
	"Tip":                           "Propina",
	"Airline charge":                "Cargo de aerolínea",
	"Interest":                      "Intereses",
	"%s on a base of %s":            "%s sobre una base de %s",
	"Status":                        "Estado",
	"Expires":                       "Vence",
	"Card number":                   "Número de tarjeta",
	"Expiry":                        "Vencimiento",
	"MM/YY":                         "MM/AA",
	"Amount to pay now (%s, for example 40.50)": "Monto a pagar ahora (%s, por ejemplo 40.50)",
	"Cancel and return to %s":                   "Cancelar y volver a %s",
	"Return to %s":                              "Volver a %s",
	"Attempts":                                  "Intentos",
	"Request %s":                                "Solicitud %s",
	"Payment declined":                          "Pago rechazado",
	"Test cards":                                "Tarjetas de prueba",
	"Test cards of the PlacetoPay sandbox":      "Tarjetas de prueba del sandbox de PlacetoPay",
	"Type one of these numbers on the payment page. Any expiry date and CVV will do, unless the card says otherwise.": "Escriba uno de estos números en la página de pago. Sirve cualquier fecha de vencimiento y cualquier CVV, salvo que la tarjeta diga otra cosa.",
	"Brand":                                "Franquicia",
	"What it does":                         "Qué hace",
	"The same list as JSON, for tools: %s": "La misma lista en JSON, para herramientas: %s",
	// Titles and buttons
	"Pay with a card":                 "Pagar con tarjeta",
	"Pay":                             "Pagar",
	"Save a card for future payments": "Guardar una tarjeta para pagos futuros",
	"Save card":                       "Guardar tarjeta",
	"Authorize automatic payments with a card": "Autorizar pagos automáticos con una tarjeta",
	"Authorize":                           "Autorizar",
	"Authorize a card (preauthorization)": "Autorizar una tarjeta (preautorización)",
	// Statuses
	"Awaiting payment": "Esperando el pago",
	"Approved, awaiting the merchant's confirmation": "Aprobado, a la espera de la confirmación del comercio",
	"Payment being processed":                        "Pago en proceso",
	"Approved":                                       "Aprobado",
	"Partly paid":                                    "Pagado en parte",
	"Ended with part of the amount paid":             "Finalizado con parte del monto pagado",
	"Cancelled by you":                               "Cancelado por usted",
	"Cancelled by the merchant":                      "Cancelado por el comercio",
	"Expired":                                        "Vencido",
	"Rejected: the limit of payment attempts was reached": "Rechazado: se alcanzó el límite de intentos de pago",
	"Rejected":              "Rechazado",
	"Declined":              "Rechazado",
	"Pending":               "Pendiente",
	"Awaiting confirmation": "Esperando confirmación",
	// Notices
	"%s: the payment is pending; the bank answers by %s.":                                    "%s: el pago está pendiente; el banco responde a más tardar el %s.",
	"%s: the payment was approved and awaits the merchant's confirmation.":                   "%s: el pago fue aprobado y espera la confirmación del comercio.",
	"%s: the payment was approved.":                                                          "%s: el pago fue aprobado.",
	"%s: the card was saved.":                                                                "%s: la tarjeta quedó guardada.",
	"The card %s was declined by its issuer. Nothing was charged.":                           "La tarjeta %s fue rechazada por su emisor. No se realizó ningún cobro.",
	"The card %s was declined by its issuer. It was not saved.":                              "La tarjeta %s fue rechazada por su emisor. No quedó guardada.",
	"You can try another card: this is the last attempt.":                                    "Puede intentar con otra tarjeta: es el último intento.",
	"You can try another card: %d attempts left.":                                            "Puede intentar con otra tarjeta: le quedan %d intentos.",
	"The card %s is not a sandbox test card, so it was declined. Use one of the test cards.": "La tarjeta %s no es una tarjeta de prueba del sandbox, así que fue rechazada. Use una de las tarjetas de prueba.",
	"Enter the amount to pay as a number with at most two decimals, such as 40.50.":          "Escriba el monto a pagar como un número con dos decimales como máximo, por ejemplo 40.50.",
	"The amount must be more than zero and at most the %s still due.":                        "El monto debe ser mayor que cero y no superar el saldo pendiente de %s.",
	"This session cannot take a payment now.":                                                "Esta sesión no puede recibir un pago ahora.",
	"A payment is being processed: the session cannot be cancelled now.":                     "Hay un pago en proceso: la sesión no se puede cancelar ahora.",
	"This payment session does not exist.":                                                   "Esta sesión de pago no existe.",
	// Test cards
	"Approves":                      "Aprueba",
	"Declines":                      "Rechaza",
	"Pending for %s, then approved": "Queda pendiente %s y luego se aprueba",
	"Pending for %s, then declined": "Queda pendiente %s y luego se rechaza",
	"Approves, except amounts in USD of %s or more": "Aprueba, salvo montos en USD de %s o más",
	"Approves only with expiry 11/28 and CVV 917":   "Aprueba solo con vencimiento 11/28 y CVV 917",
	"1 minute":   "1 minuto",
	"%d minutes": "%d minutos",
	"%d seconds": "%d segundos",
})
