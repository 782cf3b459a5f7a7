package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// runDevEnv runs a copy of scripts/dev-env.sh in the checkout root and returns the variables
// it exports.
func runDevEnv(t *testing.T, root string, environ ...string) map[string]string {
	t.Helper()
	cmd := exec.Command("bash", filepath.Join(root, "scripts", "dev-env.sh"))
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH")}, environ...)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("dev-env.sh: %v", err)
	}
	vars := map[string]string{}
	for line := range strings.SplitSeq(strings.TrimSpace(string(out)), "\n") {
		name, value, ok := strings.Cut(strings.TrimPrefix(line, "export "), "=")
		if !ok {
			t.Fatalf("dev-env.sh printed %q, want export NAME=value lines", line)
		}
		vars[name] = value
	}
	return vars
}

// TestDevEnvKeepsOneKeyPerCheckout: make run's API key and token key are made once per
// checkout, kept private in .dev/env, the same on every later run, accepted by the gateway's
// configuration, and overridden by a variable the developer set.
func TestDevEnvKeepsOneKeyPerCheckout(t *testing.T) {
	script, err := os.ReadFile("../../scripts/dev-env.sh")
	if err != nil {
		t.Fatal(err)
	}
	root := t.TempDir()
	if err := os.MkdirAll(filepath.Join(root, "scripts"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "scripts", "dev-env.sh"), script, 0o755); err != nil {
		t.Fatal(err)
	}

	first := runDevEnv(t, root)
	if !regexp.MustCompile(`^sk_dev_[0-9a-f]{32}$`).MatchString(first["GATEWAY_API_KEYS"]) {
		t.Errorf("GATEWAY_API_KEYS = %q, want sk_dev_ and 32 hex digits", first["GATEWAY_API_KEYS"])
	}
	if !regexp.MustCompile(`^dev:[0-9a-f]{64}$`).MatchString(first["GATEWAY_TOKEN_KEY"]) {
		t.Errorf("GATEWAY_TOKEN_KEY = %q, want dev: and a 32-byte hex key", first["GATEWAY_TOKEN_KEY"])
	}
	if _, err := loadConfig([]string{"GATEWAY_API_KEYS=" + first["GATEWAY_API_KEYS"], "GATEWAY_TOKEN_KEY=" + first["GATEWAY_TOKEN_KEY"]}); err != nil {
		t.Errorf("the gateway refuses the development secrets: %v", err)
	}
	info, err := os.Stat(filepath.Join(root, ".dev", "env"))
	if err != nil {
		t.Fatal(err)
	}
	if perm := info.Mode().Perm(); perm != 0o600 {
		t.Errorf(".dev/env mode = %v, want 0600", perm)
	}

	if again := runDevEnv(t, root); again["GATEWAY_API_KEYS"] != first["GATEWAY_API_KEYS"] || again["GATEWAY_TOKEN_KEY"] != first["GATEWAY_TOKEN_KEY"] {
		t.Errorf("second run = %v, want the first run's %v", again, first)
	}
	own := runDevEnv(t, root, "GATEWAY_API_KEYS=sk_mine")
	if _, set := own["GATEWAY_API_KEYS"]; set {
		t.Errorf("with GATEWAY_API_KEYS set, dev-env.sh exports it again: %v", own)
	}
	if own["GATEWAY_TOKEN_KEY"] != first["GATEWAY_TOKEN_KEY"] {
		t.Errorf("with only GATEWAY_API_KEYS set, GATEWAY_TOKEN_KEY = %q, want the kept %q", own["GATEWAY_TOKEN_KEY"], first["GATEWAY_TOKEN_KEY"])
	}

	// Not another checkout's: a second root gets its own key.
	other := t.TempDir()
	if err := os.MkdirAll(filepath.Join(other, "scripts"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(other, "scripts", "dev-env.sh"), script, 0o755); err != nil {
		t.Fatal(err)
	}
	if runDevEnv(t, other)["GATEWAY_API_KEYS"] == first["GATEWAY_API_KEYS"] {
		t.Error("two checkouts got the same development API key")
	}
}
