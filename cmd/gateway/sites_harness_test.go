package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// writeSitesFile writes a GATEWAY_SITES_FILE for sites at baseURL, each secret in an
// environment variable as a Kubernetes Secret would be, and returns the variables to add.
func writeSitesFile(t *testing.T, baseURL string, sites []harnessSite, defaultCurrencies []string) []string {
	t.Helper()
	type entry struct {
		Name         string   `json:"name"`
		BaseURL      string   `json:"baseUrl"`
		Login        string   `json:"login"`
		SecretKeyEnv string   `json:"secretKeyEnv"`
		Currencies   []string `json:"currencies"`
	}
	file := map[string]any{}
	if len(defaultCurrencies) > 0 {
		file["default"] = map[string]any{"currencies": defaultCurrencies}
	}
	var env []string
	var list []entry
	for _, s := range sites {
		name := "SITE_" + strings.ToUpper(strings.ReplaceAll(s.name, "-", "_")) + "_SECRET_KEY"
		list = append(list, entry{Name: s.name, BaseURL: baseURL, Login: s.login, SecretKeyEnv: name, Currencies: s.currencies})
		env = append(env, name+"="+s.secret)
	}
	file["sites"] = list
	raw, err := json.Marshal(file)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "sites.json")
	if err := os.WriteFile(path, raw, 0o600); err != nil {
		t.Fatal(err)
	}
	return append(env, "GATEWAY_SITES_FILE="+path)
}
