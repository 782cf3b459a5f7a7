package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/placetopay-gateway/gateway/internal/loadtest"
	"github.com/placetopay-gateway/gateway/internal/pgtest"
)

// flow.sql must keep running against the current schema, and must do one flow's writes: an
// order paid with its payment, its event, its notification and both idempotency records.
func TestFlowScriptRunsOnTheSchema(t *testing.T) {
	pgbench, err := loadtest.PgBinary("pgbench")
	if err != nil {
		t.Fatal(err)
	}
	dbURL := pgtest.URL(t)
	script := filepath.Join(t.TempDir(), "flow.sql")
	if err := os.WriteFile(script, []byte(flowSQL), 0o644); err != nil {
		t.Fatal(err)
	}
	const clients, runs = 2, 5
	out, err := exec.Command(pgbench, "-n", "-M", "prepared", "-f", script, "-c", strconv.Itoa(clients), "-t", strconv.Itoa(runs), dbURL).CombinedOutput()
	if err != nil {
		t.Fatalf("pgbench: %v\n%s", err, out)
	}
	conn, err := pgx.Connect(context.Background(), dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	for query, want := range map[string]int{
		`SELECT count(*) FROM orders WHERE status = 'paid' AND paid_minor = total_minor`:          clients * runs,
		`SELECT count(*) FROM payments WHERE status = 'APPROVED'`:                                 clients * runs,
		`SELECT count(*) FROM events WHERE type = 'order.paid'`:                                   clients * runs,
		`SELECT count(*) FROM notifications`:                                                      clients * runs,
		`SELECT count(*) FROM checkout_sessions WHERE attempt = 'closed' AND status = 'APPROVED'`: clients * runs,
		`SELECT count(*) FROM idempotency_keys WHERE state = 'done'`:                              2 * clients * runs,
		`SELECT count(*) FROM order_timeline`:                                                     3 * clients * runs,
	} {
		var got int
		if err := conn.QueryRow(context.Background(), query).Scan(&got); err != nil {
			t.Fatalf("%s: %v", query, err)
		}
		if got != want {
			t.Errorf("%s = %d, want %d", query, got, want)
		}
	}
}

// intake.sql must keep running against the current schema on the sessions flow.sql leaves,
// and must store one notification per run.
func TestIntakeScriptRunsOnTheSchema(t *testing.T) {
	pgbench, err := loadtest.PgBinary("pgbench")
	if err != nil {
		t.Fatal(err)
	}
	dbURL := pgtest.URL(t)
	dir := t.TempDir()
	run := func(name, script string, runs int, extra ...string) {
		t.Helper()
		file := filepath.Join(dir, name)
		if err := os.WriteFile(file, []byte(script), 0o644); err != nil {
			t.Fatal(err)
		}
		args := append([]string{"-n", "-M", "prepared", "-f", file, "-c", "2", "-t", strconv.Itoa(runs)}, extra...)
		if out, err := exec.Command(pgbench, append(args, dbURL)...).CombinedOutput(); err != nil {
			t.Fatalf("pgbench %s: %v\n%s", name, err, out)
		}
	}
	run("flow.sql", flowSQL, 3)
	sessions, err := numberSessions(context.Background(), dbURL)
	if err != nil {
		t.Fatal(err)
	}
	if sessions != 6 {
		t.Fatalf("numbered %d sessions, want 6", sessions)
	}
	run("intake.sql", intakeSQL, 10, "-D", "sessions=6")
	conn, err := pgx.Connect(context.Background(), dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	var stored, named int
	if err := conn.QueryRow(context.Background(),
		`SELECT count(*), count(*) FILTER (WHERE request_id BETWEEN 1 AND 6) FROM notifications`).Scan(&stored, &named); err != nil {
		t.Fatal(err)
	}
	// flow.sql stored one per flow (6); intake.sql one per run (2 clients × 10), each for a
	// numbered session.
	if stored != 6+20 || named != 20 {
		t.Errorf("notifications: %d stored, %d for the numbered sessions; want 26 and 20", stored, named)
	}
}
