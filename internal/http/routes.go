package http

import (
	"net/http"
	"net/http/pprof"

	"github.com/labstack/echo/v4/middleware"

	"github.com/placetopay-gateway/gateway/internal/apikeys"
	"github.com/placetopay-gateway/gateway/internal/orders"
)

// routes is the whole public API surface.
func (s *Server) routes() {
	e := s.echo
	// metrics comes first so that it counts the 500 of a recovered panic too.
	e.Use(s.metrics.middleware)
	e.Use(s.recoverPanics)
	e.Use(securityHeaders(s.hsts))
	e.Use(refuseUnstorableText)
	e.Use(s.limitBody)
	// Echo's CORS allows every origin when given none; no origins must mean none allowed.
	if len(s.corsOrigins) > 0 {
		e.Use(middleware.CORSWithConfig(middleware.CORSConfig{
			AllowOrigins: s.corsOrigins,
			AllowMethods: []string{http.MethodGet},
			AllowHeaders: []string{"X-Client-Secret"},
			MaxAge:       600,
		}))
	}

	// noStore is per route: middleware on the group would make Echo answer 404 for a wrong
	// method under /v1 instead of 405.
	e.GET("/openapi.yaml", handleOpenAPI)

	v1 := e.Group("/v1")
	v1.POST("/orders", s.handleCreateOrder, noStore, s.requireAPIKey, s.idempotent)
	v1.GET("/orders", s.handleListOrders, noStore, s.requireAPIKey)
	v1.GET("/orders/:id", s.handleGetOrder, noStore, s.apiKeyOrClientSecret(s.perClient("/v1/orders/:id")))
	v1.POST("/orders/:id/cancel", s.handleCancelOrder, noStore, s.requireAPIKey, s.idempotent)
	v1.GET("/events", s.handleListEvents, noStore, s.requireAPIKey)
	if s.money != nil {
		v1.POST("/orders/:id/checkout", s.handleCheckout, noStore, s.requireAPIKey, s.idempotent)
		e.GET("/return/:id", s.handleReturn, s.perClient("/return/:id"))
		// Transaction actions (handle_transactions.go).
		v1.POST("/orders/:id/refunds", s.handleRefund, noStore, s.requireAPIKey, s.idempotent)
		v1.GET("/orders/:id/refunds", s.handleListRefunds, noStore, s.requireAPIKey)
		v1.POST("/orders/:id/capture", s.handleCapture, noStore, s.requireAPIKey, s.idempotent)
		v1.POST("/orders/:id/reauthorize", s.handleReauthorize, noStore, s.requireAPIKey, s.idempotent)
		v1.POST("/orders/:id/release", s.handleRelease, noStore, s.requireAPIKey, s.idempotent)
		v1.POST("/orders/:id/payments/:ref/confirm", s.handlePaymentAction(orders.ActionConfirm), noStore, s.requireAPIKey, s.idempotent)
		v1.POST("/orders/:id/payments/:ref/cancel", s.handlePaymentAction(orders.ActionCancel), noStore, s.requireAPIKey, s.idempotent)
	}
	if s.wallet != nil {
		v1.GET("/customers/:ref/payment-methods", s.handleListPaymentMethods, noStore, s.requireAPIKey)
		v1.DELETE("/customers/:ref/payment-methods/:id", s.handleDeletePaymentMethod, noStore, s.requireAPIKey)
		v1.POST("/charges", s.handleCharge, noStore, s.requireAPIKey, s.idempotent)
	}
	if s.demo && s.money != nil {
		e.GET("/demo", s.handleDemoShop, s.perClient("/demo"))
		e.POST("/demo/pay", s.handleDemoPay, s.perClient("/demo/pay"))
		e.GET("/demo/orders/:ref", s.handleDemoOrder, s.perClient("/demo/orders/:ref"))
		e.POST("/demo/orders/:ref/retry", s.handleDemoRetry, s.perClient("/demo/orders/:ref/retry"))
	}
	if s.inbox != nil {
		// Not limited per client (see RateLimit), only in how many are taken in at once
		// (IntakeLimit).
		e.POST("/webhooks/placetopay", s.handlePlacetoPayNotification)
		// Another site's (docs/sites.md); Echo matches the static autopay paths first, and
		// no site may be named autopay.
		e.POST("/webhooks/placetopay/:site", s.handlePlacetoPayNotification)
	}
	if s.autopay != nil {
		v1.POST("/autopay", s.handleCreateAutopay, noStore, s.requireAPIKey, s.idempotent)
		v1.GET("/autopay", s.handleListAutopay, noStore, s.requireAPIKey)
		v1.GET("/autopay/:id", s.handleGetAutopay, noStore, s.requireAPIKey)
		v1.PATCH("/autopay/:id", s.handleEditAutopay, noStore, s.requireAPIKey, s.idempotent)
		v1.POST("/autopay/:id/edit", s.handleEditAutopay, noStore, s.requireAPIKey, s.idempotent)
		v1.POST("/autopay/:id/cancel", s.handleCancelAutopay, noStore, s.requireAPIKey, s.idempotent)
	}
	if s.autopayHook {
		e.POST("/webhooks/placetopay/autopay", s.handleAutopayWebhook, s.autopayBasicAuth)
		e.POST("/webhooks/placetopay/autopay/webhook", s.handleAutopayWebhook, s.autopayBasicAuth)
		e.POST("/webhooks/placetopay/autopay/settlement", s.handleAutopaySettlement, s.autopayBasicAuth)
	}
}

// checkoutRoutes are the writes a checkout key may make: what a storefront does to take a
// payment. Every other write under /v1 (refunds, cancels, captures, charges, autopay and any
// route added later) needs a full key; reads need any key.
var checkoutRoutes = map[string]bool{
	http.MethodPost + " /v1/orders":              true,
	http.MethodPost + " /v1/orders/:id/checkout": true,
}

// routeAccess classes a request by its route template for the key scopes.
func routeAccess(method, route string) apikeys.Access {
	switch {
	case method == http.MethodGet || method == http.MethodHead:
		return apikeys.AccessRead
	case checkoutRoutes[method+" "+route]:
		return apikeys.AccessCheckout
	}
	return apikeys.AccessWrite
}

// WithProfiling serves Go's profiles (net/http/pprof) under /debug/pprof/ beside admin's
// routes: GATEWAY_PPROF=true, for measuring the gateway under load.
func WithProfiling(admin http.Handler) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	mux.Handle("/", admin)
	return mux
}
