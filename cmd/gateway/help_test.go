package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// TestHelpAndVersion: the binary explains itself. --help lists every command, a command's
// help lists the variables it reads with their defaults, and version says what runs.
func TestHelpAndVersion(t *testing.T) {
	out := func(args ...string) string {
		t.Helper()
		var b bytes.Buffer
		if err := run(context.Background(), append([]string{"gateway"}, args...), nil, &b); err != nil {
			t.Fatalf("gateway %v: %v", args, err)
		}
		return b.String()
	}
	for _, args := range [][]string{{"--help"}, {"-h"}, {"help"}} {
		got := out(args...)
		for _, c := range commands {
			if !strings.Contains(got, c.name) {
				t.Errorf("gateway %v does not list %q:\n%s", args, c.name, got)
			}
		}
	}
	serve := out("serve", "--help")
	for _, want := range []string{"GATEWAY_PROBE_INTERVAL", "(default 1m)", "PLACETOPAY_TIMEOUT", "(default 15s)", "SANDBOX_SIGNATURE", "(default sha256)"} {
		if !strings.Contains(serve, want) {
			t.Errorf("gateway serve --help does not say %q:\n%s", want, serve)
		}
	}
	if got := out("help", "migrate"); !strings.Contains(got, "migrate up") || !strings.Contains(got, "DATABASE_URL") {
		t.Errorf("gateway help migrate:\n%s", got)
	}
	if got := out("version"); !strings.HasPrefix(got, "gateway "+version+" (go") {
		t.Errorf("gateway version = %q", got)
	}
	if err := run(context.Background(), []string{"gateway", "help", "nonsense"}, nil, &bytes.Buffer{}); err == nil {
		t.Error("help of an unknown command succeeded")
	}
}

// TestEveryVariableIsExplained: a setting added to a command's configuration gets its line
// in the help.
func TestEveryVariableIsExplained(t *testing.T) {
	for _, c := range commands {
		for _, v := range settingsOf(c.vars) {
			if varHelp[v.name] == "" {
				t.Errorf("%s reads %s, which the help does not explain (varHelp)", c.name, v.name)
			}
		}
	}
}
