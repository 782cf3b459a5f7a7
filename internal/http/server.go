// Package http is the gateway's HTTP surface: the merchant API, the webhooks and the admin
// endpoints, on Echo. It is the only package that imports Echo.
package http

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"

	"github.com/placetopay-gateway/gateway/internal/apikeys"
	"github.com/placetopay-gateway/gateway/internal/autopay"
	"github.com/placetopay-gateway/gateway/internal/idempotency"
	"github.com/placetopay-gateway/gateway/internal/orders"
	"github.com/placetopay-gateway/gateway/internal/webhooks"
)

// Config is what the public server needs to know besides its dependencies.
type Config struct {
	APIKeys []string // secret keys accepted on /v1, with full scope
	// Keys checks the API keys kept in the database (gateway keys); without it only APIKeys
	// are accepted.
	Keys        *apikeys.Service
	CORSOrigins []string // storefront origins allowed to read an order's status

	// The money path: checkout, returns, refreshes, transaction actions and PlacetoPay's
	// notifications. Without them those routes are not served.
	Money *MoneyPath
	Inbox *webhooks.Inbox

	// Demo serves the demo storefront under /demo (development only); PublicURL is where
	// shoppers reach this listener.
	Demo      bool
	PublicURL string

	// RateLimit bounds what one client address may ask of the routes that need no API key.
	RateLimit RateLimit
	// Intake bounds the PlacetoPay notifications taken in at once.
	Intake IntakeLimit

	// Production (GATEWAY_ENV=production) adds Strict-Transport-Security to every answer:
	// production is served over https only.
	Production bool

	// Wallet serves stored payment methods and charges (/v1/customers, /v1/charges); without
	// it those routes are not served.
	Wallet *orders.Wallet

	// Events serves GET /v1/events (webhooks.EventLog); without it that route fails.
	Events EventLister

	// Autopay serves /v1/autopay; with AutopayWebhook also PlacetoPay's autopay webhook and
	// settlement calls, which must carry these Basic credentials. Without them those routes
	// are not served.
	Autopay        *autopay.Service
	AutopayWebhook *BasicCredentials
}

// MoneyPath is the parts of the money path the routes call.
type MoneyPath struct {
	Checkouts  *orders.Checkouts  // checkout and cancel
	Reconciler *orders.Reconciler // returns and refreshes query PlacetoPay through it
	Actions    *orders.Actions    // refunds, preauthorization and confirmation
}

// maxBody bounds every request body.
const maxBody = 64 << 10

// Server serves the public listener: the merchant API and the webhooks.
type Server struct {
	echo        *echo.Echo
	orders      *orders.Service
	idempotency *idempotency.Store
	log         *zap.Logger
	metrics     *metrics
	apiKeys     []apiKey
	keys        *apikeys.Service
	corsOrigins []string
	money       *MoneyPath
	inbox       *webhooks.Inbox
	demo        bool
	hsts        bool           // answers carry Strict-Transport-Security
	clients     *clientLimiter // nil: no per-client limit
	intake      *intakeSlots   // nil: no limit on the notifications taken in at once
	publicURL   string
	events      EventLister
	wallet      *orders.Wallet
	autopay     *autopay.Service
	autopayHook bool
	autopayUser [32]byte // SHA-256 of the autopay Basic user and password
	autopayPass [32]byte

	// The admin listener's console API (admin.go); nil on the public server.
	console         *Console
	operatorActions *prometheus.CounterVec
}

type apiKey struct {
	digest [32]byte
	owner  string // fingerprint that scopes idempotency keys; reveals nothing of the key
}

// NewServer returns the public server. reg receives its metrics.
func NewServer(cfg Config, svc *orders.Service, idem *idempotency.Store, log *zap.Logger, reg prometheus.Registerer) *Server {
	if svc == nil || idem == nil || log == nil || reg == nil {
		panic("http: NewServer needs orders, idempotency, a logger and a registry")
	}
	s := &Server{
		echo: echo.New(), orders: svc, idempotency: idem, log: log,
		metrics: newMetrics(reg), corsOrigins: cfg.CORSOrigins,
		money: cfg.Money, inbox: cfg.Inbox, demo: cfg.Demo, hsts: cfg.Production, clients: newClientLimiter(cfg.RateLimit), publicURL: strings.TrimRight(cfg.PublicURL, "/"),
		events: cfg.Events, wallet: cfg.Wallet, autopay: cfg.Autopay, keys: cfg.Keys, intake: newIntakeSlots(cfg.Intake),
	}
	if cfg.Autopay != nil && cfg.AutopayWebhook != nil {
		s.autopayHook = true
		s.autopayUser, s.autopayPass = sha256.Sum256([]byte(cfg.AutopayWebhook.User)), sha256.Sum256([]byte(cfg.AutopayWebhook.Password))
	}
	for _, k := range cfg.APIKeys {
		d := sha256.Sum256([]byte(k))
		s.apiKeys = append(s.apiKeys, apiKey{digest: d, owner: hex.EncodeToString(d[:8])})
	}
	s.echo.HideBanner, s.echo.HidePort = true, true
	s.echo.HTTPErrorHandler = s.handleError
	s.routes()
	return s
}

// Handler returns the server's HTTP handler.
func (s *Server) Handler() http.Handler { return s.echo }

// NewHTTPServer wraps h with the timeouts every listener of the gateway uses: slow or idle
// clients cannot hold connections, and a handler (PlacetoPay calls included) must finish
// within the write timeout.
func NewHTTPServer(addr string, h http.Handler) *http.Server {
	return &http.Server{
		Addr:              addr,
		Handler:           h,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       15 * time.Second,
		WriteTimeout:      45 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    32 << 10,
	}
}

// Readiness reports whether the service can take traffic.
type Readiness func(ctx context.Context) error
