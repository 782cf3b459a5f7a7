package main

import (
	"context"
	"database/sql"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/placetopay-gateway/gateway/internal/pgtest"
)

// buildGateway compiles the gateway binary into a temporary directory.
func buildGateway(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "gateway")
	cmd := exec.Command("go", "build", "-o", bin, ".")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// replica is one `gateway serve` process.
type replica struct {
	cmd     *exec.Cmd
	stdout  syncBuffer
	stderr  syncBuffer
	done    chan struct{} // closed when the process has exited and waitErr is set
	waitErr error
}

func startReplica(t *testing.T, bin string, environ []string) *replica {
	t.Helper()
	r := &replica{cmd: exec.Command(bin, "serve"), done: make(chan struct{})}
	r.cmd.Env = environ
	r.cmd.Stdout, r.cmd.Stderr = &r.stdout, &r.stderr
	if err := r.cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", bin, err)
	}
	go func() {
		r.waitErr = r.cmd.Wait()
		close(r.done)
	}()
	t.Cleanup(func() {
		select {
		case <-r.done:
		default:
			_ = r.cmd.Process.Kill()
			<-r.done
		}
		if t.Failed() {
			t.Logf("replica pid %d stdout:\n%s\nstderr:\n%s", r.cmd.Process.Pid, &r.stdout, &r.stderr)
		}
	})
	return r
}

func (r *replica) exited() bool {
	select {
	case <-r.done:
		return true
	default:
		return false
	}
}

func TestReplicasStartTogetherOnEmptyDatabase(t *testing.T) {
	bin := buildGateway(t)
	dbURL := pgtest.EmptyURL(t)
	environ := []string{
		"DATABASE_URL=" + dbURL,
		"GATEWAY_ADDR=127.0.0.1:0",
		"GATEWAY_ADMIN_ADDR=127.0.0.1:0",
		"GATEWAY_API_KEYS=a-test-key-0123456789",
		"SANDBOX_ADDR=127.0.0.1:0", // each replica embeds its own sandbox
	}

	replicas := make([]*replica, 3)
	for i := range replicas {
		replicas[i] = startReplica(t, bin, environ)
	}

	// Every replica becomes ready; one overall deadline, generous because all three contend
	// for the migration lock. They run concurrently, so waiting on them in turn is enough.
	deadline := time.Now().Add(60 * time.Second)
	for i, r := range replicas {
		addrs := waitForListeners(t, &r.stdout, r.exited, "public", "admin")
		waitReady(t, addrs["admin"], deadline)
		t.Logf("replica %d ready on %s (admin %s)", i, addrs["public"], addrs["admin"])
	}

	// Each migration was applied exactly once, by exactly one replica.
	files := migrationFiles(t)
	db, err := sql.Open("pgx", dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var rows, versions int
	err = db.QueryRowContext(context.Background(),
		`SELECT count(*), count(DISTINCT version_id) FROM goose_db_version WHERE version_id > 0`).Scan(&rows, &versions)
	if err != nil {
		t.Fatalf("read goose_db_version: %v", err)
	}
	if rows != len(files) || versions != len(files) {
		t.Errorf("goose_db_version has %d row(s) for %d version(s), want one row for each of the %d migration(s)",
			rows, versions, len(files))
	}
	applied := 0
	for i, r := range replicas {
		e, ok := findLog(t, r.stdout.String(), "migrations applied")
		if !ok {
			t.Errorf("replica %d logged no migrations applied line", i)
			continue
		}
		n, _ := e["count"].(float64)
		applied += int(n)
	}
	if applied != len(files) {
		t.Errorf("replicas report %d migration(s) applied in total, want %d", applied, len(files))
	}

	// SIGTERM stops each one cleanly.
	for i, r := range replicas {
		if err := r.cmd.Process.Signal(syscall.SIGTERM); err != nil {
			t.Errorf("SIGTERM replica %d: %v", i, err)
		}
	}
	for i, r := range replicas {
		select {
		case <-r.done:
		case <-time.After(60 * time.Second):
			t.Fatalf("replica %d still running 60s after SIGTERM; stdout:\n%s", i, &r.stdout)
		}
		if code := r.cmd.ProcessState.ExitCode(); code != 0 {
			t.Errorf("replica %d exited with %d (%v), want 0; stderr:\n%s", i, code, r.waitErr, &r.stderr)
		}
		if _, ok := findLog(t, r.stdout.String(), "stopped"); !ok {
			t.Errorf("replica %d did not log stopped; stdout:\n%s", i, &r.stdout)
		}
	}
}
