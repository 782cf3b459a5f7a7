package main

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"net/url"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/caarlos0/env/v11"

	"github.com/placetopay-gateway/gateway/internal/retention"
	"github.com/placetopay-gateway/gateway/internal/tokens"
	"github.com/placetopay-gateway/gateway/internal/webhooks"
)

// config is the contract's environment variables.
type config struct {
	DatabaseURL            string        `env:"DATABASE_URL" envDefault:"postgres://postgres@127.0.0.1:5432/gateway?sslmode=disable"`
	Addr                   string        `env:"GATEWAY_ADDR" envDefault:":8080"`
	AdminAddr              string        `env:"GATEWAY_ADMIN_ADDR" envDefault:":9090"`
	ConsoleURL             string        `env:"GATEWAY_CONSOLE_URL"`
	PublicURL              string        `env:"GATEWAY_PUBLIC_URL" envDefault:"http://localhost:8080"`
	APIKeys                []string      `env:"GATEWAY_API_KEYS" envSeparator:","`
	PlacetoPayBaseURL      string        `env:"PLACETOPAY_BASE_URL"`
	PlacetoPayLogin        string        `env:"PLACETOPAY_LOGIN"`
	PlacetoPaySecret       string        `env:"PLACETOPAY_SECRET_KEY"`
	AutopayURL             string        `env:"PLACETOPAY_AUTOPAY_URL"`
	AutopayHookUser        string        `env:"PLACETOPAY_AUTOPAY_WEBHOOK_USER"`
	AutopayHookPass        string        `env:"PLACETOPAY_AUTOPAY_WEBHOOK_PASSWORD"`
	ProbeInterval          time.Duration `env:"GATEWAY_PROBE_INTERVAL" envDefault:"1m"`
	ConfirmationWindow     time.Duration `env:"GATEWAY_CONFIRMATION_WINDOW"` // zero: 30 minutes
	RefundChecks           refundChecks  `env:"GATEWAY_REFUND_CHECKS" envDefault:"1h,6h,24h,72h,168h,720h"`
	MerchantWebhookURL     string        `env:"MERCHANT_WEBHOOK_URL"`
	MerchantWebhookKey     string        `env:"MERCHANT_WEBHOOK_SECRET"`
	MerchantWebhookTimeout time.Duration `env:"MERCHANT_WEBHOOK_TIMEOUT" envDefault:"15s"`
	EndpointDisableAfter   time.Duration `env:"GATEWAY_ENDPOINT_DISABLE_AFTER" envDefault:"72h"`
	// EndpointAllowPrivate lets webhook endpoints reach internal addresses: "true" or
	// "false"; empty, true in development (merchants test on localhost), false in production.
	EndpointAllowPrivate   string        `env:"GATEWAY_ENDPOINT_ALLOW_PRIVATE"`
	NotificationSignatures string        `env:"PLACETOPAY_NOTIFICATION_SIGNATURES" envDefault:"both"`
	PlacetoPayTimeout      time.Duration `env:"PLACETOPAY_TIMEOUT" envDefault:"15s"`
	CORSOrigins            []string      `env:"GATEWAY_CORS_ORIGINS" envSeparator:","`
	Env                    string        `env:"GATEWAY_ENV" envDefault:"development"`
	TokenKey               string        `env:"GATEWAY_TOKEN_KEY"`
	Pprof                  bool          `env:"GATEWAY_PPROF"`
	RateLimit              int           `env:"GATEWAY_RATE_LIMIT" envDefault:"600"`
	NotificationLimit      int           `env:"GATEWAY_NOTIFICATION_LIMIT"`
	TrustedProxies         []string      `env:"GATEWAY_TRUSTED_PROXIES" envSeparator:","`
	SitesFile              string        `env:"GATEWAY_SITES_FILE"`

	// Retention windows (internal/retention). Notifications and delivery attempts are the
	// evidence of what PlacetoPay said and what the merchant answered: a quarter. An event
	// delivered has reached the merchant, and the feed's readers, long before a month is out.
	// An Idempotency-Key guards the retries of a request, which come within minutes, and its
	// stored answer holds a client secret and the buyer's data: days, not weeks.
	RetentionNotifications   window `env:"GATEWAY_RETENTION_NOTIFICATIONS" envDefault:"90d"`
	RetentionEventDeliveries window `env:"GATEWAY_RETENTION_EVENT_DELIVERIES" envDefault:"90d"`
	RetentionEvents          window `env:"GATEWAY_RETENTION_EVENTS" envDefault:"30d"`
	RetentionIdempotency     window `env:"GATEWAY_RETENTION_IDEMPOTENCY" envDefault:"3d"`

	// sites are GATEWAY_SITES_FILE's sites; defaultCurrencies the currencies it lets the
	// default site take (nil: every currency no other site takes).
	sites             []siteConfig
	defaultCurrencies []string

	// endpointAllowPrivate is GATEWAY_ENDPOINT_ALLOW_PRIVATE read, its default applied.
	endpointAllowPrivate bool

	// trustedProxies is GATEWAY_TRUSTED_PROXIES parsed.
	trustedProxies []*net.IPNet

	// tokenKeys is GATEWAY_TOKEN_KEY parsed; nil when it is not set (development only).
	tokenKeys *tokens.Keyring

	// generatedKey is the API key made up for a development run without GATEWAY_API_KEYS.
	generatedKey string
	// generatedAutopayPass is set when the autopay webhook credentials were made up for a
	// development run.
	generatedAutopayPass bool
}

// loadConfig reads and validates the configuration. Every error names one variable.
func loadConfig(environ []string) (config, error) {
	var cfg config
	err := env.ParseWithOptions(&cfg, env.Options{Environment: env.ToMap(environ)})
	if err != nil {
		return cfg, describeEnvError(err)
	}
	cfg.APIKeys = trimAll(cfg.APIKeys)
	cfg.CORSOrigins = trimAll(cfg.CORSOrigins)
	cfg.TrustedProxies = trimAll(cfg.TrustedProxies)
	if err := cfg.validate(); err != nil {
		return cfg, err
	}
	if cfg.SitesFile != "" {
		if cfg.defaultCurrencies, cfg.sites, err = loadSitesFile(cfg.SitesFile, env.ToMap(environ), &cfg); err != nil {
			return cfg, err
		}
	}
	// Production makes up no key: with none configured, run looks for keys in the database
	// (checkProductionKeys), since it is the only one that can.
	if len(cfg.APIKeys) == 0 && !cfg.production() {
		var b [24]byte
		_, _ = rand.Read(b[:])
		cfg.generatedKey = "sk_dev_" + base64.RawURLEncoding.EncodeToString(b[:])
		cfg.APIKeys = []string{cfg.generatedKey}
	}
	return cfg, nil
}

func (c *config) production() bool { return c.Env == "production" }

// sandboxMode reports whether the embedded PlacetoPay sandbox stands in for PlacetoPay.
func (c *config) sandboxMode() bool { return c.PlacetoPayBaseURL == "" }

func (c *config) validate() error {
	bad := func(name, format string, args ...any) error {
		return fmt.Errorf("invalid configuration: %s: %s", name, fmt.Sprintf(format, args...))
	}
	if c.Env != "development" && c.Env != "production" {
		return bad("GATEWAY_ENV", "must be development or production, not %q", c.Env)
	}
	if _, err := url.Parse(c.DatabaseURL); err != nil || !strings.HasPrefix(c.DatabaseURL, "postgres") {
		return bad("DATABASE_URL", "must be a postgres:// URL")
	}
	for name, addr := range map[string]string{"GATEWAY_ADDR": c.Addr, "GATEWAY_ADMIN_ADDR": c.AdminAddr} {
		if _, _, err := net.SplitHostPort(addr); err != nil {
			return bad(name, "must be host:port or :port, not %q", addr)
		}
	}
	if err := checkBaseURL(c.PublicURL); err != nil {
		return bad("GATEWAY_PUBLIC_URL", "%v", err)
	}
	if c.ConsoleURL != "" {
		if err := checkBaseURL(c.ConsoleURL); err != nil {
			return bad("GATEWAY_CONSOLE_URL", "%v", err)
		}
	}
	set := 0
	for _, v := range []string{c.PlacetoPayBaseURL, c.PlacetoPayLogin, c.PlacetoPaySecret} {
		if v != "" {
			set++
		}
	}
	if set != 0 && set != 3 {
		return bad("PLACETOPAY_BASE_URL", "PLACETOPAY_BASE_URL, PLACETOPAY_LOGIN and PLACETOPAY_SECRET_KEY go together: set all three or none")
	}
	if c.PlacetoPayBaseURL != "" {
		if err := checkBaseURL(c.PlacetoPayBaseURL); err != nil {
			return bad("PLACETOPAY_BASE_URL", "%v", err)
		}
	}
	if c.AutopayURL != "" {
		if err := checkBaseURL(c.AutopayURL); err != nil {
			return bad("PLACETOPAY_AUTOPAY_URL", "%v", err)
		}
	}
	if (c.AutopayHookUser == "") != (c.AutopayHookPass == "") {
		return bad("PLACETOPAY_AUTOPAY_WEBHOOK_USER", "PLACETOPAY_AUTOPAY_WEBHOOK_USER and PLACETOPAY_AUTOPAY_WEBHOOK_PASSWORD go together")
	}
	if strings.ContainsRune(c.AutopayHookUser, ':') {
		return bad("PLACETOPAY_AUTOPAY_WEBHOOK_USER", "cannot contain ':' (HTTP Basic)")
	}
	if c.ProbeInterval < 100*time.Millisecond || c.ProbeInterval > 24*time.Hour {
		return bad("GATEWAY_PROBE_INTERVAL", "must be between 100ms and 24h, not %s", c.ProbeInterval)
	}
	if c.ConfirmationWindow != 0 && (c.ConfirmationWindow < time.Minute || c.ConfirmationWindow > 24*time.Hour) {
		return bad("GATEWAY_CONFIRMATION_WINDOW", "must be between 1m and 24h, not %s", c.ConfirmationWindow)
	}
	if (c.MerchantWebhookURL == "") != (c.MerchantWebhookKey == "") {
		return bad("MERCHANT_WEBHOOK_URL", "MERCHANT_WEBHOOK_URL and MERCHANT_WEBHOOK_SECRET go together")
	}
	if c.MerchantWebhookURL != "" {
		if err := checkBaseURL(c.MerchantWebhookURL); err != nil {
			return bad("MERCHANT_WEBHOOK_URL", "%v", err)
		}
	}
	if c.MerchantWebhookTimeout < webhooks.MinTimeout || c.MerchantWebhookTimeout > webhooks.MaxTimeout {
		return bad("MERCHANT_WEBHOOK_TIMEOUT", "must be between %s and %s, not %s", webhooks.MinTimeout, webhooks.MaxTimeout, c.MerchantWebhookTimeout)
	}
	if c.EndpointDisableAfter < time.Hour || c.EndpointDisableAfter > 30*24*time.Hour {
		return bad("GATEWAY_ENDPOINT_DISABLE_AFTER", "must be between 1h and 720h, not %s", c.EndpointDisableAfter)
	}
	switch c.EndpointAllowPrivate {
	case "":
		c.endpointAllowPrivate = !c.production()
	case "true", "false":
		c.endpointAllowPrivate = c.EndpointAllowPrivate == "true"
	default:
		return bad("GATEWAY_ENDPOINT_ALLOW_PRIVATE", "must be true or false, not %q", c.EndpointAllowPrivate)
	}
	for _, o := range c.CORSOrigins {
		if o == "*" {
			return bad("GATEWAY_CORS_ORIGINS", "a wildcard would let any site read order statuses; list the storefront origins")
		}
		if err := checkBaseURL(o); err != nil {
			return bad("GATEWAY_CORS_ORIGINS", "%q: %v", o, err)
		}
	}
	if c.RateLimit < 0 || c.RateLimit > 100000 {
		return bad("GATEWAY_RATE_LIMIT", "must be between 0 (no limit) and 100000 requests a minute, not %d", c.RateLimit)
	}
	if c.NotificationLimit < -1 || c.NotificationLimit > 100000 {
		return bad("GATEWAY_NOTIFICATION_LIMIT", "must be between 1 and 100000 notifications at once, 0 (twice the database pool's size) or -1 (no limit), not %d", c.NotificationLimit)
	}
	for _, p := range c.TrustedProxies {
		n, err := parseNetwork(p)
		if err != nil {
			return bad("GATEWAY_TRUSTED_PROXIES", "%q is neither an IP address nor a CIDR network", p)
		}
		c.trustedProxies = append(c.trustedProxies, n)
	}
	if c.TokenKey != "" {
		keys, err := tokens.ParseKeys(c.TokenKey)
		if err != nil {
			return bad("GATEWAY_TOKEN_KEY", "%v", err)
		}
		c.tokenKeys = keys
	}
	for _, k := range c.APIKeys {
		if len(k) < 16 {
			return bad("GATEWAY_API_KEYS", "every key must be at least 16 characters long")
		}
	}
	if c.PlacetoPayTimeout < time.Second || c.PlacetoPayTimeout > time.Minute {
		return bad("PLACETOPAY_TIMEOUT", "must be between 1s and 1m, not %s", c.PlacetoPayTimeout)
	}
	if _, err := webhooks.ParseSignatures(c.NotificationSignatures); err != nil {
		return bad("PLACETOPAY_NOTIFICATION_SIGNATURES", "%v", err)
	}
	for _, w := range []struct {
		name  string
		value window
	}{
		{"GATEWAY_RETENTION_NOTIFICATIONS", c.RetentionNotifications},
		{"GATEWAY_RETENTION_EVENT_DELIVERIES", c.RetentionEventDeliveries},
		{"GATEWAY_RETENTION_EVENTS", c.RetentionEvents},
		{"GATEWAY_RETENTION_IDEMPOTENCY", c.RetentionIdempotency},
	} {
		if w.value < window(time.Hour) || w.value > maxWindow {
			return bad(w.name, "must be between 1h and %s, not %s", maxWindow, w.value)
		}
	}
	if c.production() {
		switch {
		case c.PlacetoPaySecret != "" && len(c.PlacetoPaySecret) < minPlacetoPaySecret:
			return bad("PLACETOPAY_SECRET_KEY", "production needs the site's secret key as PlacetoPay issued it (at least %d characters), not a placeholder", minPlacetoPaySecret)
		case slices.ContainsFunc(c.CORSOrigins, func(o string) bool { return !strings.HasPrefix(o, "https://") }):
			return bad("GATEWAY_CORS_ORIGINS", "production needs https origins: a storefront served over http cannot keep a client secret safe")
		case c.sandboxMode():
			return bad("PLACETOPAY_BASE_URL", "production needs real PlacetoPay credentials")
		case !strings.HasPrefix(c.PlacetoPayBaseURL, "https://"):
			return bad("PLACETOPAY_BASE_URL", "production needs https")
		case c.TokenKey == "":
			return bad("GATEWAY_TOKEN_KEY", "production needs a key to encrypt stored card tokens (32 bytes, hex or base64)")
		case !strings.HasPrefix(c.PublicURL, "https://"):
			return bad("GATEWAY_PUBLIC_URL", "production needs https")
		case c.ConsoleURL != "" && !strings.HasPrefix(c.ConsoleURL, "https://"):
			return bad("GATEWAY_CONSOLE_URL", "production needs https: the console's session cookie is Secure")
		case c.MerchantWebhookURL != "" && !strings.HasPrefix(c.MerchantWebhookURL, "https://"):
			return bad("MERCHANT_WEBHOOK_URL", "production needs https")
		case c.MerchantWebhookKey != "" && len(c.MerchantWebhookKey) < 24:
			return bad("MERCHANT_WEBHOOK_SECRET", "production needs at least 24 characters")
		case c.AutopayURL != "" && !strings.HasPrefix(c.AutopayURL, "https://"):
			return bad("PLACETOPAY_AUTOPAY_URL", "production needs https")
		case c.AutopayURL != "" && c.AutopayHookPass == "":
			return bad("PLACETOPAY_AUTOPAY_WEBHOOK_PASSWORD", "production with PLACETOPAY_AUTOPAY_URL needs the Basic credentials PlacetoPay sends on autopay webhooks")
		case c.AutopayHookPass != "" && len(c.AutopayHookPass) < 24:
			return bad("PLACETOPAY_AUTOPAY_WEBHOOK_PASSWORD", "production needs at least 24 characters")
		}
		for _, k := range c.APIKeys {
			if len(k) < 32 {
				return bad("GATEWAY_API_KEYS", "production needs keys of at least 32 characters")
			}
		}
	}
	return nil
}

// maxWindow is the longest retention window: ten years is keeping for good.
const maxWindow = window(3650 * 24 * time.Hour)

// window is a retention window: a number of days ("90d") or a Go duration ("36h").
type window time.Duration

// UnmarshalText reads "90d" or a Go duration.
func (w *window) UnmarshalText(b []byte) error {
	s := string(b)
	if days, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(days)
		if err != nil || n > 100000 || n < -100000 {
			return fmt.Errorf("%q is neither a number of days (90d) nor a Go duration (36h)", s)
		}
		*w = window(time.Duration(n) * 24 * time.Hour)
		return nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("%q is neither a number of days (90d) nor a Go duration (36h)", s)
	}
	*w = window(d)
	return nil
}

// String is the window in days when it is whole days, else as a Go duration.
func (w window) String() string {
	d := time.Duration(w)
	if d != 0 && d%(24*time.Hour) == 0 {
		return strconv.FormatInt(int64(d/(24*time.Hour)), 10) + "d"
	}
	return d.String()
}

// retentionWindows returns the windows the retention job keeps rows for.
func (c *config) retentionWindows() retention.Windows {
	return retention.Windows{
		Notifications: time.Duration(c.RetentionNotifications), EventDeliveries: time.Duration(c.RetentionEventDeliveries),
		Events: time.Duration(c.RetentionEvents), IdempotencyKeys: time.Duration(c.RetentionIdempotency),
	}
}

// minPlacetoPaySecret is the shortest secret key production accepts: PlacetoPay issues longer
// ones (the documents' test sites have 8 and 16 characters); a shorter one is a placeholder.
const minPlacetoPaySecret = 8

func checkBaseURL(s string) error {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return errors.New("must be an absolute http or https URL")
	}
	return nil
}

// parseNetwork reads a CIDR network, or one address as a network of its own.
func parseNetwork(s string) (*net.IPNet, error) {
	if ip := net.ParseIP(s); ip != nil {
		bits := 128
		if ip.To4() != nil {
			ip, bits = ip.To4(), 32
		}
		return &net.IPNet{IP: ip, Mask: net.CIDRMask(bits, bits)}, nil
	}
	_, n, err := net.ParseCIDR(s)
	return n, err
}

func trimAll(list []string) []string {
	out := list[:0]
	for _, s := range list {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// describeEnvError turns the env library's error into one line naming the variable.
func describeEnvError(err error) error {
	var agg env.AggregateError
	if errors.As(err, &agg) && len(agg.Errors) > 0 {
		err = agg.Errors[0]
	}
	var pe env.ParseError
	if errors.As(err, &pe) {
		name := pe.Name
		if f, ok := reflect.TypeOf(config{}).FieldByName(pe.Name); ok {
			name = f.Tag.Get("env")
		}
		return fmt.Errorf("invalid configuration: %s: %v", name, pe.Err)
	}
	return fmt.Errorf("invalid configuration: %w", err)
}

// logFields returns the effective configuration for the start-up log, secrets masked.
func (c *config) logFields() map[string]any {
	mask := func(s string) string {
		if s == "" {
			return ""
		}
		return "***"
	}
	return map[string]any{
		"DATABASE_URL": redactDatabaseURL(c.DatabaseURL), "GATEWAY_ADDR": c.Addr, "GATEWAY_ADMIN_ADDR": c.AdminAddr,
		"GATEWAY_PUBLIC_URL": c.PublicURL, "GATEWAY_API_KEYS": fmt.Sprintf("%d key(s)", len(c.APIKeys)),
		"PLACETOPAY_BASE_URL": c.PlacetoPayBaseURL, "PLACETOPAY_LOGIN": c.PlacetoPayLogin,
		"PLACETOPAY_SECRET_KEY": mask(c.PlacetoPaySecret), "PLACETOPAY_AUTOPAY_URL": c.AutopayURL,
		"GATEWAY_PROBE_INTERVAL": c.ProbeInterval.String(), "MERCHANT_WEBHOOK_URL": redactURL(c.MerchantWebhookURL),
		"MERCHANT_WEBHOOK_SECRET": mask(c.MerchantWebhookKey), "MERCHANT_WEBHOOK_TIMEOUT": c.MerchantWebhookTimeout.String(),
		"GATEWAY_ENDPOINT_DISABLE_AFTER":     c.EndpointDisableAfter.String(),
		"GATEWAY_ENDPOINT_ALLOW_PRIVATE":     c.endpointAllowPrivate,
		"PLACETOPAY_NOTIFICATION_SIGNATURES": c.NotificationSignatures, "PLACETOPAY_TIMEOUT": c.PlacetoPayTimeout.String(), "GATEWAY_CORS_ORIGINS": c.CORSOrigins,
		"GATEWAY_ENV": c.Env, "GATEWAY_TOKEN_KEY": c.tokenKeyLog(),
		"PLACETOPAY_AUTOPAY_WEBHOOK_USER":     c.AutopayHookUser,
		"PLACETOPAY_AUTOPAY_WEBHOOK_PASSWORD": mask(c.AutopayHookPass),
		"GATEWAY_CONFIRMATION_WINDOW":         c.confirmationWindowLog(),
		"GATEWAY_REFUND_CHECKS":               c.RefundChecks.String(),
		"GATEWAY_PPROF":                       c.Pprof,
		"GATEWAY_CONSOLE_URL":                 c.ConsoleURL,
		"GATEWAY_RATE_LIMIT":                  c.RateLimit,
		"GATEWAY_NOTIFICATION_LIMIT":          c.NotificationLimit,
		"GATEWAY_TRUSTED_PROXIES":             c.TrustedProxies,
		"GATEWAY_RETENTION_NOTIFICATIONS":     c.RetentionNotifications.String(),
		"GATEWAY_RETENTION_EVENT_DELIVERIES":  c.RetentionEventDeliveries.String(),
		"GATEWAY_RETENTION_EVENTS":            c.RetentionEvents.String(),
		"GATEWAY_RETENTION_IDEMPOTENCY":       c.RetentionIdempotency.String(),
		"GATEWAY_SITES_FILE":                  c.SitesFile,
		"sites":                               sitesLog(c.sites),
	}
}

// redactDatabaseURL masks the password of a Postgres URL, both where URLs usually carry it
// (user:password@) and where pgx also accepts it (?password=).
func redactDatabaseURL(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return "***"
	}
	if q := u.Query(); q.Has("password") {
		q.Set("password", "xxxxx")
		u.RawQuery = q.Encode()
	}
	return u.Redacted()
}

// redactURL keeps a URL's scheme, host and path for the log: a query string or user
// information may carry a token.
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || raw == "" {
		return raw
	}
	if u.User != nil || u.RawQuery != "" {
		u.User, u.RawQuery = nil, "redacted"
	}
	return u.String()
}

// confirmationWindowLog is the confirmation window in effect.
func (c *config) confirmationWindowLog() string {
	if c.ConfirmationWindow == 0 {
		return "30m0s (PlacetoPay's, GATEWAY_CONFIRMATION_WINDOW is empty)"
	}
	return c.ConfirmationWindow.String()
}

// tokenKeyLog names the key that encrypts tokens, never the key itself.
func (c *config) tokenKeyLog() string {
	if c.tokenKeys == nil {
		return "generated for this run (GATEWAY_TOKEN_KEY is empty): stored cards and kept answers do not survive a restart"
	}
	return "*** (encrypts with key " + c.tokenKeys.KeyID() + ")"
}
