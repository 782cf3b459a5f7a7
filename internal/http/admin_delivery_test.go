package http_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.uber.org/zap"

	gatewayhttp "github.com/placetopay-gateway/gateway/internal/http"
	"github.com/placetopay-gateway/gateway/internal/operators"
	"github.com/placetopay-gateway/gateway/internal/orders"
)

// eventState is one events row's delivery state, as the tests compare it.
type eventState struct {
	Delivered, Failed, Due bool
}

func (c *consoleEnv) eventStates(t *testing.T) map[string]eventState {
	t.Helper()
	rows, err := c.pool.Query(context.Background(), `SELECT id, delivered_at IS NOT NULL, failed_at IS NOT NULL,
		next_attempt_at IS NOT NULL AND next_attempt_at <= now() FROM events`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]eventState{}
	for rows.Next() {
		var id uuid.UUID
		var s eventState
		if err := rows.Scan(&id, &s.Delivered, &s.Failed, &s.Due); err != nil {
			t.Fatal(err)
		}
		out[id.String()] = s
	}
	return out
}

// TestRedeliverSinceMakesExactlyTheMatchingEventsDue: the events created in [since, until)
// of the types asked, delivered or given up, become due again, and nothing else changes;
// the audit row says the range and the count, and commits with the change or not at all.
// Ranges over 31 days or 10 000 events are refused and change nothing.
func TestRedeliverSinceMakesExactlyTheMatchingEventsDue(t *testing.T) {
	c := newConsoleEnv(t)
	support := c.operator(t, "help@shop.test", operators.Support)
	viewer := c.operator(t, "look@shop.test", operators.Viewer)
	o, _ := c.checkout(t, "10.00")
	ctx := context.Background()
	now := time.Now().UTC().Truncate(time.Second)
	ids := map[string]string{}
	insert := func(name, typ string, age time.Duration, state string) {
		id := uuid.New()
		ids[name] = id.String()
		q := `INSERT INTO events (id, type, order_id, data, created_at, delivered_at, failed_at, next_attempt_at, attempts) VALUES ($1, $2, $3, '{}', $4, `
		switch state {
		case "delivered":
			q += `$4, NULL, NULL, 1)`
		case "given_up":
			q += `NULL, $4, NULL, 9)`
		default: // waiting for a retry an hour away
			q += `NULL, NULL, now() + interval '1 hour', 2)`
		}
		if _, err := c.pool.Exec(ctx, q, id, typ, o.ID, now.Add(-age)); err != nil {
			t.Fatal(err)
		}
	}
	insert("old", "order.paid", 5*time.Hour, "delivered")           // before since
	insert("paid", "order.paid", 2*time.Hour, "delivered")          // in range
	insert("failed", "order.failed", 90*time.Minute, "given_up")    // in range
	insert("late", "order.paid", 10*time.Minute, "delivered")       // after until
	insert("waiting", "order.refunded", 30*time.Minute, "retrying") // in range, waiting
	body := func(types string) string {
		return fmt.Sprintf(`{"reason":"the merchant lost events","since":%q,"until":%q%s}`,
			now.Add(-3*time.Hour).Format(time.RFC3339), now.Add(-20*time.Minute).Format(time.RFC3339), types)
	}
	path := "/admin/api/events/redeliver"
	c.call(t, http.MethodPost, path, body(""), auth(viewer)).wantProblem(t, http.StatusForbidden, "forbidden", "")

	// Only order.failed: one event.
	r := c.call(t, http.MethodPost, path, body(`,"types":["order.failed"]`), auth(support, "Idempotency-Key", "since-1"))
	r.wantStatus(t, http.StatusAccepted)
	var res struct {
		Count int `json:"count"`
	}
	r.decode(t, &res)
	st := c.eventStates(t)
	if res.Count != 1 || st[ids["failed"]] != (eventState{Due: true}) || st[ids["paid"]] != (eventState{Delivered: true}) {
		t.Fatalf("types [order.failed]: count %d, states %+v", res.Count, st)
	}
	// The same key replays the answer; the whole range then makes three due.
	again := c.call(t, http.MethodPost, path, body(`,"types":["order.failed"]`), auth(support, "Idempotency-Key", "since-1"))
	if again.header.Get("Idempotent-Replayed") != "true" {
		t.Fatalf("the retried request was not a replay: %d %s", again.status, again.body)
	}
	r = c.call(t, http.MethodPost, path, body(""), auth(support))
	r.wantStatus(t, http.StatusAccepted)
	r.decode(t, &res)
	st = c.eventStates(t)
	want := map[string]eventState{
		ids["old"]: {Delivered: true}, ids["paid"]: {Due: true}, ids["failed"]: {Due: true},
		ids["late"]: {Delivered: true}, ids["waiting"]: {Due: true},
	}
	if res.Count != 3 {
		t.Errorf("count = %d, want 3", res.Count)
	}
	for id, w := range want {
		if st[id] != w {
			t.Errorf("event %s is %+v, want %+v", id, st[id], w)
		}
	}
	var after json.RawMessage
	if err := c.pool.QueryRow(ctx, `SELECT after FROM audit_log WHERE action = 'redeliver_since' AND actor_name = 'help@shop.test'
		ORDER BY id DESC LIMIT 1`).Scan(&after); err != nil {
		t.Fatal(err)
	}
	var a struct {
		Since, Until time.Time
		Count        int
	}
	if err := json.Unmarshal(after, &a); err != nil || a.Count != 3 || !a.Since.Equal(now.Add(-3*time.Hour)) || !a.Until.Equal(now.Add(-20*time.Minute)) {
		t.Errorf("audit after-state %s (%v)", after, err)
	}
	if n := c.count(t, `SELECT count(*) FROM audit_log WHERE action = 'redeliver_since'`); n != 2 {
		t.Errorf("%d redeliver_since audit rows, want 2 (the replay writes none)", n)
	}

	// Bounds: refused, nothing changes.
	if _, err := c.pool.Exec(ctx, `UPDATE events SET delivered_at = created_at, failed_at = NULL, next_attempt_at = NULL`); err != nil {
		t.Fatal(err)
	}
	tooLong := fmt.Sprintf(`{"reason":"everything","since":%q}`, now.Add(-32*24*time.Hour).Format(time.RFC3339))
	c.call(t, http.MethodPost, path, tooLong, auth(support)).wantProblem(t, http.StatusUnprocessableEntity, "invalid", "since")
	if _, err := c.pool.Exec(ctx, `INSERT INTO events (id, type, order_id, data, created_at, delivered_at)
		SELECT gen_random_uuid(), 'order.paid', $1, '{}', $2::timestamptz, $2::timestamptz FROM generate_series(1, 10001)`, o.ID, now.Add(-48*time.Hour)); err != nil {
		t.Fatal(err)
	}
	tooMany := fmt.Sprintf(`{"reason":"everything","since":%q}`, now.Add(-72*time.Hour).Format(time.RFC3339))
	c.call(t, http.MethodPost, path, tooMany, auth(support)).wantProblem(t, http.StatusUnprocessableEntity, "invalid", "since")
	c.call(t, http.MethodPost, path, `{"reason":"x","since":"yesterday"}`, auth(support)).wantProblem(t, http.StatusUnprocessableEntity, "invalid", "since")
	if n := c.count(t, `SELECT count(*) FROM events WHERE delivered_at IS NULL`); n != 0 {
		t.Fatalf("%d events made due by refused requests", n)
	}

	// The audit row cannot be written: nothing is made due.
	if _, err := c.pool.Exec(ctx, `CREATE FUNCTION refuse_audit() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'no audit'; END; $$;
		CREATE TRIGGER refuse_audit BEFORE INSERT ON audit_log FOR EACH ROW EXECUTE FUNCTION refuse_audit();`); err != nil {
		t.Fatal(err)
	}
	c.call(t, http.MethodPost, path, body(""), auth(support)).wantStatus(t, http.StatusInternalServerError)
	if n := c.count(t, `SELECT count(*) FROM events WHERE delivered_at IS NULL`); n != 0 {
		t.Fatalf("%d events made due although the audit row failed", n)
	}
}

// TestPauseAndResumeThroughTheAPI: an admin pauses delivery (support may not), anyone reads
// who paused it and how many events wait, pausing twice is a conflict, and resume ends it;
// each writes an audit row.
func TestPauseAndResumeThroughTheAPI(t *testing.T) {
	c := newConsoleEnv(t)
	admin := c.operator(t, "root@shop.test", operators.Admin)
	support := c.operator(t, "help@shop.test", operators.Support)
	viewer := c.operator(t, "look@shop.test", operators.Viewer)
	o, _ := c.checkout(t, "10.00")
	if _, err := c.pool.Exec(context.Background(), `INSERT INTO events (id, type, order_id, data, created_at)
		VALUES (gen_random_uuid(), 'order.paid', $1, '{}', now() - interval '10 minutes')`, o.ID); err != nil {
		t.Fatal(err)
	}
	reason := `{"reason":"merchant migrating"}`
	c.call(t, http.MethodPost, "/admin/api/delivery/pause", reason, auth(support)).wantProblem(t, http.StatusForbidden, "forbidden", "")
	c.call(t, http.MethodPost, "/admin/api/delivery/resume", reason, auth(admin)).wantProblem(t, http.StatusConflict, "conflict", "")
	c.call(t, http.MethodPost, "/admin/api/delivery/pause", reason, auth(admin)).wantStatus(t, http.StatusOK)
	c.call(t, http.MethodPost, "/admin/api/delivery/pause", reason, auth(admin)).wantProblem(t, http.StatusConflict, "conflict", "")

	var st struct {
		Paused                      bool    `json:"paused"`
		PausedBy                    *string `json:"pausedBy"`
		Reason                      *string `json:"reason"`
		Undelivered                 int     `json:"undelivered"`
		OldestUndeliveredAgeSeconds int     `json:"oldestUndeliveredAgeSeconds"`
	}
	r := c.call(t, http.MethodGet, "/admin/api/delivery", "", auth(viewer))
	r.wantStatus(t, http.StatusOK)
	r.decode(t, &st)
	if !st.Paused || st.PausedBy == nil || *st.PausedBy != "root@shop.test" || st.Reason == nil || *st.Reason != "merchant migrating" ||
		st.Undelivered < 1 || st.OldestUndeliveredAgeSeconds < 590 {
		t.Fatalf("delivery state while paused: %s", r.body)
	}
	c.call(t, http.MethodPost, "/admin/api/delivery/resume", `{"reason":"done"}`, auth(admin)).wantStatus(t, http.StatusOK)
	r = c.call(t, http.MethodGet, "/admin/api/delivery", "", auth(viewer))
	r.decode(t, &st)
	if st.Paused || st.PausedBy != nil {
		t.Fatalf("delivery state after resume: %s", r.body)
	}
	if n := c.count(t, `SELECT count(*) FROM audit_log WHERE action IN ('pause_delivery', 'resume_delivery') AND actor_name = 'root@shop.test'`); n != 2 {
		t.Errorf("%d audit rows, want 2 (the refused ones write none)", n)
	}
}

// TestSignInIsLimitedPerAddress: after ten sign-in attempts from one address (the burst;
// then one every 90 seconds, so at most 20 in 15 minutes), the next is 429 with Retry-After,
// the same answer whether the email exists and the password is right or not. Another
// address still signs in.
func TestSignInIsLimitedPerAddress(t *testing.T) {
	c := newConsoleEnv(t)
	c.operator(t, "root@shop.test", operators.Admin)
	reg := prometheus.NewRegistry()
	_, loopback, _ := net.ParseCIDR("127.0.0.0/8")
	h := gatewayhttp.NewAdmin(gatewayhttp.AdminConfig{
		Ready: func(context.Context) error { return nil }, Metrics: promhttp.HandlerFor(reg, promhttp.HandlerOpts{}),
		Console: &gatewayhttp.Console{Operators: c.ops, Orders: orders.NewService(orders.NewStore(c.pool, zap.NewNop()), zap.NewNop()),
			Money: c.money, Idempotency: c.idem, Log: zap.NewNop(), Registerer: reg, TrustedProxies: []*net.IPNet{loopback}},
	})
	ts := httptest.NewServer(h)
	t.Cleanup(ts.Close)
	signIn := func(from, email, password string) response {
		t.Helper()
		req, err := http.NewRequest(http.MethodPost, ts.URL+"/admin/api/session", strings.NewReader(fmt.Sprintf(`{"email":%q,"password":%q}`, email, password)))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Forwarded-For", from)
		res, err := (&http.Client{Transport: adminContract{t: t, next: http.DefaultTransport}}).Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var b strings.Builder
		buf := make([]byte, 4096)
		for {
			n, err := res.Body.Read(buf)
			b.Write(buf[:n])
			if err != nil {
				break
			}
		}
		return response{status: res.StatusCode, header: res.Header, body: []byte(b.String())}
	}
	for i := range gatewayhttp.SignInBurst {
		if r := signIn("192.0.2.7", fmt.Sprintf("nobody%d@shop.test", i), "wrong password!"); r.status != http.StatusUnauthorized {
			t.Fatalf("attempt %d: %d %s", i+1, r.status, r.body)
		}
	}
	right := signIn("192.0.2.7", "root@shop.test", "correct horse battery")
	wrong := signIn("192.0.2.7", "nobody@shop.test", "wrong password!")
	for _, r := range []response{right, wrong} {
		r.wantProblem(t, http.StatusTooManyRequests, "rate_limited", "")
		if got := r.header.Get("Retry-After"); got != "90" {
			t.Errorf("Retry-After = %q, want 90", got)
		}
	}
	if string(right.body) != string(wrong.body) {
		t.Errorf("the refusals differ with the email: %s vs %s", right.body, wrong.body)
	}
	signIn("192.0.2.8", "root@shop.test", "correct horse battery").wantStatus(t, http.StatusCreated)
	// The refused attempts never reached the operator: no lockout, no failure counted.
	if n := c.count(t, `SELECT failed_attempts FROM operators WHERE email = 'root@shop.test'`); n != 0 {
		t.Errorf("failed_attempts = %d", n)
	}
}
