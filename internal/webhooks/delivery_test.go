package webhooks_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/placetopay-gateway/gateway/internal/pgtest"
	"github.com/placetopay-gateway/gateway/internal/webhooks"
)

func TestDeliverSignsPerStandardWebhooks(t *testing.T) {
	for _, tc := range []struct {
		name   string
		secret string
	}{
		{"whsec secret", testSecret(t)},
		{"raw secret", "a plain shared secret, used as the HMAC key as is"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			pool := pgtest.Pool(t)
			m := newMerchant(t, answer(http.StatusNoContent))
			d, logs := newTestDeliverer(t, pool, m, tc.secret, nil)
			orderID := insertOrder(t, pool)
			ev := insertEvent(t, pool, orderID, "order.cancelled")

			n, err := d.DeliverDue(ctx)
			if err != nil || n != 1 {
				t.Fatalf("DeliverDue = %d, %v; want 1, nil", n, err)
			}
			reqs := m.requests()
			if len(reqs) != 1 {
				t.Fatalf("merchant got %d requests, want 1", len(reqs))
			}
			r := reqs[0]
			verify(t, tc.secret, r, true)
			if got := r.header.Get("webhook-id"); got != ev.id.String() {
				t.Errorf("webhook-id = %q, want the event id %s", got, ev.id)
			}
			ts, err := strconv.ParseInt(r.header.Get("webhook-timestamp"), 10, 64)
			if err != nil || time.Since(time.Unix(ts, 0)).Abs() > time.Minute {
				t.Errorf("webhook-timestamp = %q, want unix seconds around now", r.header.Get("webhook-timestamp"))
			}
			if sig := r.header.Get("webhook-signature"); !strings.HasPrefix(sig, "v1,") {
				t.Errorf("webhook-signature = %q, want v1,<base64>", sig)
			}
			if ct := r.header.Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type = %q", ct)
			}

			// The body is the event as GET /v1/events shows it.
			var createdAt time.Time
			if err := pool.QueryRow(ctx, `SELECT created_at FROM events WHERE seq = $1`, ev.seq).Scan(&createdAt); err != nil {
				t.Fatal(err)
			}
			var got map[string]any
			if err := json.Unmarshal(r.body, &got); err != nil {
				t.Fatalf("body %s: %v", r.body, err)
			}
			want := map[string]any{
				"id": ev.id.String(), "type": "order.cancelled", "orderId": orderID.String(),
				"data":      map[string]any{"orderId": orderID.String(), "status": "cancelled"},
				"createdAt": createdAt.UTC().Format(time.RFC3339Nano),
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("body (-want +got):\n%s", diff)
			}

			if n := count(t, pool, `SELECT count(*) FROM events WHERE delivered_at IS NOT NULL AND next_attempt_at IS NULL AND attempts = 1`); n != 1 {
				t.Errorf("delivered events = %d, want 1", n)
			}
			attempts := attemptsOf(t, pool)
			if len(attempts) != 1 || attempts[0].statusCode == nil || *attempts[0].statusCode != 204 || attempts[0].errText != nil {
				t.Errorf("event_deliveries = %+v, want one row with status 204", attempts)
			}
			if n, err := d.DeliverDue(ctx); err != nil || n != 0 {
				t.Errorf("second pass = %d, %v; want 0, nil (nothing left to deliver)", n, err)
			}
			if len(m.requests()) != 1 {
				t.Errorf("merchant got %d requests, want 1", len(m.requests()))
			}
			if logs.FilterLevelExact(zapcore.WarnLevel).Len()+logs.FilterLevelExact(zapcore.ErrorLevel).Len() != 0 {
				t.Errorf("a successful delivery logged problems: %v", logs.All())
			}
		})
	}
}

func TestNewDelivererRejectsBadSettings(t *testing.T) {
	pool := pgtest.Pool(t)
	for _, tc := range []struct{ name, url, secret string }{
		{"relative url", "/hooks", "secret"},
		{"ftp url", "ftp://shop.example/hooks", "secret"},
		{"empty secret", "https://shop.example/hooks", ""},
		{"whsec with nothing after", "https://shop.example/hooks", "whsec_"},
		{"whsec not base64", "https://shop.example/hooks", "whsec_not*base64!"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := webhooks.NewDeliverer(pool, webhooks.Endpoint{URL: tc.url, Secret: tc.secret}, nil, zap.NewNop(), nil, nil)
			if err == nil {
				t.Fatal("NewDeliverer accepted it")
			}
			if len(tc.secret) > len("whsec_") && strings.Contains(err.Error(), tc.secret) {
				t.Errorf("error %q quotes the secret", err)
			}
		})
	}
	for _, timeout := range []time.Duration{500 * time.Millisecond, 31 * time.Second, -time.Second} {
		ep := webhooks.Endpoint{URL: "https://shop.example/hooks", Secret: "secret", Timeout: timeout}
		if _, err := webhooks.NewDeliverer(pool, ep, nil, zap.NewNop(), nil, nil); err == nil || !strings.Contains(err.Error(), "timeout") {
			t.Errorf("timeout %s: NewDeliverer said %v, want a refusal naming the timeout", timeout, err)
		}
	}
}

// TestDeliveryTimeoutIsTheEndpointsSetting: a merchant that never answers is given up on
// after the endpoint's timeout (the default when none is set), and the attempt says so.
func TestDeliveryTimeoutIsTheEndpointsSetting(t *testing.T) {
	pool := pgtest.Pool(t)
	m := newMerchant(t, func(_ http.ResponseWriter, r *http.Request, _ int, _ string) { <-r.Context().Done() })
	for _, tc := range []struct {
		timeout time.Duration
		want    string
	}{
		{0, "no response within 15s"},
		{time.Second, "no response within 1s"},
	} {
		ep := webhooks.Endpoint{URL: m.srv.URL + "/hooks", Secret: testSecret(t), Timeout: tc.timeout}
		d, err := webhooks.NewDeliverer(pool, ep, m.srv.Client(), zap.NewNop(), nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		if tc.timeout == 0 {
			if got := d.TimeoutForTest(); got != 15*time.Second {
				t.Errorf("default timeout %s, want 15s", got)
			}
			continue
		}
		insertEvent(t, pool, insertOrder(t, pool), "order.paid")
		if _, err := d.DeliverDue(context.Background()); err != nil {
			t.Fatal(err)
		}
		attempts := attemptsOf(t, pool)
		if len(attempts) != 1 || attempts[0].errText == nil || *attempts[0].errText != tc.want {
			t.Fatalf("attempts %+v, want one that failed with %q", attempts, tc.want)
		}
		if attempts[0].durationMs < 900 {
			t.Errorf("the attempt was given up after %dms, before the 1s timeout", attempts[0].durationMs)
		}
	}
}

func TestBackoffGrowsCappedWithJitter(t *testing.T) {
	for attempt := 1; attempt <= 80; attempt++ {
		ceiling := webhooks.MaxBackoffForTest
		if attempt < 20 {
			ceiling = min(webhooks.BaseBackoffForTest<<(attempt-1), webhooks.MaxBackoffForTest)
		}
		for range 50 {
			d := webhooks.BackoffForTest(attempt)
			if d > ceiling || d < ceiling*4/5 {
				t.Fatalf("backoff(%d) = %s, want within [%s, %s]", attempt, d, ceiling*4/5, ceiling)
			}
		}
	}
	if c := min(webhooks.BaseBackoffForTest<<(12-1), webhooks.MaxBackoffForTest); c != time.Hour {
		t.Errorf("the 12th retry waits up to %s, want the one-hour cap", c)
	}
}

// TestRetriesUntilTheMerchantRecovers: the endpoint answers 500, then hangs up, then never
// answers, then recovers; every event arrives signed, every attempt is in event_deliveries,
// and an order's events arrive in order.
func TestRetriesUntilTheMerchantRecovers(t *testing.T) {
	pool := pgtest.Pool(t)
	secret := testSecret(t)
	m := newMerchant(t, func(w http.ResponseWriter, r *http.Request, n int, _ string) {
		switch n {
		case 0:
			w.WriteHeader(http.StatusInternalServerError)
		case 1:
			hangUp(t, w)
		case 2:
			<-r.Context().Done() // until the deliverer gives up on the request
		default:
			w.WriteHeader(http.StatusOK)
		}
	})
	// No keep-alive: every attempt is a request the endpoint sees, never a stale connection.
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	core, logs := observer.New(zap.DebugLevel)
	reg := prometheus.NewRegistry()
	d, err := webhooks.NewDeliverer(pool, webhooks.Endpoint{URL: m.srv.URL + "/hooks?token=url-token-s3cr3t", Secret: secret}, client, zap.New(core), nil, webhooks.NewDeliveryMetrics(reg))
	if err != nil {
		t.Fatal(err)
	}
	d.SetTimingForTest(300*time.Millisecond, 0, func(int) time.Duration { return 0 })

	orderA, orderB := insertOrder(t, pool), insertOrder(t, pool)
	a1 := insertEvent(t, pool, orderA, "order.authorized")
	b1 := insertEvent(t, pool, orderB, "order.cancelled")
	a2 := insertEvent(t, pool, orderA, "order.paid")
	passUntil(t, d, func() bool {
		return count(t, pool, `SELECT count(*) FROM events WHERE delivered_at IS NULL`) == 0
	})

	reqs := m.requests()
	okByID := map[string]int{}
	var order []string // first successful delivery of each event, in arrival order
	for i, r := range reqs {
		verify(t, secret, r, true)
		if i >= 3 {
			id := r.header.Get("webhook-id")
			if okByID[id]++; okByID[id] == 1 {
				order = append(order, id)
			}
		}
	}
	for _, ev := range []storedEvent{a1, b1, a2} {
		if okByID[ev.id.String()] != 1 {
			t.Errorf("event %s was accepted %d times, want once", ev.id, okByID[ev.id.String()])
		}
	}
	if pos := indexOf(order, a1.id.String()); pos < 0 || pos > indexOf(order, a2.id.String()) {
		t.Errorf("order A's events arrived as %v, want %s before %s", order, a1.id, a2.id)
	}

	// Every attempt the endpoint saw is one event_deliveries row, failures described.
	attempts := attemptsOf(t, pool)
	if len(attempts) != len(reqs) {
		t.Fatalf("event_deliveries has %d rows, the merchant saw %d requests", len(attempts), len(reqs))
	}
	var statuses, timeouts, hangUps, oks int
	for _, a := range attempts {
		switch {
		case a.statusCode != nil && *a.statusCode == 500:
			statuses++
		case a.statusCode != nil && *a.statusCode == 200:
			oks++
		case a.errText != nil && strings.HasPrefix(*a.errText, "no response within"):
			timeouts++
			if a.durationMs < 250 {
				t.Errorf("timed-out attempt took %dms, want about the 300ms timeout", a.durationMs)
			}
		case a.errText != nil && *a.errText != "":
			hangUps++
		default:
			t.Errorf("attempt row with neither status nor error: %+v", a)
		}
		if a.errText != nil && (strings.Contains(*a.errText, "s3cr3t") || strings.Contains(*a.errText, "/hooks")) {
			t.Errorf("attempt error %q shows the URL", *a.errText)
		}
	}
	if statuses != 1 || hangUps != 1 || timeouts != 1 || oks != 3 {
		t.Errorf("attempts: %d×500, %d hang-ups, %d timeouts, %d×200; want 1, 1, 1, 3", statuses, hangUps, timeouts, oks)
	}
	if n := count(t, pool, `SELECT count(*) FROM events e WHERE attempts <> (SELECT count(*) FROM event_deliveries d WHERE d.event_seq = e.seq)`); n != 0 {
		t.Errorf("%d events whose attempts column disagrees with event_deliveries", n)
	}
	wantAttempts(t, reg, map[string]float64{"delivered": 3, "failed": 3, "gave_up": 0})

	// Each failure is logged once, with the host and never the secret or the URL's query.
	warns := logs.FilterMessage("merchant event delivery failed; will retry").All()
	if len(warns) != 3 {
		t.Errorf("logged %d failures, want 3: %v", len(warns), logs.All())
	}
	for _, e := range logs.All() {
		line, _ := json.Marshal(e.ContextMap())
		if strings.Contains(string(line), "s3cr3t") || strings.Contains(string(line), secret[6:]) || strings.Contains(string(line), "/hooks") {
			t.Errorf("log %q %s shows the URL or the secret", e.Message, line)
		}
	}
	if len(warns) > 0 && warns[0].ContextMap()["host"] != strings.TrimPrefix(m.srv.URL, "http://") {
		t.Errorf("failure log host = %v, want %s", warns[0].ContextMap()["host"], strings.TrimPrefix(m.srv.URL, "http://"))
	}
}

func indexOf(s []string, v string) int {
	for i, x := range s {
		if x == v {
			return i
		}
	}
	return -1
}

// TestFailingEventHoldsBackOnlyItsOrder: an event that keeps failing delays its own order's
// later events, and nothing else, until it is given up three days after it was created.
func TestFailingEventHoldsBackOnlyItsOrderUntilGivenUp(t *testing.T) {
	ctx := context.Background()
	pool := pgtest.Pool(t)
	secret := testSecret(t)
	orderA, orderB := insertOrder(t, pool), insertOrder(t, pool)
	bad := insertEvent(t, pool, orderA, "order.authorized")
	later := insertEvent(t, pool, orderA, "order.paid")
	other := insertEvent(t, pool, orderB, "order.cancelled")
	m := newMerchant(t, func(w http.ResponseWriter, _ *http.Request, _ int, id string) {
		if id == bad.id.String() {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		w.WriteHeader(http.StatusOK)
	})
	var created time.Time
	if err := pool.QueryRow(ctx, `SELECT created_at FROM events WHERE seq = $1`, bad.seq).Scan(&created); err != nil {
		t.Fatal(err)
	}
	clock := &fakeClock{now: created}
	core, logs := observer.New(zap.DebugLevel)
	reg := prometheus.NewRegistry()
	d, err := webhooks.NewDeliverer(pool, webhooks.Endpoint{URL: m.srv.URL + "/hooks?token=url-token-s3cr3t", Secret: secret}, m.srv.Client(), zap.New(core), clock.Now,
		webhooks.NewDeliveryMetrics(reg)) // the production backoff
	if err != nil {
		t.Fatal(err)
	}

	// Hourly passes: every retry is due by the next one, since no backoff exceeds an hour.
	var passes int
	for ; passes < 200; passes++ {
		if _, err := d.DeliverDue(ctx); err != nil {
			t.Fatal(err)
		}
		if count(t, pool, `SELECT count(*) FROM events WHERE seq = $1 AND failed_at IS NOT NULL`, bad.seq) == 1 {
			break
		}
		clock.Advance(time.Hour)
	}
	if passes == 200 {
		t.Fatal("the failing event was never given up")
	}

	var badTimes []time.Time
	for _, a := range attemptsOf(t, pool) {
		if a.eventSeq == bad.seq {
			badTimes = append(badTimes, a.attemptedAt)
		}
	}
	last := badTimes[len(badTimes)-1]
	if age := last.Sub(created); age < webhooks.RetryWindowForTest {
		t.Errorf("given up after an attempt %s after creation, want at least %s", age, webhooks.RetryWindowForTest)
	}
	if prev := badTimes[len(badTimes)-2]; prev.Sub(created) >= webhooks.RetryWindowForTest {
		t.Errorf("kept retrying after the window: the attempt before the last came %s after creation", prev.Sub(created))
	}
	if len(badTimes) < 72 {
		t.Errorf("%d attempts in three days, want one at least every hour (72+)", len(badTimes))
	}
	var failedAt time.Time
	if err := pool.QueryRow(ctx, `SELECT failed_at FROM events WHERE seq = $1 AND delivered_at IS NULL AND next_attempt_at IS NULL`, bad.seq).Scan(&failedAt); err != nil {
		t.Fatalf("given-up event: %v", err)
	}
	if !failedAt.Equal(last) {
		t.Errorf("failed_at = %s, want the last attempt's time %s", failedAt, last)
	}

	// The other order's event went out on the first pass; the failing event's order mate
	// only after the failing one was given up.
	for _, r := range m.requests() {
		verify(t, secret, r, false)
		switch r.header.Get("webhook-id") {
		case other.id.String():
			ts, _ := strconv.ParseInt(r.header.Get("webhook-timestamp"), 10, 64)
			if ts != created.Unix() {
				t.Errorf("the other order's event went out at %d, want on the first pass (%d)", ts, created.Unix())
			}
		case later.id.String():
			t.Errorf("order A's later event went out while its earlier event was still being retried")
		}
	}
	if n, err := d.DeliverDue(ctx); err != nil || n != 1 {
		t.Fatalf("pass after the give-up = %d, %v; want 1 (the held-back event), nil", n, err)
	}
	if got := m.requests()[len(m.requests())-1].header.Get("webhook-id"); got != later.id.String() {
		t.Errorf("after the give-up the merchant got %s, want the held-back %s", got, later.id)
	}
	clock.Advance(24 * time.Hour)
	if n, err := d.DeliverDue(ctx); err != nil || n != 0 {
		t.Errorf("pass after everything = %d, %v; want 0: a given-up event is not attempted again", n, err)
	}
	if n := logs.FilterMessage("merchant event delivery given up: every attempt for three days failed").Len(); n != 1 {
		t.Errorf("logged the give-up %d times, want once", n)
	}
	wantAttempts(t, reg, map[string]float64{"delivered": 2, "failed": float64(len(badTimes) - 1), "gave_up": 1})
}

// TestCrashedClaimIsRetriedAfterItsLease: a replica that claims events and dies holds them
// only until the lease ends.
func TestCrashedClaimIsRetriedAfterItsLease(t *testing.T) {
	ctx := context.Background()
	pool := pgtest.Pool(t)
	secret := testSecret(t)
	m := newMerchant(t, answer(http.StatusOK))
	clock := &fakeClock{now: time.Now()}
	crashed, _ := newTestDeliverer(t, pool, m, secret, clock.Now)
	survivor, _ := newTestDeliverer(t, pool, m, secret, clock.Now)
	ev := insertEvent(t, pool, insertOrder(t, pool), "order.cancelled")

	if n, err := crashed.ClaimOnlyForTest(ctx); err != nil || n != 1 {
		t.Fatalf("claim = %d, %v; want 1, nil", n, err)
	}
	if n, err := survivor.DeliverDue(ctx); err != nil || n != 0 {
		t.Fatalf("pass during the lease = %d, %v; want 0, nil", n, err)
	}
	clock.Advance(webhooks.ClaimLeaseForTest - time.Second)
	if n, err := survivor.DeliverDue(ctx); err != nil || n != 0 {
		t.Fatalf("pass just before the lease ends = %d, %v; want 0, nil", n, err)
	}
	clock.Advance(2 * time.Second)
	if n, err := survivor.DeliverDue(ctx); err != nil || n != 1 {
		t.Fatalf("pass after the lease = %d, %v; want 1, nil", n, err)
	}
	reqs := m.requests()
	if len(reqs) != 1 || reqs[0].header.Get("webhook-id") != ev.id.String() {
		t.Fatalf("merchant got %d requests, want the event once", len(reqs))
	}
	verify(t, secret, reqs[0], true)
	if n := count(t, pool, `SELECT count(*) FROM events WHERE delivered_at IS NOT NULL AND attempts = 2`); n != 1 {
		t.Errorf("want the event delivered with 2 claims counted")
	}
}

// TestRunDeliversUntilShutdown: Run picks up new events within its polling interval, and on
// shutdown cuts a hanging post short, records it and makes the event due again at once.
func TestRunDeliversUntilShutdown(t *testing.T) {
	pool := pgtest.Pool(t)
	secret := testSecret(t)
	hanging := make(chan struct{}, 1)
	m := newMerchant(t, func(w http.ResponseWriter, r *http.Request, n int, _ string) {
		if n == 0 {
			w.WriteHeader(http.StatusOK)
			return
		}
		hanging <- struct{}{}
		<-r.Context().Done()
	})
	d, _ := newTestDeliverer(t, pool, m, secret, nil)
	d.SetTimingForTest(time.Minute, 20*time.Millisecond, nil)
	ctx, cancel := context.WithCancel(context.Background())
	stopped := make(chan struct{})
	go func() { defer close(stopped); d.Run(ctx) }()
	defer func() { cancel(); <-stopped }()

	orderID := insertOrder(t, pool)
	first := insertEvent(t, pool, orderID, "order.authorized")
	waitFor(t, "the first event delivered", func() bool {
		return count(t, pool, `SELECT count(*) FROM events WHERE seq = $1 AND delivered_at IS NOT NULL`, first.seq) == 1
	})
	second := insertEvent(t, pool, orderID, "order.paid")
	select {
	case <-hanging:
	case <-time.After(30 * time.Second):
		t.Fatal("the second event was not posted within 30s")
	}
	cancel()
	select {
	case <-stopped:
	case <-time.After(30 * time.Second):
		t.Fatal("Run did not return within 30s of shutdown")
	}

	var errText string
	if err := pool.QueryRow(context.Background(), `SELECT error FROM event_deliveries WHERE event_seq = $1`, second.seq).Scan(&errText); err != nil {
		t.Fatalf("the interrupted attempt is not recorded: %v", err)
	}
	if !strings.Contains(errText, "shutting down") {
		t.Errorf("interrupted attempt error = %q", errText)
	}
	if n := count(t, pool, `SELECT count(*) FROM events WHERE seq = $1 AND delivered_at IS NULL AND failed_at IS NULL AND next_attempt_at <= now()`, second.seq); n != 1 {
		t.Error("the interrupted event is not due again at once")
	}
}

// waitFor polls cond every 10ms for up to 30s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// wantAttempts compares gateway_webhook_delivery_attempts_total by outcome.
func wantAttempts(t *testing.T, reg *prometheus.Registry, want map[string]float64) {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]float64{}
	for _, f := range families {
		if f.GetName() != "gateway_webhook_delivery_attempts_total" {
			continue
		}
		for _, m := range f.GetMetric() {
			got[m.GetLabel()[0].GetValue()] = m.GetCounter().GetValue()
		}
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("gateway_webhook_delivery_attempts_total by outcome (-want +got):\n%s", d)
	}
}

// TestEnrolmentEventsArriveInOrderAndHoldBackOnlyTheirEnrolment: autopay events, about an
// enrolment instead of an order, are delivered with its enrolmentId and no orderId; an
// enrolment's later event waits for its earlier one, and holds back nothing else.
func TestEnrolmentEventsArriveInOrderAndHoldBackOnlyTheirEnrolment(t *testing.T) {
	ctx := context.Background()
	pool := pgtest.Pool(t)
	secret := testSecret(t)
	a, b, o := insertEnrolment(t, pool), insertEnrolment(t, pool), insertOrder(t, pool)
	a1 := insertEnrolmentEvent(t, pool, a, "autopay.updated")
	a2 := insertEnrolmentEvent(t, pool, a, "autopay.charged")
	b1 := insertEnrolmentEvent(t, pool, b, "autopay.updated")
	o1 := insertEvent(t, pool, o, "order.cancelled")
	var failures atomic.Int32
	m := newMerchant(t, func(w http.ResponseWriter, _ *http.Request, _ int, id string) {
		if id == a1.id.String() && failures.Add(1) <= 2 {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		w.WriteHeader(http.StatusOK)
	})
	clock := &fakeClock{now: time.Now()}
	d, _ := newTestDeliverer(t, pool, m, secret, clock.Now)

	if _, err := d.DeliverDue(ctx); err != nil {
		t.Fatal(err)
	}
	first := map[string]bool{}
	for _, r := range m.requests() {
		first[r.header.Get("webhook-id")] = true
	}
	if !first[b1.id.String()] || !first[o1.id.String()] || first[a2.id.String()] {
		t.Fatalf("first pass posted %v: want the other enrolment's and the order's events, not a2 while a1 fails", first)
	}
	passUntil(t, d, func() bool {
		clock.Advance(time.Hour)
		return count(t, pool, `SELECT count(*) FROM events WHERE delivered_at IS NULL`) == 0
	})
	var order []string
	bodies := map[string][]byte{}
	for _, r := range m.requests() {
		verify(t, secret, r, false)
		id := r.header.Get("webhook-id")
		order = append(order, id)
		bodies[id] = r.body
	}
	if indexOf(order, a2.id.String()) < indexOf(order, a1.id.String()) {
		t.Errorf("enrolment A's events arrived as %v, want %s last", order, a2.id)
	}
	var got map[string]any
	if err := json.Unmarshal(bodies[a2.id.String()], &got); err != nil {
		t.Fatal(err)
	}
	if _, has := got["orderId"]; has || got["enrolmentId"] != a.String() || got["type"] != "autopay.charged" {
		t.Errorf("delivered autopay event = %s, want enrolmentId %s and no orderId", bodies[a2.id.String()], a)
	}
}
