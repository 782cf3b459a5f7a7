package http_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"

	gatewayhttp "github.com/placetopay-gateway/gateway/internal/http"
	"github.com/placetopay-gateway/gateway/internal/orders"
	"github.com/placetopay-gateway/gateway/internal/pgtest"
	"github.com/placetopay-gateway/gateway/internal/placetopay"
	"github.com/placetopay-gateway/gateway/internal/webhooks"
)

// With every slot of the notification limit taken, a valid notification waits in the queue
// the limit's wait, then is answered 503 with Retry-After, stores nothing and is counted as
// shed; with the queue full too, it is refused at once; once a slot is free the same
// notification is taken.
func TestNotificationsPastTheLimitAreRefusedFastAndStoreNothing(t *testing.T) {
	const secret = "notify-secret"
	pool := pgtest.Pool(t)
	reg := prometheus.NewRegistry()
	inbox := webhooks.NewInbox(secret, webhooks.AllSignatures, orders.NewNotifications(orders.NewStore(pool, zap.NewNop()), orders.NewWaker(), zap.NewNop()), reg)
	e := newEnvWith(t, gatewayhttp.Config{APIKeys: []string{apiKey}, Inbox: inbox,
		Intake: gatewayhttp.IntakeLimit{Concurrent: 2, Queue: 1, Wait: time.Second}}, zap.NewNop())

	const date = "2026-03-10T09:31:12-05:00"
	sig, _ := placetopay.NotificationSignature(placetopay.SHA256, 640, "APPROVED", date, secret)
	body := `{"status":{"status":"APPROVED","reason":"00","date":"` + date + `"},"requestId":640,"reference":"R-1","signature":"` + sig + `"}`
	shed := func() float64 {
		t.Helper()
		families, err := reg.Gather()
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range families {
			for _, m := range f.GetMetric() {
				labels := map[string]string{}
				for _, l := range m.GetLabel() {
					labels[l.GetName()] = l.GetValue()
				}
				if f.GetName() == "gateway_placetopay_notifications_total" && labels["outcome"] == "shed" && labels["algorithm"] == "unknown" {
					return m.GetCounter().GetValue()
				}
			}
		}
		t.Fatal(`no gateway_placetopay_notifications_total{outcome="shed"}`)
		return 0
	}
	stored := func() int {
		var n int
		if err := pool.QueryRow(context.Background(), `SELECT count(*) FROM notifications`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}

	release := e.srv.HoldIntakeSlotsForTest()
	// A forged notification is refused for its signature at once, without taking a place.
	forged := strings.Replace(body, sig, strings.Repeat("0", len(sig)), 1)
	start := time.Now()
	e.do(t, http.MethodPost, "/webhooks/placetopay", forged, auth("")).wantStatus(t, http.StatusBadRequest)
	if took := time.Since(start); took >= time.Second {
		t.Errorf("a forged notification with the limit full answered after %v, want at once", took)
	}
	refused := func(path string) time.Duration {
		t.Helper()
		start := time.Now()
		r := e.do(t, http.MethodPost, path, body, auth(""))
		took := time.Since(start)
		r.wantProblem(t, http.StatusServiceUnavailable, "overloaded", "")
		if got := r.header.Get("Retry-After"); got != "1" {
			t.Errorf("%s: Retry-After = %q, want 1", path, got)
		}
		return took
	}
	// Alone in the queue: refused when its wait runs out.
	for _, path := range []string{"/webhooks/placetopay", "/webhooks/placetopay/default"} {
		if took := refused(path); took < time.Second || took > 5*time.Second {
			t.Errorf("%s: refused after %v, want the limit's wait (1 s) and not much more", path, took)
		}
	}
	// One waiting fills the queue (Queue: 1): the next is refused without waiting.
	first := make(chan int)
	go func() {
		res, err := http.Post(e.ts.URL+"/webhooks/placetopay", "application/json", strings.NewReader(body))
		if err != nil {
			first <- 0
			return
		}
		res.Body.Close()
		first <- res.StatusCode
	}()
	time.Sleep(200 * time.Millisecond)
	if took := refused("/webhooks/placetopay"); took >= time.Second {
		t.Errorf("with the queue full, refused after %v, want at once", took)
	}
	if status := <-first; status != http.StatusServiceUnavailable {
		t.Errorf("the one waiting in the queue: %d, want 503", status)
	}
	if n := stored(); n != 0 {
		t.Errorf("notifications stored while the limit was full: %d, want 0", n)
	}
	if n := shed(); n != 4 {
		t.Errorf(`gateway_placetopay_notifications_total{outcome="shed"} = %v, want 4`, n)
	}

	release()
	e.do(t, http.MethodPost, "/webhooks/placetopay", body, auth("")).wantStatus(t, http.StatusOK)
	if n := stored(); n != 1 {
		t.Errorf("notifications stored once a slot was free: %d, want 1", n)
	}
	if n := shed(); n != 4 {
		t.Errorf(`gateway_placetopay_notifications_total{outcome="shed"} = %v after an accepted one, want still 4`, n)
	}
}

// A notification refused for want of a slot is lost, as PlacetoPay never sends it again:
// the session's routine query finds the payment it announced, and the order is paid.
func TestARefusedNotificationsPaymentIsFoundByTheProbe(t *testing.T) {
	e := newMoneyEnv(t, gatewayhttp.Config{Intake: gatewayhttp.IntakeLimit{Concurrent: 1, Queue: 1, Wait: 10 * time.Millisecond}})
	o, requestID := e.checkout(t, "12.00")
	e.provider.list(requestID, orders.ProviderPayment{InternalReference: 7001, Status: orders.ProviderApproved,
		Currency: "USD", AmountMinor: 1200, AmountOK: true})
	e.provider.settle(requestID, orders.ProviderApproved)

	const date = "2026-03-10T09:31:12-05:00"
	sig, _ := placetopay.NotificationSignature(placetopay.SHA256, requestID, "APPROVED", date, "secret")
	body := fmt.Sprintf(`{"status":{"status":"APPROVED","reason":"00","date":"%s"},"requestId":%d,"reference":"R-1","signature":"%s"}`, date, requestID, sig)
	release := e.srv.HoldIntakeSlotsForTest()
	e.do(t, http.MethodPost, "/webhooks/placetopay", body, auth("")).wantProblem(t, http.StatusServiceUnavailable, "overloaded", "")
	release()
	if n := e.count(t, `SELECT count(*) FROM notifications`); n != 0 {
		t.Fatalf("%d notifications stored after a 503, want 0", n)
	}
	if n := e.count(t, `SELECT count(*) FROM checkout_sessions WHERE request_id = $1 AND notified_at IS NULL AND next_check_at IS NOT NULL`, requestID); n != 1 {
		t.Fatalf("the session is not left to its routine check (%d rows)", n)
	}

	// The routine check comes due (at most a probe interval after the checkout opened).
	if _, err := e.pool.Exec(context.Background(), `UPDATE checkout_sessions SET next_check_at = now() WHERE request_id = $1`, requestID); err != nil {
		t.Fatal(err)
	}
	store := orders.NewStore(e.pool, zap.NewNop())
	prober := orders.NewProber(store, e.money.Reconciler, orders.NewWaker(), orders.Config{PublicURL: "http://gateway.test", ProbeInterval: time.Minute},
		zap.NewNop(), orders.NewMetrics(nil))
	if n := prober.ProbeDue(context.Background()); n != 1 {
		t.Errorf("ProbeDue checked %d sessions, want 1", n)
	}
	var st string
	if err := e.pool.QueryRow(context.Background(), `SELECT status FROM orders WHERE id = $1`, o.ID).Scan(&st); err != nil {
		t.Fatal(err)
	}
	if st != "paid" {
		t.Errorf("order is %s after the probe's query, want paid", st)
	}
}
