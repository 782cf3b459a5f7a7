package main

import (
	"context"
	"net"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/placetopay-gateway/gateway/internal/pgtest"
)

// A DATABASE_URL naming a primary and its standby, as docs/deployment.md describes, is
// accepted and read as two hosts of which a connection takes the one accepting writes.
func TestDatabaseURLWithSeveralHosts(t *testing.T) {
	multi := "postgres://gateway:pw@10.0.0.1:5432,10.0.0.2:5432/gateway?target_session_attrs=read-write&sslmode=disable"
	cfg, err := loadConfig(prodEnv("DATABASE_URL=" + multi))
	if err != nil {
		t.Fatalf("loadConfig: %v", err)
	}
	if got := redactDatabaseURL(cfg.DatabaseURL); strings.Contains(got, "pw") {
		t.Errorf("the log shows the password: %s", got)
	}
	pcfg, err := poolConfig(cfg.DatabaseURL)
	if err != nil {
		t.Fatalf("poolConfig: %v", err)
	}
	cc := pcfg.ConnConfig
	if cc.Host != "10.0.0.1" || len(cc.Fallbacks) != 1 || cc.Fallbacks[0].Host != "10.0.0.2" {
		t.Errorf("hosts: %s then %d fallback(s), want 10.0.0.1 then 10.0.0.2", cc.Host, len(cc.Fallbacks))
	}
	if cc.ValidateConnect == nil {
		t.Error("target_session_attrs=read-write sets no check of the server")
	}
	if cc.ConnectTimeout != 5*time.Second {
		t.Errorf("connect timeout %s without connect_timeout, want 5s", cc.ConnectTimeout)
	}
	pcfg, err = poolConfig(multi + "&connect_timeout=2")
	if err != nil || pcfg.ConnConfig.ConnectTimeout != 2*time.Second {
		t.Errorf("connect_timeout=2: %v, %v; want 2s, the URL's", pcfg.ConnConfig.ConnectTimeout, err)
	}
}

// With the first host down (a primary that died), the pool connects to the next one that
// accepts writes.
func TestPoolSkipsAHostThatIsDown(t *testing.T) {
	u, err := url.Parse(pgtest.URL(t))
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := ln.Addr().String()
	ln.Close() // nothing listens there now: refused
	u.Host = dead + "," + u.Host
	q := u.Query()
	q.Set("target_session_attrs", "read-write")
	u.RawQuery = q.Encode()
	pool, err := openPool(context.Background(), u.String())
	if err != nil {
		t.Fatalf("openPool(%s): %v", u.Redacted(), err)
	}
	defer pool.Close()
	var readOnly string
	if err := pool.QueryRow(context.Background(), `SHOW transaction_read_only`).Scan(&readOnly); err != nil || readOnly != "off" {
		t.Errorf("transaction_read_only = %q, %v; want off, a server that takes writes", readOnly, err)
	}
}
