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

	"github.com/jackc/pgx/v5"

	"github.com/placetopay-gateway/gateway/internal/loadtest"
)

// flowSQL is one storefront flow's writes, as the gateway makes them: see the comments in
// the file. pgbench runs it as one transaction per flow.
//
//go:embed flow.sql
var flowSQL string

// intakeSQL is the statements POST /webhooks/placetopay runs for one notification. pgbench
// runs it after flowSQL, on the sessions flowSQL paid (intakeSetupSQL numbers them).
//
//go:embed intake.sql
var intakeSQL string

// intakeSetupSQL numbers the sessions flow.sql left 1..n by their request id, so that
// intake.sql can pick one at random, and returns n.
const intakeSetupSQL = `WITH numbered AS (SELECT id, row_number() OVER (ORDER BY id) AS n FROM checkout_sessions)
UPDATE checkout_sessions s SET request_id = numbered.n FROM numbered WHERE s.id = numbered.id`

type pgbenchResult struct {
	TPS       float64 // one flow's writes per transaction
	IntakeTPS float64 // one notification's statements per transaction (intake.sql)
	Clients   int
	Seconds   float64
	Version   string
}

// runPgbench makes a migrated database beside DATABASE_URL's (suffix _pgbench) and runs the
// flow script on it, then the intake script on the sessions the flows left.
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
	if out, err := exec.CommandContext(ctx, pgbench, "--version").Output(); err == nil {
		res.Version = strings.TrimSpace(string(out))
	}
	if res.TPS, err = pgbenchScript(ctx, o, pgbench, dbURL, "flow.sql", flowSQL); err != nil {
		return res, err
	}
	sessions, err := numberSessions(ctx, dbURL)
	if err != nil {
		return res, err
	}
	if res.IntakeTPS, err = pgbenchScript(ctx, o, pgbench, dbURL, "intake.sql", intakeSQL, "-D", "sessions="+strconv.FormatInt(sessions, 10)); err != nil {
		return res, err
	}
	return res, nil
}

// numberSessions runs intakeSetupSQL and returns how many sessions there are.
func numberSessions(ctx context.Context, dbURL string) (int64, error) {
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		return 0, err
	}
	defer conn.Close(ctx)
	tag, err := conn.Exec(ctx, intakeSetupSQL)
	if err != nil {
		return 0, fmt.Errorf("number the sessions for intake.sql: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return 0, fmt.Errorf("flow.sql left no session for intake.sql")
	}
	return tag.RowsAffected(), nil
}

// pgbenchScript runs script (saved as name in o.dir) for o.pgbenchFor with o.pgbenchConns
// clients in prepared mode and returns its rate.
func pgbenchScript(ctx context.Context, o options, pgbench, dbURL, name, script string, extra ...string) (float64, error) {
	file := filepath.Join(o.dir, name)
	if err := os.WriteFile(file, []byte(script), 0o644); err != nil {
		return 0, err
	}
	args := append([]string{"-n", "-M", "prepared", "-f", file,
		"-c", strconv.Itoa(o.pgbenchConns), "-j", strconv.Itoa(min(o.pgbenchConns, runtime.NumCPU())),
		"-T", strconv.Itoa(int(o.pgbenchFor.Seconds()))}, extra...)
	out, err := exec.CommandContext(ctx, pgbench, append(args, dbURL)...).CombinedOutput()
	if err != nil {
		return 0, fmt.Errorf("%s: %v\n%s", name, err, out)
	}
	return pgbenchTPS(name, out)
}

// pgbenchTPS reads the rate from pgbench's output; failed transactions are an error.
func pgbenchTPS(name string, out []byte) (float64, error) {
	m := regexp.MustCompile(`tps = ([0-9.]+) \(without initial connection time\)`).FindSubmatch(out)
	if m == nil {
		return 0, fmt.Errorf("%s: no tps in pgbench's output:\n%s", name, out)
	}
	tps, _ := strconv.ParseFloat(string(m[1]), 64)
	if failed := regexp.MustCompile(`number of failed transactions: ([1-9][0-9]*)`).FindSubmatch(out); failed != nil {
		return 0, fmt.Errorf("%s: %s transactions failed:\n%s", name, failed[1], out)
	}
	return tps, nil
}
