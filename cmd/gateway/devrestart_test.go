package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/placetopay-gateway/gateway/internal/loadtest"
	"github.com/placetopay-gateway/gateway/internal/pgtest"
)

// devRig is a development `gateway serve` process, with the embedded sandbox standing in
// for PlacetoPay, stopped and started again on the same addresses and database.
type devRig struct {
	t                     *testing.T
	bin                   string
	env                   []string
	url, admin, sandboxAt string
	dbURL                 string
	current               *replica
}

func newDevRig(t *testing.T) *devRig {
	t.Helper()
	var addrs [3]string
	for i := range addrs {
		a, err := loadtest.FreeAddr()
		if err != nil {
			t.Fatal(err)
		}
		addrs[i] = a
	}
	r := &devRig{t: t, bin: buildGateway(t), url: "http://" + addrs[0], admin: "http://" + addrs[1],
		sandboxAt: "http://" + addrs[2], dbURL: pgtest.URL(t)}
	// No PLACETOPAY_*: the embedded sandbox, with a secret generated anew on every start.
	r.env = []string{"PATH=" + os.Getenv("PATH"), "GATEWAY_ENV=development", "DATABASE_URL=" + r.dbURL,
		"GATEWAY_ADDR=" + addrs[0], "GATEWAY_ADMIN_ADDR=" + addrs[1], "GATEWAY_PUBLIC_URL=" + r.url,
		"SANDBOX_ADDR=" + addrs[2], "SANDBOX_PUBLIC_URL=" + r.sandboxAt,
		"GATEWAY_API_KEYS=" + merchantAPIKey, "GATEWAY_PROBE_INTERVAL=400ms",
		"GATEWAY_TOKEN_KEY=dev:" + strings.Repeat("ab", 32)}
	r.start()
	return r
}

func (r *devRig) start() {
	r.t.Helper()
	r.current = startReplica(r.t, r.bin, r.env)
	for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if resp, err := http.Get(r.admin + "/readyz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				if c, err := net.DialTimeout("tcp", strings.TrimPrefix(r.sandboxAt, "http://"), time.Second); err == nil {
					c.Close()
					return
				}
			}
		}
		if r.current.exited() || time.Now().After(deadline) {
			r.t.Fatalf("the gateway did not become ready:\n%s", &r.current.stdout)
		}
	}
}

// stop ends the process with sig and waits for it to exit.
func (r *devRig) stop(sig os.Signal) {
	r.t.Helper()
	if err := r.current.cmd.Process.Signal(sig); err != nil {
		r.t.Fatal(err)
	}
	select {
	case <-r.current.done:
	case <-time.After(60 * time.Second):
		r.t.Fatalf("the gateway did not stop on %v", sig)
	}
}

// call sends body (nil: none) to url with the merchant API key and returns the status and
// the answer.
func (r *devRig) call(method, url string, body any) (int, []byte) {
	r.t.Helper()
	var rd io.Reader
	if body != nil {
		raw, _ := json.Marshal(body)
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		r.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+merchantAPIKey)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		r.t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

type devCheckout struct {
	OrderID    string
	RequestID  int64
	ProcessURL string
}

// openCheckout creates an order and opens its checkout.
func (r *devRig) openCheckout(total string) devCheckout {
	r.t.Helper()
	code, raw := r.call(http.MethodPost, r.url+"/v1/orders", map[string]any{"description": "restart", "amount": map[string]string{"currency": "USD", "total": total}})
	var o struct{ ID string }
	if code != http.StatusCreated || json.Unmarshal(raw, &o) != nil {
		r.t.Fatalf("create order = %d %s", code, raw)
	}
	return r.checkout(o.ID, http.StatusCreated)
}

func (r *devRig) checkout(orderID string, want int) devCheckout {
	r.t.Helper()
	code, raw := r.call(http.MethodPost, r.url+"/v1/orders/"+orderID+"/checkout", map[string]any{})
	var s struct {
		RequestID  int64  `json:"requestId"`
		ProcessURL string `json:"processUrl"`
	}
	if code != want || json.Unmarshal(raw, &s) != nil || s.ProcessURL == "" {
		r.t.Fatalf("checkout of %s = %d %s, want %d and a processUrl", orderID, code, raw, want)
	}
	return devCheckout{OrderID: orderID, RequestID: s.RequestID, ProcessURL: s.ProcessURL}
}

// restartKeepsOpenCheckouts opens two checkouts, stops the development gateway with sig and
// starts it again on the same database: the first checkout's page still opens, it is paid
// through the sandbox and its order becomes paid; the second order can be cancelled.
func restartKeepsOpenCheckouts(t *testing.T, sig os.Signal) {
	r := newDevRig(t)
	pay, cancel := r.openCheckout("25.00"), r.openCheckout("12.00")
	r.stop(sig)
	r.start()

	if e, ok := findLog(t, r.current.stdout.String(), "sandbox state restored"); !ok || e["openSessions"] != float64(2) {
		t.Errorf("restore log line %v, want 2 open sessions", e)
	}
	again := r.checkout(pay.OrderID, http.StatusCreated)
	if again.ProcessURL != pay.ProcessURL {
		t.Errorf("checkout after the restart handed out %s, want the open session's %s", again.ProcessURL, pay.ProcessURL)
	}
	resp, err := http.Get(pay.ProcessURL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("GET processUrl after the restart = %d, want 200", resp.StatusCode)
	}
	code, raw := r.call(http.MethodPost, r.sandboxAt+"/sandbox/sessions/"+itoa64(pay.RequestID)+"/pay", map[string]string{"card": cardApprove})
	if code != http.StatusOK {
		t.Fatalf("paying the session opened before the restart = %d %s, want 200", code, raw)
	}
	waitUntil(t, "the order paid", func() bool {
		code, raw := r.call(http.MethodGet, r.url+"/v1/orders/"+pay.OrderID+"?refresh=true", nil)
		var o struct{ Status string }
		return code == http.StatusOK && json.Unmarshal(raw, &o) == nil && o.Status == "paid"
	})
	if code, raw := r.call(http.MethodPost, r.url+"/v1/orders/"+cancel.OrderID+"/cancel", map[string]any{}); code != http.StatusOK {
		t.Errorf("cancel of an order whose checkout opened before the restart = %d %s, want 200", code, raw)
	}
}

func itoa64(n int64) string {
	b, _ := json.Marshal(n)
	return string(b)
}

// TestDevelopmentRestartKeepsOpenCheckouts: `make run` stopped and started again strands
// no checkout: the embedded sandbox's sessions are kept in the development database.
func TestDevelopmentRestartKeepsOpenCheckouts(t *testing.T) {
	t.Parallel()
	restartKeepsOpenCheckouts(t, syscall.SIGTERM)
}

// TestDevelopmentKillKeepsOpenCheckouts: a development gateway killed right after it opened
// checkouts loses none of them: the sandbox saves every change before it answers.
func TestDevelopmentKillKeepsOpenCheckouts(t *testing.T) {
	t.Parallel()
	restartKeepsOpenCheckouts(t, syscall.SIGKILL)
}

// TestSandboxStateFileKeepsSessions: `gateway sandbox` with SANDBOX_STATE_FILE, stopped and
// started again, still knows its session, which can be queried and paid.
func TestSandboxStateFileKeepsSessions(t *testing.T) {
	file := filepath.Join(t.TempDir(), "sandbox-state.json")
	env := []string{"SANDBOX_ADDR=127.0.0.1:0", "SANDBOX_LOGIN=cmd-login", "SANDBOX_SECRET_KEY=cmd-secret-0123456789", "SANDBOX_STATE_FILE=" + file}
	_, addrs, stop := startRun(t, []string{"sandbox"}, env, "sandbox")
	code, body := postJSON(t, "http://"+addrs["sandbox"]+"/api/session", sessionRequest(t, "cmd-login", "cmd-secret-0123456789"))
	id, _ := body["requestId"].(float64)
	if code != http.StatusOK || id == 0 {
		t.Fatalf("POST /api/session = %d %v", code, body)
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}

	logs, addrs, _ := startRun(t, []string{"sandbox"}, env, "sandbox")
	if e, ok := findLog(t, logs.String(), "sandbox state restored"); !ok || e["sessions"] != float64(1) || !strings.Contains(e["stateKeptIn"].(string), file) {
		t.Errorf("restore log line %v, want 1 session kept in %s", e, file)
	}
	base := "http://" + addrs["sandbox"]
	q := sessionRequest(t, "cmd-login", "cmd-secret-0123456789")
	code, got := postJSON(t, base+"/api/session/"+itoa64(int64(id)), map[string]any{"auth": q["auth"]})
	if code != http.StatusOK || got["requestId"] != id {
		t.Fatalf("query of the session after the restart = %d %v, want 200", code, got)
	}
	if code, got := postJSON(t, base+"/sandbox/sessions/"+itoa64(int64(id))+"/pay", map[string]string{"card": cardApprove}); code != http.StatusOK {
		t.Errorf("pay after the restart = %d %v, want 200", code, got)
	}
	entries, err := os.ReadDir(filepath.Dir(file))
	if err != nil || len(entries) != 1 || entries[0].Name() != filepath.Base(file) {
		t.Errorf("the state file's directory holds %v (%v), want the state file alone: no temporary file left", entries, err)
	}
}

// TestServeWithPlacetoPayKeepsNoSandboxState: a gateway talking to PlacetoPay creates no
// sandbox schema: it exists only in development databases.
func TestServeWithPlacetoPayKeepsNoSandboxState(t *testing.T) {
	dbURL := pgtest.URL(t)
	logs, _, stop := startRun(t, []string{"serve"}, []string{
		"DATABASE_URL=" + dbURL, "GATEWAY_ADDR=127.0.0.1:0", "GATEWAY_ADMIN_ADDR=127.0.0.1:0",
		"PLACETOPAY_BASE_URL=https://checkout-test.placetopay.com", "PLACETOPAY_LOGIN=l", "PLACETOPAY_SECRET_KEY=s",
	}, "public", "admin")
	waitUntil(t, "the ready line", func() bool { _, ok := findLog(t, logs.String(), "ready"); return ok })
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	pool, err := pgxpool.New(context.Background(), dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	var n int
	if err := pool.QueryRow(context.Background(), `SELECT count(*) FROM information_schema.schemata WHERE schema_name = 'sandbox'`).Scan(&n); err != nil || n != 0 {
		t.Errorf("schema sandbox: %d (%v), want none", n, err)
	}
}
