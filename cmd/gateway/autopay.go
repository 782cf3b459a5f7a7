package main

import (
	"crypto/rand"
	"encoding/base64"

	"github.com/jackc/pgx/v5/pgxpool"
	"go.uber.org/zap"

	"github.com/placetopay-gateway/gateway/internal/autopay"
	gatewayhttp "github.com/placetopay-gateway/gateway/internal/http"
	"github.com/placetopay-gateway/gateway/internal/placetopay"
)

// newAutopay wires autopay when an autopay API is configured (PLACETOPAY_AUTOPAY_URL, or the
// sandbox in development): the service, and the Basic credentials PlacetoPay's autopay
// webhook and settlement calls must carry (nil when none are set: those routes are then not
// served; production refuses to start that way).
func newAutopay(cfg config, autopayURL string, pool *pgxpool.Pool, client *placetopay.Client, secret string, log *zap.Logger) (*autopay.Service, *gatewayhttp.BasicCredentials) {
	if autopayURL == "" {
		return nil, nil
	}
	svc := autopay.NewService(autopay.NewStore(pool), client, secret, log.Named("autopay"))
	if cfg.AutopayHookUser == "" {
		return svc, nil
	}
	if cfg.generatedAutopayPass {
		log.Info("development autopay webhook credentials (PLACETOPAY_AUTOPAY_WEBHOOK_USER and _PASSWORD are empty, so these were generated for this run)",
			zap.String("user", cfg.AutopayHookUser), zap.String("devPassword", cfg.AutopayHookPass))
	}
	return svc, &gatewayhttp.BasicCredentials{User: cfg.AutopayHookUser, Password: cfg.AutopayHookPass}
}

// generateAutopayCredentials makes up the autopay webhook Basic credentials for a
// development run that sets none (production refuses to start without them when autopay is
// configured).
func (c *config) generateAutopayCredentials() {
	if c.AutopayHookUser != "" || c.AutopayHookPass != "" || c.production() {
		return
	}
	var b [24]byte
	_, _ = rand.Read(b[:])
	c.AutopayHookUser, c.AutopayHookPass = "autopay-dev", "autopay_dev_"+base64.RawURLEncoding.EncodeToString(b[:])
	c.generatedAutopayPass = true
}

// defaultAutopay points the embedded sandbox's autopay calls at the gateway, with its
// credentials, unless SANDBOX_AUTOPAY_* say otherwise.
func (c *sandboxConfig) defaultAutopay(merchantBase, user, password string) {
	if c.AutopayURL == "" {
		c.AutopayURL = merchantBase
	}
	if c.AutopayUser == "" && c.AutopayPassword == "" {
		c.AutopayUser, c.AutopayPassword = user, password
	}
}
