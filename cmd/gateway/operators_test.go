package main

import (
	"bytes"
	"context"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/placetopay-gateway/gateway/internal/pgtest"
)

func operatorsCmd(t *testing.T, dbURL string, args ...string) (string, error) {
	t.Helper()
	var out bytes.Buffer
	err := run(context.Background(), append([]string{"gateway", "operators"}, args...),
		[]string{"DATABASE_URL=" + dbURL, "GATEWAY_CONSOLE_URL=https://console.shop.test/"}, &out)
	return out.String(), err
}

var (
	enrollLink = regexp.MustCompile(`enrollment link \(valid until [^)]+\): (\S+)`)
	apiToken   = regexp.MustCompile(`api token: (op_[A-Za-z0-9_-]{43})\n`)
)

func TestOperatorsCommandsAddListDisable(t *testing.T) {
	dbURL := pgtest.URL(t)
	out, err := operatorsCmd(t, dbURL, "add", "--email", "Ana@Shop.test", "--role", "support")
	if err != nil {
		t.Fatal(err)
	}
	link := enrollLink.FindStringSubmatch(out)
	if link == nil || apiToken.FindStringSubmatch(out) == nil {
		t.Fatalf("add printed no enrollment link or api token:\n%s", out)
	}
	u, err := url.Parse(link[1])
	if err != nil || u.Scheme+"://"+u.Host+u.Path != "https://console.shop.test/console/enroll" || len(u.Query().Get("token")) != 43 {
		t.Fatalf("enrollment link %q", link[1])
	}
	if _, err := operatorsCmd(t, dbURL, "add", "--email", "ana@shop.test", "--role", "admin"); err == nil || !strings.Contains(err.Error(), "exists") {
		t.Errorf("adding the email twice: %v", err)
	}
	if _, err := operatorsCmd(t, dbURL, "add", "--email", "b@shop.test", "--role", "root"); err == nil || !strings.Contains(err.Error(), "--role") {
		t.Errorf("bad role: %v", err)
	}
	if _, err := operatorsCmd(t, dbURL, "add", "--email", "b@shop.test"); err == nil || !strings.Contains(err.Error(), "required") {
		t.Errorf("no role: %v", err)
	}
	out, err = operatorsCmd(t, dbURL, "list")
	if err != nil || !regexp.MustCompile(`ana@shop.test\s+support\s+not enrolled`).MatchString(out) {
		t.Fatalf("list = %q, %v", out, err)
	}
	if strings.Contains(out, "op_") {
		t.Errorf("list shows a token: %q", out)
	}
	if _, err := operatorsCmd(t, dbURL, "disable", "--email", "ana@shop.test"); err != nil {
		t.Fatal(err)
	}
	out, _ = operatorsCmd(t, dbURL, "list")
	if !regexp.MustCompile(`ana@shop.test\s+support\s+disabled`).MatchString(out) {
		t.Fatalf("list after disable = %q", out)
	}
	if _, err := operatorsCmd(t, dbURL, "disable", "--email", "nobody@shop.test"); err == nil {
		t.Error("disabling an unknown operator succeeded")
	}
}

func TestOperatorsHelp(t *testing.T) {
	var out bytes.Buffer
	if err := run(context.Background(), []string{"gateway", "operators", "add", "--help"}, nil, &out); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "--email EMAIL --role viewer|support|admin") || !strings.Contains(out.String(), "GATEWAY_CONSOLE_URL") {
		t.Errorf("help = %q", out.String())
	}
}
