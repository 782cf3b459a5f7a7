package http

import "github.com/placetopay-gateway/gateway/internal/locale"

// consoleTexts are the console's page texts in Spanish. Raw values (statuses, PlacetoPay's
// fields, action names in data attributes) stay as the API writes them; what the domain says
// when it refuses an action is shown in English after a Spanish sentence.
var consoleTexts = locale.NewTexts(map[string]string{ //nolint:gosec // page texts: "password" here is a label, not a credential
	// Layout and navigation
	"Gateway console": "Consola de la pasarela", "Skip to content": "Saltar al contenido", "Console": "Consola",
	"Home": "Inicio", "Orders": "Pedidos", "Audit log": "Registro de auditoría", "Search orders": "Buscar pedidos",
	"Search": "Buscar", "id, reference, requestId, email…": "id, referencia, requestId, correo…", "Sign out": "Cerrar sesión",
	"Language": "Idioma", "viewer": "lectura", "support": "soporte", "admin": "administración",
	"Something went wrong": "Algo salió mal", "Back to the console": "Volver a la consola",
	// Sign-in and enrollment
	"Sign in": "Iniciar sesión", "Email": "Correo electrónico", "Password": "Contraseña",
	"Authenticator code (if you set one up)":              "Código del autenticador (si configuró uno)",
	"Your password is set. Sign in with it.":              "Su contraseña quedó configurada. Inicie sesión con ella.",
	"Not signed in: %s.":                                  "No se inició la sesión: %s.",
	"Set your password":                                   "Elija su contraseña",
	"Choose the password for %s: at least 12 characters.": "Elija la contraseña de %s: al menos 12 caracteres.",
	"Password again":                                      "Repita la contraseña",
	"Also use an authenticator app (TOTP) to sign in":     "Usar también una app de autenticación (TOTP) para iniciar sesión",
	"Set my password":                                     "Guardar mi contraseña",
	"Add your authenticator":                              "Agregue su autenticador",
	"Add this key to your authenticator app, then type the code it shows.": "Agregue esta clave a su app de autenticación y escriba el código que muestra.",
	"Key": "Clave", "Or this address, in apps that read it": "O esta dirección, en las apps que la leen", "Code": "Código",
	"Confirm": "Confirmar",
	// Home
	"Needs a person": "Requiere una persona", "In review": "En revisión",
	"Actions with an unknown outcome":                "Acciones con resultado desconocido",
	"Sessions pending past their expiry":             "Sesiones pendientes después de vencer",
	"Orders with undelivered events":                 "Pedidos con eventos sin entregar",
	"Payments found without a notification":          "Pagos encontrados sin notificación",
	"Today (UTC)":                                    "Hoy (UTC)",
	"Approved payments":                              "Pagos aprobados",
	"Approval rate":                                  "Tasa de aprobación",
	"Notifications missed, last 24 hours":            "Notificaciones perdidas, últimas 24 horas",
	"Notifications signed with SHA-1, last 24 hours": "Notificaciones firmadas con SHA-1, últimas 24 horas",
	"of %d":                             "de %d",
	"Approvals per hour, last 24 hours": "Aprobaciones por hora, últimas 24 horas",
	"%s: %d approvals":                  "%s: %d aprobaciones",
	// Search
	"any": "cualquiera", "Created from": "Creado desde", "Created before": "Creado antes de",
	"Minimum (minor units)": "Mínimo (unidades menores)", "Maximum (minor units)": "Máximo (unidades menores)",
	"Filter": "Filtrar", "%d orders, newest first": "%d pedidos, los más recientes primero",
	"Reference": "Referencia", "Status": "Estado", "Amount": "Monto", "Created": "Creado", "Updated": "Actualizado",
	// The order
	"Order": "Pedido", "Order %s": "Pedido %s", "Summary": "Resumen", "Paid": "Pagado", "Refunded": "Reembolsado",
	"Id": "Id", "This order's audit log as CSV": "Registro de auditoría de este pedido en CSV",
	"Actions": "Acciones", "Sessions": "Sesiones", "Attempt": "Intento", "Reason": "Motivo", "Expires": "Vence",
	"Payments": "Pagos", "Franchise": "Franquicia", "Last digits": "Últimos dígitos", "Authorization": "Autorización",
	"Receipt": "Recibo", "Kind": "Tipo", "Refund": "Reembolsar", "unconfirmed": "sin confirmar", "no": "no",
	"Refunds": "Reembolsos", "Payment": "Pago", "State": "Estado", "Message": "Mensaje", "Settle": "Resolver",
	"Transaction actions": "Acciones de transacción", "Action": "Acción", "Timeline": "Historia",
	"PlacetoPay's answer": "Respuesta de PlacetoPay", "Notifications received": "Notificaciones recibidas",
	"Received": "Recibida", "Signature": "Firma", "Duplicates": "Duplicadas", "Processed": "Procesada",
	"Events": "Eventos", "Type": "Tipo", "Delivered": "Entregado", "Given up": "Abandonado", "Attempts": "Intentos",
	"Redeliver": "Reenviar", "When": "Cuándo", "Who": "Quién", "Target": "Objeto",
	"API key %s": "Clave de API %s",
	// Action forms
	"Outcome": "Resultado", "refunded": "reembolsado", "not refunded": "no reembolsado",
	"it happened": "se hizo", "it did not happen": "no se hizo",
	"PlacetoPay's internalReference (a capture or reauthorization that happened)": "internalReference de PlacetoPay (de una captura o reautorización hecha)",
	"Amount in %s (empty: all)": "Monto en %s (vacío: todo)", "Resolve to": "Resolver como",
	"Accept a discrepancy between the payments and the amount": "Aceptar una diferencia entre los pagos y el monto",
	"Query PlacetoPay now": "Consultar a PlacetoPay ahora", "Cancel the order": "Cancelar el pedido", "Capture": "Capturar",
	"Release the hold": "Liberar la retención", "Resolve the review": "Resolver la revisión",
	// What an action did, or why not
	"PlacetoPay was queried; the order shows what it answered.":    "Se consultó a PlacetoPay; el pedido muestra lo que respondió.",
	"The refund was requested; its state is in the refunds table.": "Se solicitó el reembolso; su estado está en la tabla de reembolsos.",
	"The order was cancelled.":                                     "El pedido fue cancelado.",
	"The capture was requested.":                                   "Se solicitó la captura.",
	"The hold was released.":                                       "Se liberó la retención.",
	"The review was resolved.":                                     "Se resolvió la revisión.",
	"It was settled as you said.":                                  "Quedó resuelto como indicó.",
	"The event is due for delivery again.":                         "El evento se entregará de nuevo.",
	"The form has expired: reload the page and try again.":         "El formulario venció: recargue la página e intente de nuevo.",
	"Your role may not do this.":                                   "Su rol no permite hacer esto.",
	"Not allowed: %s.":                                             "No permitido: %s.",
	"Not found: %s.":                                               "No encontrado: %s.",
	"Nothing was done: %s.":                                        "No se hizo nada: %s.",
	"The request was not understood: %s":                           "No se entendió la solicitud: %s",
	"Something went wrong on our side; try again.":                 "Algo falló de nuestro lado; intente de nuevo.",
	// The audit log
	"Download as CSV": "Descargar en CSV", "Audit log, newest first": "Registro de auditoría, lo más reciente primero",
})
