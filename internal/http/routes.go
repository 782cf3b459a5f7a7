package http

import (
	"net/http"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
)

// routes is the whole public API surface.
func (s *Server) routes() {
	e := s.echo
	e.Use(s.recoverPanics)
	e.Use(s.metrics.middleware)
	e.Use(middleware.BodyLimit("64K"))
	e.Use(middleware.CORSWithConfig(middleware.CORSConfig{
		AllowOrigins: s.corsOrigins,
		AllowMethods: []string{http.MethodGet},
		AllowHeaders: []string{"X-Client-Secret"},
		MaxAge:       600,
	}))

	v1 := e.Group("/v1")
	v1.POST("/orders", s.handleCreateOrder, s.requireAPIKey, s.idempotent)
	v1.GET("/orders", s.handleListOrders, s.requireAPIKey)
	v1.GET("/orders/:id", s.handleGetOrder, s.apiKeyOrClientSecret)
	v1.POST("/orders/:id/cancel", s.handleCancelOrder, s.requireAPIKey, s.idempotent)
}

// NewAdminHandler returns the admin listener's handler: liveness, readiness and metrics.
func NewAdminHandler(ready Readiness, metrics http.Handler) http.Handler {
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.GET("/healthz", func(c echo.Context) error {
		return c.JSON(http.StatusOK, map[string]string{"status": "ok"})
	})
	e.GET("/readyz", func(c echo.Context) error {
		if err := ready(c.Request().Context()); err != nil {
			return c.JSON(http.StatusServiceUnavailable, map[string]string{"status": "unavailable", "reason": err.Error()})
		}
		return c.JSON(http.StatusOK, map[string]string{"status": "ready"})
	})
	e.GET("/metrics", echo.WrapHandler(metrics))
	return e
}
