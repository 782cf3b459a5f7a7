package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/placetopay-gateway/gateway/internal/pgtest"
)

// sitesEnv is a valid production-less environment with PlacetoPay credentials, plus extra.
func sitesEnv(t *testing.T, file string, extra ...string) []string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "sites.yaml")
	if err := os.WriteFile(path, []byte(file), 0o600); err != nil {
		t.Fatal(err)
	}
	return append([]string{
		"PLACETOPAY_BASE_URL=https://checkout-test.placetopay.com", "PLACETOPAY_LOGIN=co-login",
		"PLACETOPAY_SECRET_KEY=co-secret-key", "GATEWAY_SITES_FILE=" + path,
	}, extra...)
}

// TestSitesFileReadsSecretsWhereTheyAreMounted: a site's secret comes from a file (a Secret
// volume, without its line end) or an environment variable (secretKeyRef), never the file.
func TestSitesFileReadsSecretsWhereTheyAreMounted(t *testing.T) {
	secretPath := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(secretPath, []byte("us-secret-from-file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := loadConfig(sitesEnv(t, `
default:
  currencies: [COP]
sites:
  - name: us
    baseUrl: https://checkout-test.placetopay.com
    login: us-login
    secretKeyFile: `+secretPath+`
    notificationSignatures: sha256
    currencies: [USD]
  - name: cl-2
    baseUrl: https://checkout-test.placetopay.com
    login: cl-login
    secretKeyEnv: CL_SECRET
    currencies: [CLP]
    timeout: 5s
`, "CL_SECRET=cl-secret-from-env"))
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.sites) != 2 || cfg.sites[0].SecretKey != "us-secret-from-file" || cfg.sites[1].SecretKey != "cl-secret-from-env" {
		t.Fatalf("sites = %+v", cfg.sites)
	}
	if cfg.sites[1].Timeout.String() != "5s" || cfg.sites[0].Timeout != cfg.PlacetoPayTimeout {
		t.Errorf("timeouts = %s, %s; want PLACETOPAY_TIMEOUT, 5s", cfg.sites[0].Timeout, cfg.sites[1].Timeout)
	}
	if !slices.Equal(cfg.defaultCurrencies, []string{"COP"}) {
		t.Errorf("default currencies = %v, want [COP]", cfg.defaultCurrencies)
	}
	if log := fmt.Sprint(cfg.logFields()); strings.Contains(log, "secret-from") {
		t.Errorf("the start-up log shows a site's secret: %s", log)
	}
}

// TestSitesFileIsStrict: every mistake stops the start with one line naming the variable.
func TestSitesFileIsStrict(t *testing.T) {
	site := func(extra string) string {
		return "sites:\n  - name: us\n    baseUrl: https://checkout-test.placetopay.com\n    login: us-login\n    secretKeyEnv: US_SECRET\n    currencies: [USD]\n" + extra
	}
	cases := []struct {
		name, file, want string
	}{
		{"an unknown key", site("    region: us-east\n"), "unknown field"},
		{"a secret in the file", site("    secretKey: inline\n"), "unknown field"},
		{"both secret sources", site("    secretKeyFile: /run/secret\n"), "exactly one of secretKeyFile and secretKeyEnv"},
		{"the reserved name default", strings.Replace(site(""), "name: us", "name: default", 1), "reserved"},
		{"the reserved name autopay", strings.Replace(site(""), "name: us", "name: autopay", 1), "reserved"},
		{"a name with capitals", strings.Replace(site(""), "name: us", "name: US", 1), "must match"},
		{"a currency of two sites", site("  - name: us2\n    baseUrl: https://checkout-test.placetopay.com\n    login: l2\n    secretKeyEnv: US_SECRET\n    currencies: [USD]\n"), "currency USD is taken by both"},
		{"a currency of the default site too", "default:\n  currencies: [USD]\n" + site(""), "currency USD is taken by both"},
		{"a site twice", site("  - name: us\n    baseUrl: https://checkout-test.placetopay.com\n    login: l2\n    secretKeyEnv: US_SECRET\n    currencies: [EUR]\n"), "listed twice"},
		{"no currency", strings.Replace(site(""), "currencies: [USD]", "currencies: []", 1), "currencies is empty"},
		{"an unknown currency", strings.Replace(site(""), "[USD]", "[XYZ]", 1), "not supported"},
		{"a bad signature setting", site("    notificationSignatures: md5\n"), "notificationSignatures"},
		{"no sites", "sites: []\n", "sites is empty"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := loadConfig(sitesEnv(t, c.file, "US_SECRET=us-secret-key"))
			if err == nil || !strings.Contains(err.Error(), "GATEWAY_SITES_FILE") || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("loadConfig = %v, want an error about GATEWAY_SITES_FILE saying %q", err, c.want)
			}
		})
	}
	t.Run("a secret variable that is not set", func(t *testing.T) {
		_, err := loadConfig(sitesEnv(t, site("")))
		if err == nil || !strings.Contains(err.Error(), "US_SECRET is not set") {
			t.Fatalf("loadConfig = %v, want US_SECRET is not set", err)
		}
	})
}

// TestRunServeSandboxServesEverySite: in development with a sites file, the embedded sandbox
// takes each site without a baseUrl as a login of its own, and a USD order's session is
// opened by the USD site's login.
func TestRunServeSandboxServesEverySite(t *testing.T) {
	dbURL := pgtest.URL(t)
	sites := filepath.Join(t.TempDir(), "sites.yaml")
	if err := os.WriteFile(sites, []byte("sites:\n  - name: us\n    login: us-dev-login\n    secretKeyEnv: US_SECRET\n    currencies: [USD]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	const key = "sk_test_sites_dev_0123456789abcdef"
	logs, addrs, _ := startRun(t, []string{"serve"}, []string{
		"DATABASE_URL=" + dbURL, "GATEWAY_ADDR=127.0.0.1:0", "GATEWAY_ADMIN_ADDR=127.0.0.1:0", "SANDBOX_ADDR=127.0.0.1:0",
		"GATEWAY_API_KEYS=" + key, "GATEWAY_SITES_FILE=" + sites, "US_SECRET=us-dev-secret-0123",
	}, "public", "admin", "sandbox")
	waitUntil(t, "the ready line", func() bool { _, ok := findLog(t, logs.String(), "ready"); return ok })
	call := func(method, url string, body string) map[string]any {
		t.Helper()
		req, _ := http.NewRequest(method, url, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+key)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&out)
		if resp.StatusCode >= 300 {
			t.Fatalf("%s %s = %d %v", method, url, resp.StatusCode, out)
		}
		return out
	}
	public := "http://" + addrs["public"]
	o := call(http.MethodPost, public+"/v1/orders", `{"description":"dev sites","amount":{"currency":"USD","total":"3.00"}}`)
	if o["site"] != "us" {
		t.Fatalf("USD order's site = %v, want us", o["site"])
	}
	s := call(http.MethodPost, public+"/v1/orders/"+o["id"].(string)+"/checkout", "")
	rec := call(http.MethodGet, fmt.Sprintf("http://%s/sandbox/sessions/%.0f", addrs["sandbox"], s["requestId"]), "")
	if rec["login"] != "us-dev-login" {
		t.Errorf("the embedded sandbox's session was opened by %v, want us-dev-login", rec["login"])
	}
}
