package main

import (
	"context"
	_ "embed"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"

	"github.com/placetopay-gateway/gateway/internal/loadtest"
)

// flowSQL is one storefront flow's writes, as the gateway makes them: see the comments in
// the file. pgbench runs it as one transaction per flow.
//
//go:embed flow.sql
var flowSQL string

type pgbenchResult struct {
	TPS     float64
	Clients int
	Seconds float64
	Version string
}

// runPgbench makes a migrated database beside DATABASE_URL's (suffix _pgbench) and runs the
// flow script on it.
func runPgbench(ctx context.Context, o options) (pgbenchResult, error) {
	res := pgbenchResult{Clients: o.pgbenchConns, Seconds: o.pgbenchFor.Seconds()}
	pgbench, err := loadtest.PgBinary("pgbench")
	if err != nil {
		return res, err
	}
	dbURL, err := loadtest.WithDatabase(o.databaseURL, loadtest.DatabaseName(o.databaseURL)+"_pgbench")
	if err != nil {
		return res, err
	}
	if err := loadtest.RecreateDatabase(ctx, dbURL); err != nil {
		return res, err
	}
	migrate := exec.CommandContext(ctx, o.bin, "migrate", "up")
	migrate.Env = append(os.Environ(), "DATABASE_URL="+dbURL)
	if out, err := migrate.CombinedOutput(); err != nil {
		return res, fmt.Errorf("migrate the pgbench database: %v\n%s", err, out)
	}
	script := filepath.Join(o.dir, "flow.sql")
	if err := os.WriteFile(script, []byte(flowSQL), 0o644); err != nil {
		return res, err
	}
	if out, err := exec.CommandContext(ctx, pgbench, "--version").Output(); err == nil {
		res.Version = strings.TrimSpace(string(out))
	}
	cmd := exec.CommandContext(ctx, pgbench, "-n", "-M", "prepared", "-f", script,
		"-c", strconv.Itoa(o.pgbenchConns), "-j", strconv.Itoa(min(o.pgbenchConns, runtime.NumCPU())),
		"-T", strconv.Itoa(int(o.pgbenchFor.Seconds())), dbURL)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return res, fmt.Errorf("%v\n%s", err, out)
	}
	m := regexp.MustCompile(`tps = ([0-9.]+) \(without initial connection time\)`).FindSubmatch(out)
	if m == nil {
		return res, fmt.Errorf("no tps in pgbench's output:\n%s", out)
	}
	res.TPS, _ = strconv.ParseFloat(string(m[1]), 64)
	if failed := regexp.MustCompile(`number of failed transactions: ([1-9][0-9]*)`).FindSubmatch(out); failed != nil {
		return res, fmt.Errorf("pgbench: %s transactions failed:\n%s", failed[1], out)
	}
	return res, nil
}
