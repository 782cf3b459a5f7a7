package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"io"
	"net"
	"strings"
	"unicode/utf8"

	"github.com/caarlos0/env/v11"
	"go.uber.org/zap"

	gatewayhttp "github.com/placetopay-gateway/gateway/internal/http"
	"github.com/placetopay-gateway/gateway/internal/placetopay"
	"github.com/placetopay-gateway/gateway/internal/placetopay/sandbox"
)

// sandboxConfig is the PlacetoPay sandbox's environment variables, read by `gateway
// sandbox` and by `gateway serve` when it embeds the sandbox.
type sandboxConfig struct {
	Addr      string `env:"SANDBOX_ADDR" envDefault:":8090"`
	PublicURL string `env:"SANDBOX_PUBLIC_URL"`
	Login     string `env:"SANDBOX_LOGIN" envDefault:"sandbox-dev-login"`
	SecretKey string `env:"SANDBOX_SECRET_KEY"`
	NotifyURL string `env:"SANDBOX_NOTIFY_URL"`
	Signature string `env:"SANDBOX_SIGNATURE" envDefault:"sha256"`
	Env       string `env:"GATEWAY_ENV" envDefault:"development"`
	// Where and with which Basic credentials autopay webhooks and settlements go; `gateway
	// serve` defaults them to its own endpoint and PLACETOPAY_AUTOPAY_WEBHOOK_* credentials.
	AutopayURL      string `env:"SANDBOX_AUTOPAY_URL"`
	AutopayUser     string `env:"SANDBOX_AUTOPAY_USER"`
	AutopayPassword string `env:"SANDBOX_AUTOPAY_PASSWORD"`
	// StateFile is where the sandbox keeps its state across restarts. When it is empty,
	// `gateway sandbox` keeps it in memory only and `gateway serve` in its database.
	StateFile string `env:"SANDBOX_STATE_FILE"`
	// Latency is how long every PlacetoPay API call takes ("p50=600ms,p99=2s",
	// "fixed=200ms"), to see the gateway against a realistic PlacetoPay.
	Latency string `env:"SANDBOX_LATENCY"`
	latency sandbox.Latency

	// sites are the more logins the sandbox takes: the gateway's sites it serves.
	sites []sandbox.Site

	// generatedSecret is set when SANDBOX_SECRET_KEY was empty and a throwaway secret was
	// made up for this run (development only).
	generatedSecret bool
}

// loadSandboxConfig reads and validates the sandbox's variables; defaultNotifyURL is where
// notifications go when SANDBOX_NOTIFY_URL is empty ("" sends none). Every error names one
// variable.
func loadSandboxConfig(environ []string, defaultNotifyURL string) (sandboxConfig, error) {
	var c sandboxConfig
	if err := env.ParseWithOptions(&c, env.Options{Environment: env.ToMap(environ)}); err != nil {
		return c, fmt.Errorf("invalid configuration: %w", err)
	}
	bad := func(name, format string, args ...any) error {
		return fmt.Errorf("invalid configuration: %s: %s", name, fmt.Sprintf(format, args...))
	}
	if c.Env != "development" && c.Env != "production" {
		return c, bad("GATEWAY_ENV", "must be development or production, not %q", c.Env)
	}
	_, port, err := net.SplitHostPort(c.Addr)
	if err != nil {
		return c, bad("SANDBOX_ADDR", "must be host:port or :port, not %q", c.Addr)
	}
	switch {
	case c.PublicURL != "":
		if err := checkBaseURL(c.PublicURL); err != nil {
			return c, bad("SANDBOX_PUBLIC_URL", "%v", err)
		}
	case port != "0":
		c.PublicURL = "http://localhost:" + port
	}
	if c.NotifyURL == "" {
		c.NotifyURL = defaultNotifyURL
	} else if err := checkBaseURL(c.NotifyURL); err != nil {
		return c, bad("SANDBOX_NOTIFY_URL", "%v", err)
	}
	if c.AutopayURL != "" {
		if err := checkBaseURL(c.AutopayURL); err != nil {
			return c, bad("SANDBOX_AUTOPAY_URL", "%v", err)
		}
	}
	if c.Signature != string(placetopay.SHA256) && c.Signature != string(placetopay.SHA1) {
		return c, bad("SANDBOX_SIGNATURE", "must be sha256 or sha1, not %q", c.Signature)
	}
	if c.latency, err = sandbox.ParseLatency(c.Latency); err != nil {
		return c, bad("SANDBOX_LATENCY", "%v", err)
	}
	if c.Login = strings.TrimSpace(c.Login); c.Login == "" || utf8.RuneCountInString(c.Login) > 32 {
		return c, bad("SANDBOX_LOGIN", "must be 1 to 32 characters")
	}
	if c.SecretKey == "" {
		if c.Env == "production" {
			return c, bad("SANDBOX_SECRET_KEY", "production needs an explicit secret; a generated one would be logged")
		}
		var b [18]byte
		_, _ = rand.Read(b[:])
		c.SecretKey, c.generatedSecret = "sandbox_dev_"+base64.RawURLEncoding.EncodeToString(b[:]), true
	}
	return c, nil
}

// newSandbox starts a sandbox with c, restoring the state state keeps (nil: memory only),
// and logs how many sessions it restored and where its state is kept (where); the caller
// closes it.
func newSandbox(c sandboxConfig, state sandbox.Persister, where string, log *zap.Logger) (*sandbox.Sandbox, error) {
	sb, err := sandbox.New(sandbox.Config{
		Login: c.Login, SecretKey: c.SecretKey, Sites: c.sites, BaseURL: c.PublicURL, NotifyURL: c.NotifyURL,
		Signature: placetopay.Algorithm(c.Signature), Logger: log.Named("sandbox"),
		AutopayURL: c.AutopayURL, AutopayUser: c.AutopayUser, AutopayPassword: c.AutopayPassword,
		Persister: state, Latency: c.latency,
	})
	if err != nil {
		return nil, fmt.Errorf("%w (sandbox state in %s)", err, where)
	}
	all, open := sb.Sessions()
	log.Info("sandbox state restored", zap.Int("sessions", all), zap.Int("openSessions", open), zap.String("stateKeptIn", where))
	return sb, nil
}

// logSandbox says where the sandbox is and how to authenticate with it. The secret is
// logged only when it was generated for this run, which happens only in development: it
// is a throwaway development credential, marked as such.
func logSandbox(log *zap.Logger, msg string, c sandboxConfig) {
	url := c.PublicURL
	if url == "" {
		url = "http://<the host each request is sent to>"
	}
	fields := []zap.Field{
		zap.String("sandboxUrl", url), zap.String("login", c.Login), zap.String("signature", c.Signature),
		zap.String("notifyUrl", c.NotifyURL), zap.String("latency", c.latency.String()), zap.String("controlApi", url+"/sandbox/ (no authentication: never expose it)"),
	}
	if len(c.sites) > 0 {
		logins := make([]string, 0, len(c.sites))
		for _, s := range c.sites {
			logins = append(logins, s.Login)
		}
		fields = append(fields, zap.Strings("siteLogins", logins)) // GATEWAY_SITES_FILE's or SANDBOX_SITES'; never their secrets
	}
	if c.generatedSecret {
		fields = append(fields, zap.String("devSecretKey", c.SecretKey),
			zap.String("devSecretKeyNote", "SANDBOX_SECRET_KEY is empty, so this throwaway development secret was generated for this run"))
	}
	log.Info(msg, fields...)
}

// runSandbox is `gateway sandbox`: the PlacetoPay sandbox alone, until ctx ends.
func runSandbox(ctx context.Context, environ []string, stdout io.Writer) error {
	c, err := loadSandboxConfig(environ, "")
	if err != nil {
		return err
	}
	var alone sandboxAloneConfig
	if err := env.ParseWithOptions(&alone, env.Options{Environment: env.ToMap(environ)}); err != nil {
		return fmt.Errorf("invalid configuration: %w", err)
	}
	if c.sites, err = parseSandboxSites(alone.Sites, c.Login); err != nil {
		return err
	}
	log := newLogger(stdout)
	defer func() { _ = log.Sync() }()
	log.Info("starting", zap.String("version", version), zap.String("command", "sandbox"))
	var state sandbox.Persister
	where := "memory only (SANDBOX_STATE_FILE is empty): a restart forgets every session"
	if c.StateFile != "" {
		state, where = fileSandboxState{path: c.StateFile}, fileStateWhere(c.StateFile)
	}
	sb, err := newSandbox(c, state, where, log)
	if err != nil {
		return err
	}
	defer sb.Close()
	logSandbox(log, "PlacetoPay sandbox", c)
	return serveUntilDone(ctx, log, []endpoint{{name: "sandbox", server: gatewayhttp.NewHTTPServer(c.Addr, sb.Handler())}}, c.PublicURL)
}
