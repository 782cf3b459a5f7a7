package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"

	"sigs.k8s.io/yaml"

	"github.com/placetopay-gateway/gateway/internal/orders"
	"github.com/placetopay-gateway/gateway/internal/webhooks"
)

// sitesFile is GATEWAY_SITES_FILE: the PlacetoPay sites beside the default one (the
// PLACETOPAY_* settings). It is YAML or JSON, read strictly; it never holds a secret, only
// where each secret is mounted (docs/sites.md).
type sitesFile struct {
	// Default restricts the default site to some currencies; without it the default site
	// takes every currency no other site takes.
	Default *struct {
		Currencies []string `json:"currencies"`
	} `json:"default,omitempty"`
	Sites []siteEntry `json:"sites"`
}

// siteEntry is one site of the file.
type siteEntry struct {
	Name    string `json:"name"`
	BaseURL string `json:"baseUrl"`
	Login   string `json:"login"`
	// Exactly one of these says where the secret key is: a file (a Kubernetes Secret
	// mounted as a volume) or an environment variable (one mounted with secretKeyRef).
	SecretKeyFile          string   `json:"secretKeyFile"`
	SecretKeyEnv           string   `json:"secretKeyEnv"`
	NotificationSignatures string   `json:"notificationSignatures"`
	Currencies             []string `json:"currencies"`
	// Timeout bounds one call to this site; empty: PLACETOPAY_TIMEOUT.
	Timeout string `json:"timeout"`
}

// siteConfig is one site, read and checked: the default site is one too.
type siteConfig struct {
	Name       string
	BaseURL    string // empty in development: the embedded sandbox serves it
	Login      string
	SecretKey  string
	Signatures webhooks.Signatures
	// SignaturesText is the setting as written, for the start-up log.
	SignaturesText string
	Currencies     []string // empty for the default site: every currency no other site takes
	Timeout        time.Duration
}

// reservedSiteNames cannot name a site of the file: default is the PLACETOPAY_* site, and
// autopay is a path under /webhooks/placetopay/ already.
var reservedSiteNames = []string{orders.DefaultSite, "autopay"}

// loadSitesFile reads GATEWAY_SITES_FILE. env is the process environment, where
// secretKeyEnv variables are looked up. Every error names the variable and the site.
func loadSitesFile(path string, env map[string]string, c *config) (defaultCurrencies []string, sites []siteConfig, err error) {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("invalid configuration: GATEWAY_SITES_FILE: %s: %s", path, fmt.Sprintf(format, args...))
	}
	raw, err := os.ReadFile(path) //nolint:gosec // the operator names the file (GATEWAY_SITES_FILE)
	if err != nil {
		return nil, nil, fmt.Errorf("invalid configuration: GATEWAY_SITES_FILE: %w", err)
	}
	js, err := yaml.YAMLToJSON(raw) // JSON is YAML too
	if err != nil {
		return nil, nil, bad("%v", err)
	}
	var f sitesFile
	dec := json.NewDecoder(bytes.NewReader(js))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return nil, nil, bad("%v", err)
	}
	if f.Default != nil {
		if len(f.Default.Currencies) == 0 {
			return nil, nil, bad("default: currencies is empty; leave default out to let the default site take every currency no other site takes")
		}
		defaultCurrencies = f.Default.Currencies
	}
	if len(f.Sites) == 0 {
		return nil, nil, bad("sites is empty")
	}
	taken := map[string]string{}
	for _, cur := range defaultCurrencies {
		if _, ok := orders.CurrencyExponent(cur); !ok {
			return nil, nil, bad("default: currency %q is not supported", cur)
		}
		if _, dup := taken[cur]; dup {
			return nil, nil, bad("default: currency %s is listed twice", cur)
		}
		taken[cur] = orders.DefaultSite
	}
	names := map[string]bool{}
	for i, e := range f.Sites {
		at := fmt.Sprintf("sites[%d]", i)
		switch {
		case !orders.ValidSiteName(e.Name):
			return nil, nil, bad("%s: name %q must match ^[a-z0-9][a-z0-9-]{0,30}$", at, e.Name)
		case slices.Contains(reservedSiteNames, e.Name):
			return nil, nil, bad("%s: name %q is reserved (default is the PLACETOPAY_* site)", at, e.Name)
		case names[e.Name]:
			return nil, nil, bad("%s: site %q is listed twice", at, e.Name)
		}
		names[e.Name] = true
		at = fmt.Sprintf("site %q", e.Name)
		s := siteConfig{Name: e.Name, BaseURL: e.BaseURL, Login: strings.TrimSpace(e.Login), Currencies: e.Currencies, Timeout: c.PlacetoPayTimeout}
		switch {
		case s.BaseURL == "" && !c.sandboxMode():
			return nil, nil, bad("%s: baseUrl is required", at)
		case s.BaseURL != "" && checkBaseURL(s.BaseURL) != nil:
			return nil, nil, bad("%s: baseUrl must be an absolute http or https URL", at)
		case c.production() && !strings.HasPrefix(s.BaseURL, "https://"):
			return nil, nil, bad("%s: production needs an https baseUrl", at)
		case s.Login == "" || len(s.Login) > 32:
			return nil, nil, bad("%s: login must be 1 to 32 characters", at)
		case (e.SecretKeyFile == "") == (e.SecretKeyEnv == ""):
			return nil, nil, bad("%s: set exactly one of secretKeyFile and secretKeyEnv (the secret itself never goes in this file)", at)
		}
		if s.SecretKey, err = readSiteSecret(e, env); err != nil {
			return nil, nil, bad("%s: %v", at, err)
		}
		if c.production() && len(s.SecretKey) < minPlacetoPaySecret {
			return nil, nil, bad("%s: production needs the site's secret key as PlacetoPay issued it (at least %d characters)", at, minPlacetoPaySecret)
		}
		s.SignaturesText = e.NotificationSignatures
		if s.SignaturesText == "" {
			s.SignaturesText = "both"
		}
		if s.Signatures, err = webhooks.ParseSignatures(s.SignaturesText); err != nil {
			return nil, nil, bad("%s: notificationSignatures %v", at, err)
		}
		if e.Timeout != "" {
			if s.Timeout, err = time.ParseDuration(e.Timeout); err != nil || s.Timeout < time.Second || s.Timeout > time.Minute {
				return nil, nil, bad("%s: timeout must be a Go duration between 1s and 1m, not %q", at, e.Timeout)
			}
		}
		if len(s.Currencies) == 0 {
			return nil, nil, bad("%s: currencies is empty", at)
		}
		for _, cur := range s.Currencies {
			if _, ok := orders.CurrencyExponent(cur); !ok {
				return nil, nil, bad("%s: currency %q is not supported", at, cur)
			}
			if other, dup := taken[cur]; dup {
				return nil, nil, bad("currency %s is taken by both site %q and site %q: an order in %s could go to either", cur, other, e.Name, cur)
			}
			taken[cur] = e.Name
		}
		sites = append(sites, s)
	}
	return defaultCurrencies, sites, nil
}

// readSiteSecret reads a site's secret key where it is mounted, without the line end a file
// written by hand usually has.
func readSiteSecret(e siteEntry, env map[string]string) (string, error) {
	var secret string
	if e.SecretKeyFile != "" {
		b, err := os.ReadFile(e.SecretKeyFile)
		if err != nil {
			return "", fmt.Errorf("secretKeyFile: %w", err)
		}
		secret = strings.TrimRight(string(b), "\r\n")
	} else {
		v, ok := env[e.SecretKeyEnv]
		if !ok {
			return "", fmt.Errorf("secretKeyEnv: %s is not set", e.SecretKeyEnv)
		}
		secret = v
	}
	if secret == "" {
		return "", fmt.Errorf("the secret key is empty")
	}
	return secret, nil
}

// sitesLog describes the sites for the start-up log, secrets masked.
func sitesLog(sites []siteConfig) []map[string]any {
	out := make([]map[string]any, 0, len(sites))
	for _, s := range sites {
		out = append(out, map[string]any{"name": s.Name, "baseUrl": s.BaseURL, "login": s.Login, "secretKey": "***",
			"notificationSignatures": s.SignaturesText, "currencies": s.Currencies, "timeout": s.Timeout.String()})
	}
	return out
}
