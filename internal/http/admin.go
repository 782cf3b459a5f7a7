package http

import (
	"net"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"

	"github.com/placetopay-gateway/gateway/internal/apikeys"
	"github.com/placetopay-gateway/gateway/internal/endpoints"
	"github.com/placetopay-gateway/gateway/internal/idempotency"
	"github.com/placetopay-gateway/gateway/internal/operators"
	"github.com/placetopay-gateway/gateway/internal/orders"
)

// AdminConfig is what the admin listener serves: liveness, readiness, metrics and, with a
// Console, the operator console's API under /admin/api.
type AdminConfig struct {
	Ready   Readiness
	Metrics http.Handler
	Console *Console
}

// Console is what the operator API needs.
type Console struct {
	Operators *operators.Service
	// Keys serves /admin/api/keys; without it those routes are not served.
	Keys *apikeys.Service
	// Endpoints serves /admin/api/endpoints; without it those routes are not served.
	Endpoints   *endpoints.Service
	Orders      *orders.Service
	Money       *MoneyPath
	Idempotency *idempotency.Store
	Log         *zap.Logger
	Registerer  prometheus.Registerer
	// InsecureCookie drops Secure from the session cookie: development over plain http
	// only (production refuses it).
	InsecureCookie bool
	// TrustedProxies are the proxies in front of the admin listener whose X-Forwarded-For
	// names the client, for the per-address sign-in limit (as RateLimit.TrustedProxies).
	TrustedProxies []*net.IPNet
}

// Sign-in attempts one client address may make, besides each operator's lockout
// (operators.MaxFailures): a burst of SignInBurst, then one every SignInEvery, so at most
// 20 in any 15 minutes. Refused attempts are 429 with Retry-After before the email is even
// looked at, so the answer says nothing about whether it exists. Counted per replica, like
// the public listener's limit.
const (
	SignInBurst = 10
	SignInEvery = 90 * time.Second
)

// NewAdminHandler returns the admin listener's handler: liveness, readiness and metrics.
func NewAdminHandler(ready Readiness, metrics http.Handler) http.Handler {
	return NewAdmin(AdminConfig{Ready: ready, Metrics: metrics})
}

// NewAdmin returns the admin listener's handler.
func NewAdmin(cfg AdminConfig) http.Handler {
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.Use(securityHeaders(false))
	e.GET("/healthz", func(c echo.Context) error {
		return c.JSON(http.StatusOK, map[string]string{"status": "ok"})
	})
	e.GET("/readyz", func(c echo.Context) error {
		if err := cfg.Ready(c.Request().Context()); err != nil {
			return c.JSON(http.StatusServiceUnavailable, map[string]string{"status": "unavailable", "reason": err.Error()})
		}
		return c.JSON(http.StatusOK, map[string]string{"status": "ready"})
	})
	e.GET("/metrics", echo.WrapHandler(cfg.Metrics))
	if con := cfg.Console; con != nil {
		if con.Operators == nil || con.Orders == nil || con.Money == nil || con.Idempotency == nil || con.Log == nil || con.Registerer == nil {
			panic("http: the console needs operators, orders, the money path, idempotency, a logger and a registry")
		}
		s := &Server{echo: e, orders: con.Orders, idempotency: con.Idempotency, log: con.Log, money: con.Money,
			console: con, operatorActions: newOperatorMetrics(con.Registerer)}
		e.HTTPErrorHandler = s.handleError
		s.adminRoutes()
	}
	return e
}

// adminRoutes is the whole operator API (admin-openapi.yaml) and the console's pages. Reading needs any operator;
// each action needs the role operators.Allowed says, and a reason.
func (s *Server) adminRoutes() {
	e := s.echo
	e.GET("/admin/openapi.yaml", handleAdminOpenAPI)
	api := e.Group("/admin/api")
	signIns := newBucketLimiter(SignInBurst, SignInEvery, s.console.TrustedProxies, "at most 20 sign-ins in 15 minutes")
	api.POST("/session", s.handleSignIn, noStore, s.limitBy(signIns, "/admin/api/session"))
	api.DELETE("/session", s.handleSignOut, noStore, s.requireOperator)
	api.GET("/orders", s.handleAdminSearch, noStore, s.requireOperator)
	api.GET("/orders/:id", s.handleAdminOrder, noStore, s.requireOperator)
	api.GET("/audit", s.handleAdminAudit, noStore, s.requireOperator)
	api.GET("/audit.csv", s.handleAdminAuditCSV, noStore, s.requireOperator)
	for _, a := range []string{operators.ActionQuery, operators.ActionRefund, operators.ActionCancel, operators.ActionCapture,
		operators.ActionRelease, operators.ActionResolve, operators.ActionSettle} {
		api.POST("/orders/:id/"+a, s.handleOrderAction(a), noStore, s.requireOperator, s.requireRole(a), s.idempotent)
	}
	api.POST("/events/:id/redeliver", s.handleRedeliver, noStore, s.requireOperator, s.requireRole(operators.ActionRedeliver), s.idempotent)
	api.POST("/events/redeliver", s.handleRedeliverSince, noStore, s.requireOperator, s.requireRole(operators.ActionRedeliverSince), s.idempotent)
	api.GET("/delivery", s.handleDeliveryState, noStore, s.requireOperator)
	api.POST("/delivery/pause", s.handleDeliveryPause(operators.ActionPauseDelivery), noStore, s.requireOperator,
		s.requireRole(operators.ActionPauseDelivery), s.idempotent)
	api.POST("/delivery/resume", s.handleDeliveryPause(operators.ActionResumeDelivery), noStore, s.requireOperator,
		s.requireRole(operators.ActionResumeDelivery), s.idempotent)
	api.GET("/overview", s.handleAdminOverview, noStore, s.requireOperator)

	// The console's pages (handle_console_*.go): the same session, roles and actions. Each
	// page answers no-store with the pages' policy (consolePageMiddleware); signed out, a
	// page redirects to the sign-in page (consoleSession).
	page, signedIn := s.consolePageMiddleware, s.consoleSession
	e.GET("/console/static/console.css", handleConsoleCSS)
	e.GET("/console/enroll", s.handleConsoleEnrollForm, page)
	e.POST("/console/enroll", s.handleConsoleEnroll, page)
	e.POST("/console/enroll/totp", s.handleConsoleEnrollTOTP, page)
	e.GET("/console/signin", s.handleConsoleSignInForm, page)
	e.POST("/console/signin", s.handleConsoleSignIn, page)
	e.POST("/console/signout", s.handleConsoleSignOut, page, signedIn)
	e.GET("/console", s.handleConsoleHome, page, signedIn)
	e.GET("/console/orders", s.handleConsoleOrders, page, signedIn)
	e.GET("/console/orders/:id", s.handleConsoleOrder, page, signedIn)
	e.GET("/console/audit", s.handleConsoleAudit, page, signedIn)
	s.consoleActionRoutes()
	s.consoleDeliveryRoutes()
	if s.console.Keys != nil {
		// Creating a key is not idempotent on purpose (handle_admin_keys.go).
		api.GET("/keys", s.handleAdminKeys, noStore, s.requireOperator)
		api.POST("/keys", s.handleAdminCreateKey, noStore, s.requireOperator, s.requireRole(operators.ActionManageKeys))
		api.POST("/keys/:id/revoke", s.handleAdminRevokeKey, noStore, s.requireOperator, s.requireRole(operators.ActionManageKeys), s.idempotent)
		s.consoleKeysRoutes()
	}
	if s.console.Endpoints != nil {
		// Creating and rotating show a secret: not idempotent, like key creation.
		manage := s.requireRole(operators.ActionManageEndpoints)
		api.GET("/endpoints", s.handleAdminEndpoints, noStore, s.requireOperator)
		api.POST("/endpoints", s.handleAdminCreateEndpoint, noStore, s.requireOperator, manage)
		api.POST("/endpoints/:id/disable", s.handleAdminEndpointState(false), noStore, s.requireOperator, manage, s.idempotent)
		api.POST("/endpoints/:id/enable", s.handleAdminEndpointState(true), noStore, s.requireOperator, manage, s.idempotent)
		api.POST("/endpoints/:id/rotate", s.handleAdminRotateEndpoint, noStore, s.requireOperator, manage)
		api.POST("/endpoints/:id/replay", s.handleAdminReplayEndpoint, noStore, s.requireOperator, manage, s.idempotent)
		s.consoleEndpointsRoutes()
	}
}

// operatorMetrics counts operator actions that succeeded, by action and role: both labels
// come from fixed sets (operators.Actions, the three roles).
func newOperatorMetrics(reg prometheus.Registerer) *prometheus.CounterVec {
	c := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "gateway_operator_actions_total",
		Help: "Actions operators took through the console or its API that succeeded, by action and role.",
	}, []string{"action", "role"})
	reg.MustRegister(c)
	return c
}
