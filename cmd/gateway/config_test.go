package main

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"
)

// prodEnv is a complete, valid production configuration; tests remove or override pieces.
func prodEnv(overrides ...string) []string {
	base := []string{
		"GATEWAY_ENV=production",
		"GATEWAY_PUBLIC_URL=https://pay.example.com",
		"GATEWAY_API_KEYS=sk_live_0123456789abcdef0123456789abcdef",
		"PLACETOPAY_BASE_URL=https://checkout.placetopay.com",
		"PLACETOPAY_LOGIN=login-0001",
		"PLACETOPAY_SECRET_KEY=ptp-secret-0001",
		"GATEWAY_TOKEN_KEY=k1:" + strings.Repeat("ab", 32),
	}
	return append(base, overrides...)
}

// without returns environ minus the variables named.
func without(environ []string, names ...string) []string {
	var out []string
next:
	for _, kv := range environ {
		for _, n := range names {
			if strings.HasPrefix(kv, n+"=") {
				continue next
			}
		}
		out = append(out, kv)
	}
	return out
}

func TestLoadConfigDefaults(t *testing.T) {
	cfg, err := loadConfig(nil)
	if err != nil {
		t.Fatalf("loadConfig(nil): %v", err)
	}
	if cfg.generatedKey == "" || !reflect.DeepEqual(cfg.APIKeys, []string{cfg.generatedKey}) {
		t.Errorf("APIKeys = %q, generatedKey = %q; want exactly the generated key", cfg.APIKeys, cfg.generatedKey)
	}
	cfg.APIKeys, cfg.generatedKey = nil, ""
	want := config{
		DatabaseURL:   "postgres://postgres@127.0.0.1:5432/gateway?sslmode=disable",
		Addr:          ":8080",
		AdminAddr:     ":9090",
		PublicURL:     "http://localhost:8080",
		ProbeInterval: time.Minute,
		Env:           "development",
		RateLimit:     600,

		MerchantWebhookTimeout: 15 * time.Second,
		EndpointDisableAfter:   72 * time.Hour,
		endpointAllowPrivate:   true, // development: merchants test on localhost
		NotificationSignatures: "both",
		PlacetoPayTimeout:      15 * time.Second,
		RefundChecks:           refundChecks{time.Hour, 6 * time.Hour, 24 * time.Hour, 72 * time.Hour, 168 * time.Hour, 720 * time.Hour},

		RetentionNotifications:   window(90 * 24 * time.Hour),
		RetentionEventDeliveries: window(90 * 24 * time.Hour),
		RetentionEvents:          window(30 * 24 * time.Hour),
		RetentionIdempotency:     window(3 * 24 * time.Hour),
	}
	// Empty and nil slices are both "none".
	if len(cfg.CORSOrigins) == 0 {
		cfg.CORSOrigins = nil
	}
	if len(cfg.TrustedProxies) == 0 {
		cfg.TrustedProxies = nil
	}
	if !reflect.DeepEqual(cfg, want) {
		t.Errorf("defaults:\n got %+v\nwant %+v", cfg, want)
	}
	if !cfg.sandboxMode() {
		t.Error("sandboxMode() = false with no PlacetoPay credentials")
	}
	if cfg.production() {
		t.Error("production() = true by default")
	}
}

func TestLoadConfigValid(t *testing.T) {
	environ := prodEnv(
		"GATEWAY_API_KEYS= sk_live_0123456789abcdef0123456789abcdef , ,sk_live_fedcba9876543210fedcba9876543210",
		"GATEWAY_CORS_ORIGINS=https://shop.example.com, https://m.shop.example.com",
		"GATEWAY_PROBE_INTERVAL=30s",
		"MERCHANT_WEBHOOK_URL=https://shop.example.com/hooks",
		"MERCHANT_WEBHOOK_SECRET=whsec_0123456789abcdef01234567",
		"MERCHANT_WEBHOOK_TIMEOUT=25s",
		"GATEWAY_RATE_LIMIT=120",
		"GATEWAY_TRUSTED_PROXIES=10.0.0.0/8, 192.0.2.7,2001:db8::/48",
	)
	cfg, err := loadConfig(environ)
	if err != nil {
		t.Fatalf("loadConfig: %v", err)
	}
	if want := []string{"sk_live_0123456789abcdef0123456789abcdef", "sk_live_fedcba9876543210fedcba9876543210"}; !reflect.DeepEqual(cfg.APIKeys, want) {
		t.Errorf("APIKeys = %q, want %q", cfg.APIKeys, want)
	}
	if want := []string{"https://shop.example.com", "https://m.shop.example.com"}; !reflect.DeepEqual(cfg.CORSOrigins, want) {
		t.Errorf("CORSOrigins = %q, want %q", cfg.CORSOrigins, want)
	}
	if cfg.ProbeInterval != 30*time.Second {
		t.Errorf("ProbeInterval = %v, want 30s", cfg.ProbeInterval)
	}
	if cfg.MerchantWebhookTimeout != 25*time.Second {
		t.Errorf("MerchantWebhookTimeout = %v, want 25s", cfg.MerchantWebhookTimeout)
	}
	if cfg.RateLimit != 120 {
		t.Errorf("RateLimit = %d, want 120", cfg.RateLimit)
	}
	var proxies []string
	for _, n := range cfg.trustedProxies {
		proxies = append(proxies, n.String())
	}
	if want := []string{"10.0.0.0/8", "192.0.2.7/32", "2001:db8::/48"}; !reflect.DeepEqual(proxies, want) {
		t.Errorf("trusted proxies = %q, want %q", proxies, want)
	}
	if cfg.generatedKey != "" {
		t.Errorf("generatedKey = %q with GATEWAY_API_KEYS set", cfg.generatedKey)
	}
	if cfg.sandboxMode() || !cfg.production() {
		t.Errorf("sandboxMode() = %v, production() = %v; want false, true", cfg.sandboxMode(), cfg.production())
	}
}

func TestLoadConfigInvalid(t *testing.T) {
	tests := []struct {
		name    string
		environ []string
		wantVar string // the variable the error must name
	}{
		{"unknown environment", []string{"GATEWAY_ENV=staging"}, "GATEWAY_ENV"},
		{"unparsable probe interval", []string{"GATEWAY_PROBE_INTERVAL=banana"}, "GATEWAY_PROBE_INTERVAL"},
		{"probe interval too short", []string{"GATEWAY_PROBE_INTERVAL=1ns"}, "GATEWAY_PROBE_INTERVAL"},
		{"probe interval too long", []string{"GATEWAY_PROBE_INTERVAL=48h"}, "GATEWAY_PROBE_INTERVAL"},
		{"webhook timeout too short", []string{"MERCHANT_WEBHOOK_TIMEOUT=100ms"}, "MERCHANT_WEBHOOK_TIMEOUT"},
		{"PlacetoPay timeout too short", []string{"PLACETOPAY_TIMEOUT=10ms"}, "PLACETOPAY_TIMEOUT"},
		{"unknown notification signatures", []string{"PLACETOPAY_NOTIFICATION_SIGNATURES=md5"}, "PLACETOPAY_NOTIFICATION_SIGNATURES"},
		{"webhook timeout too long", []string{"MERCHANT_WEBHOOK_TIMEOUT=2m"}, "MERCHANT_WEBHOOK_TIMEOUT"},
		{"confirmation window too short", []string{"GATEWAY_CONFIRMATION_WINDOW=10s"}, "GATEWAY_CONFIRMATION_WINDOW"},
		{"unparsable confirmation window", []string{"GATEWAY_CONFIRMATION_WINDOW=soon"}, "GATEWAY_CONFIRMATION_WINDOW"},
		{"public address without port", []string{"GATEWAY_ADDR=nonsense"}, "GATEWAY_ADDR"},
		{"admin address without port", []string{"GATEWAY_ADMIN_ADDR=nonsense"}, "GATEWAY_ADMIN_ADDR"},
		{"public URL not http", []string{"GATEWAY_PUBLIC_URL=ftp://x"}, "GATEWAY_PUBLIC_URL"},
		{"public URL relative", []string{"GATEWAY_PUBLIC_URL=/pay"}, "GATEWAY_PUBLIC_URL"},
		{"database URL not postgres", []string{"DATABASE_URL=mysql://root@localhost/gateway"}, "DATABASE_URL"},
		{"partial PlacetoPay credentials", []string{"PLACETOPAY_LOGIN=login-0001"}, "PLACETOPAY_LOGIN"},
		{"PlacetoPay URL not http", []string{
			"PLACETOPAY_BASE_URL=checkout.placetopay.com", "PLACETOPAY_LOGIN=l", "PLACETOPAY_SECRET_KEY=s",
		}, "PLACETOPAY_BASE_URL"},
		{"autopay URL not http", []string{"PLACETOPAY_AUTOPAY_URL=autopay"}, "PLACETOPAY_AUTOPAY_URL"},
		{"merchant webhook URL without secret", []string{"MERCHANT_WEBHOOK_URL=https://shop.example.com/hooks"}, "MERCHANT_WEBHOOK_URL"},
		{"merchant webhook secret without URL", []string{"MERCHANT_WEBHOOK_SECRET=whsec_0123456789abcdef"}, "MERCHANT_WEBHOOK_SECRET"},
		{"CORS wildcard", []string{"GATEWAY_CORS_ORIGINS=*"}, "GATEWAY_CORS_ORIGINS"},
		{"CORS origin not a URL", []string{"GATEWAY_CORS_ORIGINS=shop.example.com"}, "GATEWAY_CORS_ORIGINS"},
		{"API key too short", []string{"GATEWAY_API_KEYS=short-key"}, "GATEWAY_API_KEYS"},
		{"negative rate limit", []string{"GATEWAY_RATE_LIMIT=-1"}, "GATEWAY_RATE_LIMIT"},
		{"unparsable rate limit", []string{"GATEWAY_RATE_LIMIT=10/s"}, "GATEWAY_RATE_LIMIT"},
		{"trusted proxy not an address", []string{"GATEWAY_TRUSTED_PROXIES=ingress.local"}, "GATEWAY_TRUSTED_PROXIES"},
		{"trusted proxy bad network", []string{"GATEWAY_TRUSTED_PROXIES=10.0.0.0/40"}, "GATEWAY_TRUSTED_PROXIES"},
		{"unparsable notification retention", []string{"GATEWAY_RETENTION_NOTIFICATIONS=forever"}, "GATEWAY_RETENTION_NOTIFICATIONS"},
		{"notification retention too short", []string{"GATEWAY_RETENTION_NOTIFICATIONS=10m"}, "GATEWAY_RETENTION_NOTIFICATIONS"},
		{"event retention too short", []string{"GATEWAY_RETENTION_EVENTS=0d"}, "GATEWAY_RETENTION_EVENTS"},
		{"negative event retention", []string{"GATEWAY_RETENTION_EVENTS=-30d"}, "GATEWAY_RETENTION_EVENTS"},
		{"delivery retention too long", []string{"GATEWAY_RETENTION_EVENT_DELIVERIES=4000d"}, "GATEWAY_RETENTION_EVENT_DELIVERIES"},
		{"unparsable idempotency retention", []string{"GATEWAY_RETENTION_IDEMPOTENCY=3 days"}, "GATEWAY_RETENTION_IDEMPOTENCY"},
		{"idempotency retention too short", []string{"GATEWAY_RETENTION_IDEMPOTENCY=30m"}, "GATEWAY_RETENTION_IDEMPOTENCY"},
		{"production without PlacetoPay credentials",
			without(prodEnv(), "PLACETOPAY_BASE_URL", "PLACETOPAY_LOGIN", "PLACETOPAY_SECRET_KEY"), "PLACETOPAY_BASE_URL"},
		{"production with http PlacetoPay", prodEnv("PLACETOPAY_BASE_URL=http://checkout.placetopay.com"), "PLACETOPAY_BASE_URL"},
		{"production with http public URL", prodEnv("GATEWAY_PUBLIC_URL=http://pay.example.com"), "GATEWAY_PUBLIC_URL"},
		{"production with short API key", prodEnv("GATEWAY_API_KEYS=sk_live_0123456789ab"), "GATEWAY_API_KEYS"},
		{"production with http merchant webhook", prodEnv(
			"MERCHANT_WEBHOOK_URL=http://shop.example.com/hooks", "MERCHANT_WEBHOOK_SECRET=whsec_0123456789abcdef01234567",
		), "MERCHANT_WEBHOOK_URL"},
		{"production with a one-character PlacetoPay secret", prodEnv("PLACETOPAY_SECRET_KEY=x"), "PLACETOPAY_SECRET_KEY"},
		{"production with an http CORS origin", prodEnv("GATEWAY_CORS_ORIGINS=https://shop.example.com,http://old.shop.example.com"), "GATEWAY_CORS_ORIGINS"},
		{"production with short merchant webhook secret", prodEnv(
			"MERCHANT_WEBHOOK_URL=https://shop.example.com/hooks", "MERCHANT_WEBHOOK_SECRET=whsec_short",
		), "MERCHANT_WEBHOOK_SECRET"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := loadConfig(tt.environ)
			if err == nil {
				t.Fatalf("loadConfig(%q) = nil error, want one naming %s", tt.environ, tt.wantVar)
			}
			msg := err.Error()
			if !strings.Contains(msg, tt.wantVar) {
				t.Errorf("error %q does not name %s", msg, tt.wantVar)
			}
			if strings.ContainsAny(msg, "\r\n") {
				t.Errorf("error %q spans more than one line", msg)
			}
		})
	}
}

func TestLoadConfigProductionValid(t *testing.T) {
	if _, err := loadConfig(prodEnv()); err != nil {
		t.Fatalf("loadConfig(valid production) = %v", err)
	}
}

func TestLoadConfigGeneratesDevelopmentKey(t *testing.T) {
	first, err := loadConfig([]string{"GATEWAY_ENV=development"})
	if err != nil {
		t.Fatal(err)
	}
	second, err := loadConfig([]string{"GATEWAY_ENV=development"})
	if err != nil {
		t.Fatal(err)
	}
	for _, cfg := range []config{first, second} {
		if !strings.HasPrefix(cfg.generatedKey, "sk_dev_") {
			t.Errorf("generatedKey = %q, want an sk_dev_ prefix", cfg.generatedKey)
		}
		if len(cfg.generatedKey) < 32 {
			t.Errorf("generatedKey %q is shorter than 32 characters", cfg.generatedKey)
		}
		if !reflect.DeepEqual(cfg.APIKeys, []string{cfg.generatedKey}) {
			t.Errorf("APIKeys = %q, want only the generated key %q", cfg.APIKeys, cfg.generatedKey)
		}
	}
	if first.generatedKey == second.generatedKey {
		t.Errorf("two loads generated the same key %q", first.generatedKey)
	}
}

func TestLogFieldsMaskSecrets(t *testing.T) {
	const (
		ptpSecret     = "ptp-secret-Zq81"
		webhookSecret = "whsec_0123456789abcdef-Wy52"
		apiKey1       = "sk_live_first_0123456789abcdefXX"
		apiKey2       = "sk_live_second_0123456789abcdefYY"
		dbPassword    = "db-pass-Kv37"
		dbQueryPass   = "db-query-pass-Lm09"
	)
	tests := []struct {
		name    string
		environ []string
		secrets []string
	}{
		{"everything set", []string{
			"DATABASE_URL=postgres://gateway:" + dbPassword + "@db.internal:5432/gateway?sslmode=require",
			"GATEWAY_API_KEYS=" + apiKey1 + "," + apiKey2,
			"PLACETOPAY_BASE_URL=https://checkout-test.placetopay.com",
			"PLACETOPAY_LOGIN=login-0001",
			"PLACETOPAY_SECRET_KEY=" + ptpSecret,
			"MERCHANT_WEBHOOK_URL=https://shop.example.com/hooks",
			"MERCHANT_WEBHOOK_SECRET=" + webhookSecret,
		}, []string{dbPassword, apiKey1, apiKey2, ptpSecret, webhookSecret}},
		// pgx also reads the password from the query string.
		{"password in the database URL query", []string{
			"DATABASE_URL=postgres://gateway@db.internal:5432/gateway?sslmode=require&password=" + dbQueryPass,
		}, []string{dbQueryPass}},
		// A merchant endpoint may carry a token in its query string or user information.
		{"token in the merchant webhook URL", []string{
			"DATABASE_URL=postgres://gateway@db.internal:5432/gateway",
			"MERCHANT_WEBHOOK_URL=https://hook-user:hook-pass-Tr44@shop.example.com/hooks?token=hook-token-Qp12",
			"MERCHANT_WEBHOOK_SECRET=" + webhookSecret,
		}, []string{"hook-pass-Tr44", "hook-token-Qp12"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := loadConfig(tt.environ)
			if err != nil {
				t.Fatalf("loadConfig: %v", err)
			}
			b, err := json.Marshal(cfg.logFields())
			if err != nil {
				t.Fatalf("marshal logFields: %v", err)
			}
			for _, s := range tt.secrets {
				if strings.Contains(string(b), s) {
					t.Errorf("logFields %s contains the secret %q", b, s)
				}
			}
			// The generated development key is logged on its own line, on purpose, but never
			// as part of the configuration.
			if cfg.generatedKey != "" && strings.Contains(string(b), cfg.generatedKey) {
				t.Errorf("logFields %s contains the generated API key", b)
			}
			var fields map[string]any
			if err := json.Unmarshal(b, &fields); err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(fields["DATABASE_URL"].(string), "db.internal:5432/gateway") {
				t.Errorf("DATABASE_URL field %q lost the host and database", fields["DATABASE_URL"])
			}
		})
	}
}

// TestEndpointAllowPrivateDefaultsByEnvironment: webhook endpoints may reach internal
// addresses in development unless told otherwise, never in production unless told so, and
// anything but true or false is refused naming the variable.
func TestEndpointAllowPrivateDefaultsByEnvironment(t *testing.T) {
	for _, tc := range []struct {
		name    string
		environ []string
		want    bool
	}{
		{"development", nil, true},
		{"development, false", []string{"GATEWAY_ENDPOINT_ALLOW_PRIVATE=false"}, false},
		{"production", prodEnv(), false},
		{"production, true", prodEnv("GATEWAY_ENDPOINT_ALLOW_PRIVATE=true"), true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := loadConfig(tc.environ)
			if err != nil || cfg.endpointAllowPrivate != tc.want {
				t.Errorf("endpointAllowPrivate = %v (%v), want %v", cfg.endpointAllowPrivate, err, tc.want)
			}
		})
	}
	if _, err := loadConfig([]string{"GATEWAY_ENDPOINT_ALLOW_PRIVATE=yes"}); err == nil || !strings.Contains(err.Error(), "GATEWAY_ENDPOINT_ALLOW_PRIVATE") {
		t.Errorf("GATEWAY_ENDPOINT_ALLOW_PRIVATE=yes: %v, want a refusal naming it", err)
	}
}
