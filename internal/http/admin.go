package http

import (
	"net/http"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"

	"github.com/placetopay-gateway/gateway/internal/apikeys"
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
	Keys        *apikeys.Service
	Orders      *orders.Service
	Money       *MoneyPath
	Idempotency *idempotency.Store
	Log         *zap.Logger
	Registerer  prometheus.Registerer
	// InsecureCookie drops Secure from the session cookie: development over plain http
	// only (production refuses it).
	InsecureCookie bool
}

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

// adminRoutes is the whole operator API (admin-openapi.yaml). Reading needs any operator;
// each action needs the role operators.Allowed says, and a reason.
func (s *Server) adminRoutes() {
	e := s.echo
	e.GET("/admin/openapi.yaml", handleAdminOpenAPI)
	api := e.Group("/admin/api")
	api.POST("/session", s.handleSignIn, noStore)
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
	if s.console.Keys != nil {
		// Creating a key is not idempotent on purpose (handle_admin_keys.go).
		api.GET("/keys", s.handleAdminKeys, noStore, s.requireOperator)
		api.POST("/keys", s.handleAdminCreateKey, noStore, s.requireOperator, s.requireRole(operators.ActionManageKeys))
		api.POST("/keys/:id/revoke", s.handleAdminRevokeKey, noStore, s.requireOperator, s.requireRole(operators.ActionManageKeys), s.idempotent)
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
