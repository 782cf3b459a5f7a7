package main

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestAutopayConfig(t *testing.T) {
	const pass = "autopay-basic-password-0123456789"
	invalid := []struct {
		name, variable string
		environ        []string
	}{
		{"user without password", "PLACETOPAY_AUTOPAY_WEBHOOK_USER", []string{"PLACETOPAY_AUTOPAY_WEBHOOK_USER=ptp"}},
		{"password without user", "PLACETOPAY_AUTOPAY_WEBHOOK_USER", []string{"PLACETOPAY_AUTOPAY_WEBHOOK_PASSWORD=" + pass}},
		{"colon in the user", "PLACETOPAY_AUTOPAY_WEBHOOK_USER", []string{"PLACETOPAY_AUTOPAY_WEBHOOK_USER=a:b", "PLACETOPAY_AUTOPAY_WEBHOOK_PASSWORD=" + pass}},
		{"production autopay without credentials", "PLACETOPAY_AUTOPAY_WEBHOOK_PASSWORD", prodEnv("PLACETOPAY_AUTOPAY_URL=https://api.placetopay.com")},
		{"production autopay over http", "PLACETOPAY_AUTOPAY_URL", prodEnv("PLACETOPAY_AUTOPAY_URL=http://api.placetopay.com",
			"PLACETOPAY_AUTOPAY_WEBHOOK_USER=ptp", "PLACETOPAY_AUTOPAY_WEBHOOK_PASSWORD="+pass)},
		{"production short password", "PLACETOPAY_AUTOPAY_WEBHOOK_PASSWORD", prodEnv("PLACETOPAY_AUTOPAY_URL=https://api.placetopay.com",
			"PLACETOPAY_AUTOPAY_WEBHOOK_USER=ptp", "PLACETOPAY_AUTOPAY_WEBHOOK_PASSWORD=short")},
	}
	for _, c := range invalid {
		t.Run(c.name, func(t *testing.T) {
			_, err := loadConfig(c.environ)
			if err == nil || !strings.Contains(err.Error(), c.variable) {
				t.Fatalf("loadConfig = %v, want an error naming %s", err, c.variable)
			}
		})
	}

	cfg, err := loadConfig(prodEnv("PLACETOPAY_AUTOPAY_URL=https://api.placetopay.com",
		"PLACETOPAY_AUTOPAY_WEBHOOK_USER=ptp", "PLACETOPAY_AUTOPAY_WEBHOOK_PASSWORD="+pass))
	if err != nil {
		t.Fatalf("valid production autopay: %v", err)
	}
	cfg.generateAutopayCredentials()
	if cfg.generatedAutopayPass || cfg.AutopayHookPass != pass {
		t.Errorf("production credentials replaced: %+v", cfg)
	}
	b, _ := json.Marshal(cfg.logFields())
	if strings.Contains(string(b), pass) {
		t.Errorf("logFields %s shows the autopay webhook password", b)
	}
	// Production without autopay needs no credentials, and none are made up.
	cfg, err = loadConfig(prodEnv())
	if err != nil {
		t.Fatal(err)
	}
	if cfg.generateAutopayCredentials(); cfg.AutopayHookPass != "" {
		t.Error("production generated autopay credentials")
	}

	// Development makes up a different password each run.
	first, _ := loadConfig(nil)
	second, _ := loadConfig(nil)
	first.generateAutopayCredentials()
	second.generateAutopayCredentials()
	if !first.generatedAutopayPass || len(first.AutopayHookPass) < 32 || first.AutopayHookPass == second.AutopayHookPass {
		t.Errorf("development credentials = %q and %q, want two different generated passwords", first.AutopayHookPass, second.AutopayHookPass)
	}
}
