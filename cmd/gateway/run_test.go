package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" database/sql driver

	"github.com/placetopay-gateway/gateway/internal/http/contract"
	"github.com/placetopay-gateway/gateway/internal/pgtest"
	"github.com/placetopay-gateway/gateway/migrations"
)

// syncBuffer is an io.Writer the process under test logs to while the test reads it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// logEntries parses every complete JSON log line written so far.
func logEntries(t testing.TB, out string) []map[string]any {
	t.Helper()
	var entries []map[string]any
	lines := strings.Split(out, "\n")
	for _, line := range lines[:len(lines)-1] { // the last element is empty or a partial line
		if strings.TrimSpace(line) == "" {
			continue
		}
		var e map[string]any
		if err := json.Unmarshal([]byte(line), &e); err != nil {
			t.Fatalf("log line is not JSON: %q: %v", line, err)
		}
		entries = append(entries, e)
	}
	return entries
}

// findLog returns the first log entry with the message msg.
func findLog(t testing.TB, out, msg string) (map[string]any, bool) {
	t.Helper()
	for _, e := range logEntries(t, out) {
		if e["msg"] == msg {
			return e, true
		}
	}
	return nil, false
}

// waitForListeners waits for the "listening" lines of the named listeners and returns their
// addresses. exited reports whether the process under test has already stopped.
func waitForListeners(t testing.TB, logs fmt.Stringer, exited func() bool, names ...string) map[string]string {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		addrs := map[string]string{}
		for _, e := range logEntries(t, logs.String()) {
			if e["msg"] != "listening" {
				continue
			}
			name, _ := e["listener"].(string)
			addr, _ := e["addr"].(string)
			if !strings.HasPrefix(addr, "127.0.0.1:") || strings.HasSuffix(addr, ":0") {
				t.Fatalf("listening line with address %q, want 127.0.0.1 and the port the kernel chose", addr)
			}
			addrs[name] = addr
		}
		complete := true
		for _, n := range names {
			if addrs[n] == "" {
				complete = false
			}
		}
		if complete {
			return addrs
		}
		if exited() {
			t.Fatalf("process stopped before listening on %v; log:\n%s", names, logs)
		}
		if time.Now().After(deadline) {
			t.Fatalf("no listening lines for %v after 60s; log:\n%s", names, logs)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

var testClient = &http.Client{Timeout: 10 * time.Second, Transport: contract.Transport{}}

// waitReady polls the admin listener's /readyz until it answers 200 {"status":"ready"}.
func waitReady(t testing.TB, adminAddr string, deadline time.Time) {
	t.Helper()
	var last string
	for {
		resp, err := testClient.Get("http://" + adminAddr + "/readyz")
		if err == nil {
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				var got map[string]string
				if err := json.Unmarshal(body, &got); err != nil || got["status"] != "ready" {
					t.Fatalf("/readyz 200 body = %s, want {\"status\":\"ready\"}", body)
				}
				return
			}
			last = fmt.Sprintf("%d %s", resp.StatusCode, body)
		} else {
			last = err.Error()
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s/readyz never became ready; last answer: %s", adminAddr, last)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// startRun runs `gateway <args>` in-process (`gateway` alone serves) until the test ends,
// and waits for the named listeners. It returns the log, the listeners' addresses and a
// function that stops it and returns run's error.
func startRun(t *testing.T, args, environ []string, listeners ...string) (logs *syncBuffer, addrs map[string]string, stop func() error) {
	t.Helper()
	logs = &syncBuffer{}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- run(ctx, append([]string{"gateway"}, args...), environ, logs) }()
	var (
		once   sync.Once
		runErr error
	)
	stop = func() error {
		once.Do(func() {
			cancel()
			select {
			case runErr = <-done:
			case <-time.After(60 * time.Second):
				runErr = errors.New("run did not return within 60s of cancellation")
			}
		})
		return runErr
	}
	t.Cleanup(func() { _ = stop() }) // before the database is dropped
	return logs, waitForListeners(t, logs, exitedFunc(done), listeners...), stop
}

// exitedFunc reports whether the function that sends its result to done has returned.
func exitedFunc(done chan error) func() bool {
	return func() bool {
		select {
		case err := <-done:
			done <- err
			return true
		default:
			return false
		}
	}
}

func TestRunServe(t *testing.T) {
	dbURL := pgtest.URL(t)
	logs, addrs, stop := startRun(t, nil, []string{
		"DATABASE_URL=" + dbURL,
		"GATEWAY_ADDR=127.0.0.1:0",
		"GATEWAY_ADMIN_ADDR=127.0.0.1:0",
		"SANDBOX_ADDR=127.0.0.1:0", // no PlacetoPay credentials: the sandbox starts too
	}, "public", "admin")
	admin, public := "http://"+addrs["admin"], "http://"+addrs["public"]
	waitReady(t, addrs["admin"], time.Now().Add(60*time.Second))

	t.Run("healthz", func(t *testing.T) {
		resp, err := testClient.Get(admin + "/healthz")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("/healthz = %d, want 200", resp.StatusCode)
		}
	})

	t.Run("healthcheck command", func(t *testing.T) {
		_, port, _ := net.SplitHostPort(addrs["admin"])
		if err := run(context.Background(), []string{"gateway", "healthcheck"}, []string{"GATEWAY_ADMIN_ADDR=:" + port}, io.Discard); err != nil {
			t.Errorf("healthcheck against a live admin listener: %v", err)
		}
	})

	t.Run("metrics", func(t *testing.T) {
		resp, err := testClient.Get(admin + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("/metrics = %d, want 200", resp.StatusCode)
		}
		for _, name := range []string{"gateway_build_info", "go_goroutines"} {
			if !bytes.Contains(body, []byte(name)) {
				t.Errorf("/metrics lacks %s", name)
			}
		}
	})

	t.Run("development key creates orders", func(t *testing.T) {
		entry, ok := findLog(t, logs.String(), "development API key (GATEWAY_API_KEYS is empty, so one was generated for this run)")
		if !ok {
			t.Fatalf("no development API key line; log:\n%s", logs)
		}
		key, _ := entry["apiKey"].(string)
		if !strings.HasPrefix(key, "sk_dev_") {
			t.Fatalf("development API key = %q, want an sk_dev_ prefix", key)
		}
		createOrder := func(auth string) (int, string) {
			req, err := http.NewRequest(http.MethodPost, public+"/v1/orders",
				strings.NewReader(`{"description":"run","amount":{"currency":"USD","total":"10.00"}}`))
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Content-Type", "application/json")
			if auth != "" {
				req.Header.Set("Authorization", auth)
			}
			resp, err := testClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			return resp.StatusCode, string(body)
		}
		if code, body := createOrder("Bearer " + key); code != http.StatusCreated {
			t.Errorf("POST /v1/orders with the development key = %d %s, want 201", code, body)
		}
		if code, body := createOrder("Bearer sk_dev_not-the-generated-key"); code != http.StatusUnauthorized {
			t.Errorf("POST /v1/orders with another key = %d %s, want 401", code, body)
		}
		created, ok := findLog(t, logs.String(), "order created")
		if !ok {
			t.Fatalf("no order created line; log:\n%s", logs)
		}
		if created["amount"] != "10.00 USD" {
			t.Errorf("order created line amount = %v, want 10.00 USD", created["amount"])
		}
	})

	t.Run("start-up log masks the database password", func(t *testing.T) {
		u, err := url.Parse(dbURL)
		if err != nil {
			t.Fatal(err)
		}
		pw, _ := u.User.Password()
		if pw == "" {
			t.Fatalf("test database URL %q has no password to look for", dbURL)
		}
		starting, ok := findLog(t, logs.String(), "starting")
		if !ok {
			t.Fatalf("no starting line; log:\n%s", logs)
		}
		config, _ := starting["config"].(map[string]any)
		if w, _ := config["GATEWAY_CONFIRMATION_WINDOW"].(string); !strings.HasPrefix(w, "30m0s") {
			t.Errorf("starting line GATEWAY_CONFIRMATION_WINDOW = %q, want the 30m0s in effect", w)
		}
		if strings.Contains(logs.String(), ":"+pw+"@") {
			t.Errorf("log contains the database password; log:\n%s", logs)
		}
	})

	if err := stop(); err != nil {
		t.Fatalf("run returned %v after cancellation, want nil; log:\n%s", err, logs)
	}
	if _, ok := findLog(t, logs.String(), "stopped"); !ok {
		t.Errorf("no stopped line after shutdown; log:\n%s", logs)
	}
	if resp, err := testClient.Get(admin + "/healthz"); err == nil {
		resp.Body.Close()
		t.Error("admin listener still answers after run returned")
	}
	_, port, _ := net.SplitHostPort(addrs["admin"])
	if err := run(context.Background(), []string{"gateway", "healthcheck"}, []string{"GATEWAY_ADMIN_ADDR=:" + port}, io.Discard); err == nil {
		t.Error("healthcheck succeeded with the admin listener gone")
	}
}

func TestRunInvalidConfiguration(t *testing.T) {
	for _, args := range [][]string{{"gateway"}, {"gateway", "serve"}, {"gateway", "migrate", "up"}, {"gateway", "migrate", "status"}} {
		t.Run(strings.Join(args[1:], " "), func(t *testing.T) {
			var out syncBuffer
			err := run(context.Background(), args, []string{"GATEWAY_ENV=staging"}, &out)
			if err == nil || !strings.Contains(err.Error(), "GATEWAY_ENV") {
				t.Errorf("run(GATEWAY_ENV=staging) = %v, want an error naming GATEWAY_ENV", err)
			}
		})
	}
}

func TestRunUnknownCommand(t *testing.T) {
	for _, args := range [][]string{
		{"gateway", "frobnicate"},
		{"gateway", "serve", "now"},
		{"gateway", "migrate"},
		{"gateway", "migrate", "down"},
	} {
		t.Run(strings.Join(args[1:], " "), func(t *testing.T) {
			var out syncBuffer
			err := run(context.Background(), args, nil, &out)
			if err == nil {
				t.Fatalf("run(%q) = nil, want an error", args)
			}
			if !strings.Contains(err.Error(), "usage") {
				t.Errorf("run(%q) = %q, want the usage in the error", args, err)
			}
		})
	}
}

func TestRunHelp(t *testing.T) {
	var out syncBuffer
	if err := run(context.Background(), []string{"gateway", "help"}, nil, &out); err != nil {
		t.Fatalf("run(help) = %v", err)
	}
	if !strings.Contains(out.String(), "migrate up") {
		t.Errorf("help output %q lacks the commands", out.String())
	}
}

// migrationFiles returns the names of the embedded .sql migrations.
func migrationFiles(t testing.TB) []string {
	t.Helper()
	names, err := fs.Glob(migrations.FS(), "*.sql")
	if err != nil || len(names) == 0 {
		t.Fatalf("embedded migrations: %v, %v", names, err)
	}
	return names
}

func TestRunMigrateStatus(t *testing.T) {
	var out syncBuffer
	err := run(context.Background(), []string{"gateway", "migrate", "status"}, []string{"DATABASE_URL=" + pgtest.URL(t)}, &out)
	if err != nil {
		t.Fatalf("migrate status: %v", err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	files := migrationFiles(t)
	if len(lines) != len(files) {
		t.Fatalf("migrate status printed %d line(s), want one per migration (%v):\n%s", len(lines), files, out.String())
	}
	for i, line := range lines {
		fields := strings.Fields(line)
		if len(fields) != 3 || fields[1] != files[i] {
			t.Errorf("status line %q, want version, %s and the applied time", line, files[i])
			continue
		}
		at, err := time.Parse(time.RFC3339, fields[2])
		if err != nil {
			t.Errorf("status line %q: applied time %q: %v", line, fields[2], err)
			continue
		}
		if d := time.Since(at); d < -24*time.Hour || d > 24*time.Hour {
			t.Errorf("status line %q: applied at %v, not around now", line, at)
		}
	}
}

func TestRunMigrateUp(t *testing.T) {
	dbURL := pgtest.EmptyURL(t)
	environ := []string{"DATABASE_URL=" + dbURL}
	files := migrationFiles(t)

	var status syncBuffer
	if err := run(context.Background(), []string{"gateway", "migrate", "status"}, environ, &status); err != nil {
		t.Fatalf("migrate status on an empty database: %v", err)
	}
	if got := strings.Count(status.String(), "pending"); got != len(files) {
		t.Errorf("migrate status on an empty database shows %d pending, want %d:\n%s", got, len(files), status.String())
	}

	for i, want := range []string{fmt.Sprintf("applied %d migration(s)", len(files)), "applied 0 migration(s)"} {
		var out syncBuffer
		if err := run(context.Background(), []string{"gateway", "migrate", "up"}, environ, &out); err != nil {
			t.Fatalf("migrate up #%d: %v", i+1, err)
		}
		if got := strings.TrimSpace(out.String()); got != want {
			t.Errorf("migrate up #%d printed %q, want %q", i+1, got, want)
		}
	}

	db, err := sql.Open("pgx", dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	pending, err := migrations.Pending(context.Background(), db)
	if err != nil {
		t.Fatalf("migrations.Pending: %v", err)
	}
	if pending {
		t.Error("migrations.Pending = true after migrate up")
	}
}
