package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/caarlos0/env/v11"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/placetopay-gateway/gateway/internal/apikeys"
	webhookendpoints "github.com/placetopay-gateway/gateway/internal/endpoints"
	gatewayhttp "github.com/placetopay-gateway/gateway/internal/http"
	"github.com/placetopay-gateway/gateway/internal/idempotency"
	"github.com/placetopay-gateway/gateway/internal/operators"
	"github.com/placetopay-gateway/gateway/internal/orders"
	"github.com/placetopay-gateway/gateway/internal/placetopay"
	"github.com/placetopay-gateway/gateway/internal/retention"
	"github.com/placetopay-gateway/gateway/internal/tokens"
	"github.com/placetopay-gateway/gateway/internal/webhooks"
	"github.com/placetopay-gateway/gateway/migrations"
)

// version is stamped at build time with -ldflags "-X main.version=...".
var version = "dev"

const usageLine = "usage: gateway [serve | migrate up | migrate status | operators add|list|disable | keys create|list|revoke | endpoints create|list|disable|enable|rotate|replay | sandbox | healthcheck | version | help]"

// run is the whole program: it reads the OS through its arguments and returns when ctx is
// cancelled (SIGINT, SIGTERM) or something fails.
func run(ctx context.Context, args, environ []string, stdout io.Writer) error {
	cmd := []string{"serve"}
	if len(args) > 1 {
		cmd = args[1:]
	}
	if last := cmd[len(cmd)-1]; last == "-h" || last == "--help" {
		if len(cmd) == 1 {
			return printUsage(stdout)
		}
		return printCommandHelp(stdout, strings.Join(cmd[:len(cmd)-1], " "))
	}
	switch {
	case cmd[0] == "serve" && len(cmd) == 1:
		return serve(ctx, environ, stdout)
	case cmd[0] == "migrate" && len(cmd) == 2 && (cmd[1] == "up" || cmd[1] == "status"):
		return migrate(ctx, cmd[1], environ, stdout)
	case cmd[0] == "operators" && len(cmd) >= 2 && (cmd[1] == "add" || cmd[1] == "list" || cmd[1] == "disable"):
		return runOperators(ctx, cmd[1:], environ, stdout)
	case cmd[0] == "keys" && len(cmd) >= 2 && (cmd[1] == "create" || cmd[1] == "list" || cmd[1] == "revoke"):
		return runKeys(ctx, cmd[1:], environ, stdout)
	case cmd[0] == "endpoints" && len(cmd) >= 2:
		return runEndpoints(ctx, cmd[1:], environ, stdout)
	case cmd[0] == "sandbox" && len(cmd) == 1:
		return runSandbox(ctx, environ, stdout)
	case cmd[0] == "healthcheck" && len(cmd) == 1:
		return healthcheck(ctx, environ)
	case cmd[0] == "version" && len(cmd) == 1, cmd[0] == "--version" && len(cmd) == 1:
		return printVersion(stdout)
	case cmd[0] == "help" && len(cmd) == 1:
		return printUsage(stdout)
	case cmd[0] == "help":
		return printCommandHelp(stdout, strings.Join(cmd[1:], " "))
	}
	return fmt.Errorf("unknown command %q; %s (gateway help lists them)", strings.Join(cmd, " "), usageLine)
}

func newLogger(w io.Writer) *zap.Logger {
	enc := zap.NewProductionEncoderConfig()
	enc.TimeKey, enc.EncodeTime = "time", zapcore.RFC3339NanoTimeEncoder
	return zap.New(zapcore.NewCore(zapcore.NewJSONEncoder(enc), zapcore.Lock(zapcore.AddSync(w)), zap.InfoLevel))
}

// notificationLimit is GATEWAY_NOTIFICATION_LIMIT at work: 0 is twice the pool's size (a
// notification holds its slot while its body is read and verified and its answer written,
// not only while it uses a connection: twice keeps every connection busy), -1 no limit.
func notificationLimit(configured int, poolSize int32) int {
	switch {
	case configured < 0:
		return 0
	case configured == 0:
		return 2 * int(poolSize)
	}
	return configured
}

// openPool connects to Postgres, waiting up to ten seconds for it to answer.
func openPool(ctx context.Context, url string) (*pgxpool.Pool, error) {
	pcfg, err := poolConfig(url)
	if err != nil {
		return nil, err
	}
	pool, err := pgxpool.NewWithConfig(ctx, pcfg)
	if err != nil {
		return nil, fmt.Errorf("database: %w", err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		pctx, cancel := context.WithTimeout(ctx, 3*time.Second)
		err = pool.Ping(pctx)
		cancel()
		if err == nil {
			return pool, nil
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			pool.Close()
			return nil, fmt.Errorf("database: cannot reach %s@%s/%s: %w", pcfg.ConnConfig.User, pcfg.ConnConfig.Host, pcfg.ConnConfig.Database, err)
		}
		time.Sleep(500 * time.Millisecond)
	}
}

// poolConfig reads DATABASE_URL. A new connection gives up on a server after the URL's
// connect_timeout, 5 s when it names none: with several hosts (a primary and its standbys,
// target_session_attrs=read-write) each host that is down but does not refuse the
// connection costs that long, before the next is tried.
func poolConfig(url string) (*pgxpool.Config, error) {
	pcfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("invalid configuration: DATABASE_URL: %v", err)
	}
	if pcfg.ConnConfig.ConnectTimeout == 0 {
		pcfg.ConnConfig.ConnectTimeout = 5 * time.Second
	}
	return pcfg, nil
}

func migrate(ctx context.Context, action string, environ []string, stdout io.Writer) error {
	cfg, err := loadConfig(environ)
	if err != nil {
		return err
	}
	pool, err := openPool(ctx, cfg.DatabaseURL)
	if err != nil {
		return err
	}
	defer pool.Close()
	db := stdlib.OpenDBFromPool(pool)
	defer db.Close()
	if action == "status" {
		return migrations.WriteStatus(ctx, db, stdout)
	}
	n, err := migrations.Up(ctx, db)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(stdout, "applied %d migration(s)\n", n)
	return err
}

func serve(ctx context.Context, environ []string, stdout io.Writer) error {
	// Configuration and logging.
	cfg, err := loadConfig(environ)
	if err != nil {
		return err
	}
	cfg.generateAutopayCredentials()
	var sbCfg sandboxConfig
	if cfg.sandboxMode() {
		sbCfg, err = loadSandboxConfig(environ, strings.TrimRight(cfg.PublicURL, "/")+"/webhooks/placetopay")
		if err != nil {
			return err
		}
		sbCfg.defaultAutopay(strings.TrimRight(cfg.PublicURL, "/")+"/webhooks/placetopay", cfg.AutopayHookUser, cfg.AutopayHookPass)
		sbCfg.sites = sandboxSites(&cfg, strings.TrimRight(cfg.PublicURL, "/"))
		if env.ToMap(environ)["SANDBOX_SITES"] != "" {
			return errors.New("invalid configuration: SANDBOX_SITES: only `gateway sandbox` reads it; the embedded sandbox serves the sites of GATEWAY_SITES_FILE without a baseUrl")
		}
	}
	log := newLogger(stdout)
	defer func() { _ = log.Sync() }()
	log.Info("starting", zap.String("version", version), zap.Any("config", cfg.logFields()))

	// Database and migrations; every replica runs them, serialised by an advisory lock.
	pool, err := openPool(ctx, cfg.DatabaseURL)
	if err != nil {
		return err
	}
	defer pool.Close()
	db := stdlib.OpenDBFromPool(pool)
	defer db.Close()
	applied, err := migrations.Up(ctx, db)
	if err != nil {
		return err
	}
	log.Info("migrations applied", zap.Int("count", applied))

	// Metrics.
	reg := prometheus.NewRegistry()
	reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "gateway_build_info", Help: "Always 1; the version label says which build runs.",
			ConstLabels: prometheus.Labels{"version": version, "goversion": runtime.Version()},
		}, func() float64 { return 1 }),
		newPoolCollector(pool),
	)

	// PlacetoPay: the real site, or in development the embedded sandbox, listening already so
	// that the client knows its address (SANDBOX_ADDR may end in :0).
	ppBase, ppCreds := cfg.PlacetoPayBaseURL, placetopay.Credentials{Login: cfg.PlacetoPayLogin, SecretKey: cfg.PlacetoPaySecret}
	var sbListener net.Listener
	if cfg.sandboxMode() {
		if sbListener, err = new(net.ListenConfig).Listen(ctx, "tcp", sbCfg.Addr); err != nil {
			return fmt.Errorf("listen sandbox (%s): %w", sbCfg.Addr, err)
		}
		defer sbListener.Close()
		_, port, _ := net.SplitHostPort(sbListener.Addr().String())
		ppBase = "http://127.0.0.1:" + port
		ppCreds = placetopay.Credentials{Login: sbCfg.Login, SecretKey: sbCfg.SecretKey}
	}
	autopayURL := cfg.AutopayURL
	if autopayURL == "" && cfg.sandboxMode() {
		autopayURL = ppBase
	}
	ppMetrics := placetopay.NewMetrics(reg)
	ppClient, err := placetopay.New(placetopay.Config{BaseURL: ppBase, AutopayURL: autopayURL, Credentials: ppCreds,
		Timeout: cfg.PlacetoPayTimeout, Observer: ppMetrics})
	if err != nil {
		return err
	}
	sandboxBase := ""
	if cfg.sandboxMode() {
		sandboxBase = ppBase
	}
	sites, err := newSites(&cfg, ppClient, ppMetrics, sandboxBase)
	if err != nil {
		return fmt.Errorf("invalid configuration: GATEWAY_SITES_FILE: %w", err)
	}

	// The domain and the servers.
	store := orders.NewStore(pool, log.Named("orders"))
	ordersSvc := orders.NewService(store, log.Named("orders")).WithSites(sites)
	reg.MustRegister(orders.NewStateCollector(pool, log.Named("metrics"), 2*time.Second, nil))
	tokenKeys := cfg.tokenKeys
	if tokenKeys == nil { // development only: production refuses to start without it
		tokenKeys = tokens.Generate()
		log.Warn("development mode: GATEWAY_TOKEN_KEY is not set, so a token key was generated for this run: stored payment methods cannot be charged after a restart")
	}
	money := wireMoneyPath(store, sites, tokenKeys, orders.Config{
		PublicURL: strings.TrimRight(cfg.PublicURL, "/"), ProbeInterval: cfg.ProbeInterval,
		ConfirmationWindow: cfg.ConfirmationWindow, CallTimeout: cfg.PlacetoPayTimeout, RefundChecks: cfg.RefundChecks,
	}, log, reg)
	signatures, _ := webhooks.ParseSignatures(cfg.NotificationSignatures) // validated by loadConfig
	inbox := webhooks.NewInbox(ppCreds.SecretKey, signatures, money.notifications, reg)
	addSiteInboxes(inbox, &cfg)
	idem := idempotency.NewStore(pool, time.Minute, tokenKeys)
	autopaySvc, autopayHook := newAutopay(cfg, autopayURL, pool, ppClient, ppCreds.SecretKey, log)
	// API keys kept in the database, beside GATEWAY_API_KEYS; each replica checks them itself.
	apiKeys := apikeys.NewService(pool, cfg.production(), nil)
	if err := checkProductionKeys(ctx, cfg, apiKeys, log); err != nil {
		return err
	}
	public := gatewayhttp.NewServer(gatewayhttp.Config{APIKeys: cfg.APIKeys, Keys: apiKeys, CORSOrigins: cfg.CORSOrigins,
		Money: &gatewayhttp.MoneyPath{Checkouts: money.checkouts, Reconciler: money.reconciler, Actions: money.actions},
		Inbox: inbox, Events: webhooks.NewEventLog(pool), Wallet: money.wallet,
		Demo: cfg.sandboxMode() && !cfg.production(), PublicURL: cfg.PublicURL, Production: cfg.production(),
		Autopay: autopaySvc, AutopayWebhook: autopayHook,
		RateLimit: gatewayhttp.RateLimit{PerMinute: cfg.RateLimit, TrustedProxies: cfg.trustedProxies},
		Intake:    gatewayhttp.IntakeLimit{Concurrent: notificationLimit(cfg.NotificationLimit, pool.Config().MaxConns)}}, ordersSvc, idem, log.Named("http"), reg)
	ready := func(ctx context.Context) error {
		ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		defer cancel()
		if err := pool.Ping(ctx); err != nil {
			return errors.New("database unreachable")
		}
		pending, err := migrations.Pending(ctx, db)
		if err != nil {
			return errors.New("migration state unknown")
		}
		if pending {
			return errors.New("migrations pending")
		}
		return nil
	}
	console := &gatewayhttp.Console{
		Operators: operators.NewService(pool, tokenKeys, cfg.production(), nil), Keys: apiKeys, Orders: ordersSvc,
		Endpoints: webhookendpoints.NewService(pool, webhookendpoints.Config{Keys: tokenKeys, EventTypes: eventTypes(), DefaultURL: cfg.MerchantWebhookURL,
			AllowPrivate: cfg.endpointAllowPrivate}),
		Money:       &gatewayhttp.MoneyPath{Checkouts: money.checkouts, Reconciler: money.reconciler, Actions: money.actions},
		Idempotency: idem, Log: log.Named("console"), Registerer: reg,
		// Browsers keep Secure cookies from https pages only: development over plain http
		// gets a cookie without it (production's console is behind https).
		InsecureCookie: !cfg.production() && strings.HasPrefix(cfg.consoleURL(), "http://"),
		TrustedProxies: cfg.trustedProxies,
	}
	admin := gatewayhttp.NewAdmin(gatewayhttp.AdminConfig{Ready: ready,
		Metrics: promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg}), Console: console})
	if cfg.Pprof {
		admin = gatewayhttp.WithProfiling(admin)
	}

	if cfg.generatedKey != "" {
		log.Info("development API key (GATEWAY_API_KEYS is empty, so one was generated for this run)",
			zap.String("apiKey", cfg.generatedKey))
	}

	var background sync.WaitGroup
	defer background.Wait() // before the pool closes
	bgCtx, stopBackground := context.WithCancel(ctx)
	defer stopBackground()
	// Deletes old notifications, delivery attempts, delivered events and idempotency keys;
	// every replica runs it, and their batches never overlap.
	retentionJob := retention.New(pool, cfg.retentionWindows(), log.Named("retention"), reg)
	background.Add(1)
	go func() { defer background.Done(); retentionJob.Run(bgCtx) }()
	background.Add(1)
	go func() { defer background.Done(); money.prober.Run(bgCtx) }()
	if autopaySvc != nil {
		background.Add(1)
		go func() { defer background.Done(); autopaySvc.RunChecks(bgCtx, cfg.ProbeInterval) }()
	}
	// Merchant event delivery, only when a webhook URL is set; otherwise events are only stored.
	deliveryMetrics := webhooks.NewDeliveryMetrics(reg)
	if cfg.MerchantWebhookURL != "" {
		deliverer, err := webhooks.NewDeliverer(pool, webhooks.Endpoint{URL: cfg.MerchantWebhookURL, Secret: cfg.MerchantWebhookKey, Timeout: cfg.MerchantWebhookTimeout}, nil, log.Named("webhooks"), nil, deliveryMetrics)
		if err != nil {
			return fmt.Errorf("invalid configuration: MERCHANT_WEBHOOK_SECRET: %w", err)
		}
		background.Add(1)
		go func() { defer background.Done(); deliverer.Run(bgCtx) }()
	}

	// Webhook endpoints kept in the database, beside MERCHANT_WEBHOOK_URL: every replica fans
	// out and delivers, whether or not any endpoint exists yet.
	endpointDeliverer := webhookendpoints.NewDeliverer(pool, tokenKeys, webhookendpoints.DelivererConfig{
		DisableAfter: cfg.EndpointDisableAfter, Log: log.Named("endpoints"), Metrics: webhookendpoints.NewMetrics(reg),
		AllowPrivate: cfg.endpointAllowPrivate})
	background.Add(1)
	go func() { defer background.Done(); endpointDeliverer.Run(bgCtx) }()

	endpoints := []endpoint{
		{name: "public", server: gatewayhttp.NewHTTPServer(cfg.Addr, public.Handler())},
		{name: "admin", server: gatewayhttp.NewHTTPServer(cfg.AdminAddr, admin)},
	}

	// In development without PlacetoPay credentials, the sandbox stands in for PlacetoPay
	// (production refuses to start without them).
	if cfg.sandboxMode() {
		// Its state is kept in the development database (or SANDBOX_STATE_FILE), so that a
		// restart strands no checkout (docs/sandbox-state.md).
		state, where, err := embeddedSandboxState(ctx, sbCfg, pool)
		if err != nil {
			return err
		}
		sb, err := newSandbox(sbCfg, state, where, log)
		if err != nil {
			return err
		}
		defer sb.Close()
		logSandbox(log, "development mode: no PlacetoPay credentials are set, so the embedded PlacetoPay sandbox stands in for PlacetoPay", sbCfg)
		endpoints = append(endpoints, endpoint{name: "sandbox", server: gatewayhttp.NewHTTPServer(sbCfg.Addr, sb.Handler()), listener: sbListener})
	}
	return serveUntilDone(ctx, log, endpoints, cfg.PublicURL)
}

// endpoint is one server the process runs: its name in the log, the server, and its
// listener when it listens already (nil: serveUntilDone listens on the server's Addr).
type endpoint struct {
	name     string
	server   *http.Server
	listener net.Listener
}

// serveUntilDone listens on every endpoint that does not listen yet, then waits for ctx to
// end or a server to fail, and shuts them all down letting in-flight requests finish. When
// one cannot listen, it closes every listener and returns at once.
func serveUntilDone(ctx context.Context, log *zap.Logger, endpoints []endpoint, publicURL string) error {
	errc := make(chan error, len(endpoints))
	for i, e := range endpoints {
		ln := e.listener
		if ln == nil {
			var err error
			if ln, err = new(net.ListenConfig).Listen(ctx, "tcp", e.server.Addr); err != nil {
				for _, started := range endpoints[:i] {
					_ = started.server.Close()
					if started.listener != nil {
						_ = started.listener.Close()
					}
				}
				for _, rest := range endpoints[i:] {
					if rest.listener != nil {
						_ = rest.listener.Close()
					}
				}
				return fmt.Errorf("listen %s (%s): %w", e.name, e.server.Addr, err)
			}
		}
		log.Info("listening", zap.String("listener", e.name), zap.String("addr", ln.Addr().String()))
		go func() {
			if err := e.server.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
				errc <- fmt.Errorf("%s server: %w", e.name, err)
			}
		}()
	}
	log.Info("ready", zap.String("publicUrl", publicURL))

	var err error
	select {
	case <-ctx.Done():
		log.Info("shutting down")
	case err = <-errc:
		log.Error("server failed; shutting down", zap.Error(err))
	}
	sctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for _, e := range endpoints {
		if serr := e.server.Shutdown(sctx); serr != nil {
			log.Warn("shutdown", zap.String("listener", e.name), zap.Error(serr))
		}
	}
	log.Info("stopped")
	return err
}

// healthcheck asks this host's admin listener for /healthz: the container health check,
// for images that have no curl.
func healthcheck(ctx context.Context, environ []string) error {
	cfg, err := loadConfig(environ)
	if err != nil {
		return err
	}
	_, port, err := net.SplitHostPort(cfg.AdminAddr)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+net.JoinHostPort("127.0.0.1", port)+"/healthz", nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("healthcheck: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("healthcheck: /healthz answered %d", resp.StatusCode)
	}
	return nil
}
