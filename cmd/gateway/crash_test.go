package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/placetopay-gateway/gateway/internal/loadtest"
	"github.com/placetopay-gateway/gateway/internal/pgtest"
	"github.com/placetopay-gateway/gateway/internal/placetopay/sandbox"
)

// crashRig is a `gateway serve` process, killed and started again on the same address and
// database, in front of the real sandbox through a proxy that can hold PlacetoPay's answer
// to a transaction action: the process dies after PlacetoPay did the action and before it
// heard so.
type crashRig struct {
	t       *testing.T
	bin     string
	env     []string
	url     string // the gateway's public listener
	admin   string
	db      *pgxpool.Pool
	sandbox sandbox.Control
	current *replica

	mu   sync.Mutex
	hold string        // the PlacetoPay path whose next answer is held
	held chan struct{} // closed once PlacetoPay answered the held call
}

func newCrashRig(t *testing.T) *crashRig {
	t.Helper()
	const login, secret = "crash-site", "crash-secret-0123456789"
	addr, err := loadtest.FreeAddr()
	if err != nil {
		t.Fatal(err)
	}
	adminAddr, err := loadtest.FreeAddr()
	if err != nil {
		t.Fatal(err)
	}
	// The sandbox's notifications go to whichever process is up on addr.
	sb, err := sandbox.New(sandbox.Config{Login: login, SecretKey: secret, TickInterval: 50 * time.Millisecond,
		NotifyURL: "http://" + addr + "/webhooks/placetopay"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sb.Close)
	sbSrv := httptest.NewServer(sb.Handler())
	t.Cleanup(sbSrv.Close)
	r := &crashRig{t: t, bin: buildGateway(t), sandbox: sandbox.Control{BaseURL: sbSrv.URL}}
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		resp, body, err := sendOn(req, sbSrv.URL+req.URL.Path)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		r.mu.Lock()
		held := r.held
		hold := r.hold == req.URL.Path
		if hold {
			r.hold = ""
		}
		r.mu.Unlock()
		if hold {
			close(held)
			<-req.Context().Done() // the gateway dies waiting
			return
		}
		w.Header().Set("Content-Type", resp.Header.Get("Content-Type"))
		w.WriteHeader(resp.StatusCode)
		_, _ = w.Write(body)
	}))
	t.Cleanup(proxy.Close)
	r.url, r.admin = "http://"+addr, "http://"+adminAddr
	dbURL := pgtest.URL(t)
	if r.db, err = pgxpool.New(context.Background(), dbURL); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(r.db.Close)
	r.env = []string{"PATH=" + os.Getenv("PATH"), "GATEWAY_ENV=development", "DATABASE_URL=" + dbURL,
		"GATEWAY_ADDR=" + addr, "GATEWAY_ADMIN_ADDR=" + adminAddr, "GATEWAY_PUBLIC_URL=" + r.url,
		"GATEWAY_API_KEYS=" + merchantAPIKey, "GATEWAY_PROBE_INTERVAL=400ms", "PLACETOPAY_TIMEOUT=1s",
		"PLACETOPAY_BASE_URL=" + proxy.URL, "PLACETOPAY_LOGIN=" + login, "PLACETOPAY_SECRET_KEY=" + secret,
		"GATEWAY_TOKEN_KEY=crash:" + strings.Repeat("cd", 32)}
	r.start()
	return r
}

// start starts a gateway process and waits until it is ready.
func (r *crashRig) start() {
	r.t.Helper()
	r.current = startReplica(r.t, r.bin, r.env)
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if resp, err := http.Get(r.admin + "/readyz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		if r.current.exited() || time.Now().After(deadline) {
			r.t.Fatalf("the gateway did not become ready:\n%s", &r.current.stderr)
		}
	}
}

// crashDuring posts body to path and kills the process once PlacetoPay has answered the
// call to ppPath that the request makes, before the process hears the answer.
func (r *crashRig) crashDuring(path string, body any, ppPath string) {
	r.t.Helper()
	held := make(chan struct{})
	r.mu.Lock()
	r.hold, r.held = ppPath, held
	r.mu.Unlock()
	go func() { _, _ = r.post(path, body) }() // its connection dies with the process
	select {
	case <-held:
	case <-time.After(20 * time.Second):
		r.t.Fatalf("PlacetoPay was never asked %s", ppPath)
	}
	if err := r.current.cmd.Process.Kill(); err != nil {
		r.t.Fatal(err)
	}
	<-r.current.done
}

func (r *crashRig) post(path string, body any) (int, []byte) {
	r.t.Helper()
	raw, _ := json.Marshal(body)
	req, err := http.NewRequest(http.MethodPost, r.url+path, bytes.NewReader(raw))
	if err != nil {
		return 0, nil
	}
	req.Header.Set("Authorization", "Bearer "+merchantAPIKey)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, nil
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

// paidOrder creates an order of total, opens its checkout (a preauthorization with checkin)
// and pays it with the approving card, then waits for want.
func (r *crashRig) paidOrder(total string, checkin bool, want string) string {
	r.t.Helper()
	code, raw := r.post("/v1/orders", map[string]any{"description": "crash", "amount": map[string]string{"currency": "USD", "total": total}})
	var o struct{ ID string }
	if code != http.StatusCreated || json.Unmarshal(raw, &o) != nil {
		r.t.Fatalf("create order = %d %s", code, raw)
	}
	body := map[string]any{}
	if checkin {
		body["type"] = "checkin"
	}
	code, raw = r.post("/v1/orders/"+o.ID+"/checkout", body)
	var s struct{ RequestID int64 }
	if code != http.StatusCreated || json.Unmarshal(raw, &s) != nil {
		r.t.Fatalf("checkout = %d %s", code, raw)
	}
	if _, err := r.sandbox.Pay(context.Background(), s.RequestID, cardApprove); err != nil {
		r.t.Fatal(err)
	}
	r.waitFor("the order is "+want, 20*time.Second, `SELECT status = $2 FROM orders WHERE id = $1`, o.ID, want)
	return o.ID
}

func (r *crashRig) waitFor(what string, within time.Duration, query string, args ...any) {
	r.t.Helper()
	for deadline := time.Now().Add(within); ; time.Sleep(100 * time.Millisecond) {
		var ok bool
		if err := r.db.QueryRow(context.Background(), query, args...).Scan(&ok); err == nil && ok {
			return
		}
		if time.Now().After(deadline) {
			r.t.Fatalf("waited %s for %s", within, what)
		}
	}
}

func (r *crashRig) scalar(query string, args ...any) string {
	r.t.Helper()
	var v string
	if err := r.db.QueryRow(context.Background(), query, args...).Scan(&v); err != nil {
		r.t.Fatalf("%s: %v", query, err)
	}
	return v
}

// TestCrashDuringARefund: the process dies after PlacetoPay refunded and before it heard so.
// The refund stays requested; the next process makes it unknown once its call has surely
// ended, resolves it from the session query (the payment shows refunded), and the order is
// refunded, with one order.refunded event and never a second refund at PlacetoPay.
func TestCrashDuringARefund(t *testing.T) {
	t.Parallel()
	r := newCrashRig(t)
	orderID := r.paidOrder("20.00", false, "paid")
	r.crashDuring("/v1/orders/"+orderID+"/refunds", map[string]any{}, "/api/transaction")
	if got := r.scalar(`SELECT status FROM refunds WHERE order_id = $1`, orderID); got != "requested" {
		t.Fatalf("after the crash the refund is %s, want requested", got)
	}
	r.start()
	r.waitFor("the refund settled", 30*time.Second, `SELECT status = 'succeeded' FROM refunds WHERE order_id = $1`, orderID)
	r.waitFor("the order refunded", 10*time.Second, `SELECT status = 'refunded' AND refunded_minor = 2000 FROM orders WHERE id = $1`, orderID)
	if n := r.scalar(`SELECT count(*)::text FROM events WHERE order_id = $1 AND type = 'order.refunded'`, orderID); n != "1" {
		t.Errorf("%s order.refunded events, want 1", n)
	}
	if n := r.scalar(`SELECT count(*)::text FROM order_timeline WHERE order_id = $1 AND reason = 'outcome_unknown'`, orderID); n != "1" {
		t.Errorf("%s timeline notes of the action left requested, want 1", n)
	}
	// A second refund is possible again (nothing blocks the order), and finds nothing left.
	if code, raw := r.post("/v1/orders/"+orderID+"/refunds", map[string]any{}); code != http.StatusConflict {
		t.Errorf("another refund = %d %s, want 409: nothing is left to refund", code, raw)
	}
}

// TestCrashDuringACapture: the process dies after PlacetoPay captured a preauthorization and
// before it heard so. The next process resolves the capture from the checkin session's query
// (it lists the capture's transaction) and the order is paid with the captured amount.
func TestCrashDuringACapture(t *testing.T) {
	t.Parallel()
	r := newCrashRig(t)
	orderID := r.paidOrder("30.00", true, "authorized")
	r.crashDuring("/v1/orders/"+orderID+"/capture", map[string]any{"amount": map[string]string{"currency": "USD", "total": "25.00"}}, "/api/transaction")
	if got := r.scalar(`SELECT status FROM preauth_actions WHERE order_id = $1`, orderID); got != "requested" {
		t.Fatalf("after the crash the capture is %s, want requested", got)
	}
	r.start()
	r.waitFor("the capture settled", 30*time.Second, `SELECT status = 'succeeded' FROM preauth_actions WHERE order_id = $1`, orderID)
	r.waitFor("the order paid", 10*time.Second, `SELECT status = 'paid' AND paid_minor = 2500 FROM orders WHERE id = $1`, orderID)
	if n := r.scalar(`SELECT count(*)::text FROM order_timeline WHERE order_id = $1 AND to_status = 'review'`, orderID); n != "0" {
		t.Errorf("the order went to review %s times, want never", n)
	}
	if n := r.scalar(`SELECT count(*)::text FROM payments WHERE order_id = $1 AND parent_id IS NOT NULL`, orderID); n != "1" {
		t.Errorf("%s captures recorded, want 1", n)
	}
}

// TestCrashDuringAConfirmation: the process dies after PlacetoPay confirmed a payment awaiting
// confirmation and before it heard so. The next process sees the payment has left
// PENDING_CONFIRMATION: the confirmation happened, and the order is paid.
func TestCrashDuringAConfirmation(t *testing.T) {
	t.Parallel()
	r := newCrashRig(t)
	code, raw := r.post("/v1/orders", map[string]any{"description": "crash", "amount": map[string]string{"currency": "USD", "total": "18.00"}})
	var o struct{ ID string }
	if code != http.StatusCreated || json.Unmarshal(raw, &o) != nil {
		t.Fatalf("create order = %d %s", code, raw)
	}
	code, raw = r.post("/v1/orders/"+o.ID+"/checkout", map[string]any{"requiresConfirmation": true})
	var s struct{ RequestID int64 }
	if code != http.StatusCreated || json.Unmarshal(raw, &s) != nil {
		t.Fatalf("checkout = %d %s", code, raw)
	}
	if _, err := r.sandbox.Pay(context.Background(), s.RequestID, cardApprove); err != nil {
		t.Fatal(err)
	}
	r.waitFor("the payment awaits confirmation", 20*time.Second,
		`SELECT EXISTS (SELECT 1 FROM payments WHERE order_id = $1 AND status = 'PENDING_CONFIRMATION')`, o.ID)
	ref := r.scalar(`SELECT internal_reference::text FROM payments WHERE order_id = $1`, o.ID)
	r.crashDuring("/v1/orders/"+o.ID+"/payments/"+ref+"/confirm", nil, "/api/transaction")
	if got := r.scalar(`SELECT status FROM confirm_actions WHERE order_id = $1`, o.ID); got != "requested" {
		t.Fatalf("after the crash the confirmation is %s, want requested", got)
	}
	r.start()
	r.waitFor("the confirmation settled", 30*time.Second, `SELECT status = 'succeeded' FROM confirm_actions WHERE order_id = $1`, o.ID)
	r.waitFor("the order paid", 10*time.Second, `SELECT status = 'paid' FROM orders WHERE id = $1`, o.ID)
}
