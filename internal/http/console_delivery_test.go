package http_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/placetopay-gateway/gateway/internal/operators"
)

// TestConsoleHomePausesResumesAndRedelivers: the home page's delivery forms. An admin pauses
// merchant delivery (a pause row and an audit row; the page says it is paused) and resumes it;
// support sees no pause form and its pause post is refused, but it may send every event of a
// period again, which makes exactly those events due with one audit row.
func TestConsoleHomePausesResumesAndRedelivers(t *testing.T) {
	c := newConsoleEnv(t)
	c.checkout(t, "10.00") // an order, and its events
	admin := c.signedIn(t, "root@shop.test", operators.Admin)
	home := admin.get(t, "/console")
	home.want(t, http.StatusOK, `id="delivery"`, `data-action="pause_delivery"`, `data-action="redeliver_since"`)
	form := url.Values{"csrf": {home.hidden(t, "csrf", `data-action="pause_delivery"`)},
		"idempotencyKey": {home.hidden(t, "idempotencyKey", `data-action="pause_delivery"`)}, "reason": {"the shop is migrating"}}
	admin.post(t, "/console/delivery/pause", form).wantRedirect(t, "/console")
	paused := admin.get(t, "/console")
	paused.want(t, http.StatusOK, `id="flash"`, "the shop is migrating", `data-action="resume_delivery"`)
	if strings.Contains(paused.body, `data-action="pause_delivery"`) {
		t.Error("the paused home still offers to pause")
	}
	if n := c.count(t, `SELECT count(*) FROM delivery_pauses WHERE resumed_at IS NULL AND paused_by = 'root@shop.test'`); n != 1 {
		t.Fatalf("%d open pauses, want 1", n)
	}

	support := c.signedIn(t, "help@shop.test", operators.Support)
	sh := support.get(t, "/console")
	if strings.Contains(sh.body, `data-action="resume_delivery"`) || strings.Contains(sh.body, `data-action="pause_delivery"`) {
		t.Error("support sees the pause or resume form")
	}
	csrf := sh.hidden(t, "csrf", `data-action="redeliver_since"`)
	if r := support.post(t, "/console/delivery/resume", url.Values{"csrf": {csrf}, "reason": {"x"}}); r.status != http.StatusForbidden {
		t.Errorf("support's resume = %d, want 403", r.status)
	}

	events := c.count(t, `SELECT count(*) FROM events`)
	since := time.Now().UTC().Add(-time.Hour).Format("2006-01-02T15:04")
	support.post(t, "/console/events/redeliver", url.Values{"csrf": {csrf}, "since": {since}, "reason": {"the shop lost a day"}}).
		wantRedirect(t, "/console")
	support.get(t, "/console").want(t, http.StatusOK, `id="flash"`, " events are due for delivery again.")
	if n := c.count(t, `SELECT count(*) FROM audit_log WHERE action = 'redeliver_since' AND actor_name = 'help@shop.test'
		AND (after->>'count')::int = $1`, events); n != 1 {
		t.Errorf("%d redeliver_since audit rows counting %d events, want 1", n, events)
	}

	resume := url.Values{"csrf": {paused.hidden(t, "csrf", `data-action="resume_delivery"`)}, "reason": {"migration done"}}
	admin.post(t, "/console/delivery/resume", resume).wantRedirect(t, "/console")
	if n := c.count(t, `SELECT count(*) FROM delivery_pauses WHERE resumed_at IS NULL`); n != 0 {
		t.Errorf("%d open pauses after the resume", n)
	}
	if n := c.count(t, `SELECT count(*) FROM audit_log WHERE action IN ('pause_delivery', 'resume_delivery')`); n != 2 {
		t.Errorf("%d pause and resume audit rows, want 2", n)
	}
}
