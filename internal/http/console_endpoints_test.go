package http_test

import (
	"encoding/base64"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/placetopay-gateway/gateway/internal/endpoints"
	"github.com/placetopay-gateway/gateway/internal/operators"
)

// TestConsoleEndpointsViewerListsButMayNotChangeThem: any operator sees the endpoints page
// from the navigation, the default endpoint (MERCHANT_WEBHOOK_URL, its query hidden) first
// and read-only; a viewer gets no forms, and every change posted anyway, CSRF token and all,
// is 403 and changes nothing.
func TestConsoleEndpointsViewerListsButMayNotChangeThem(t *testing.T) {
	c := newConsoleEnv(t)
	stored := c.call(t, http.MethodPost, "/admin/api/endpoints", `{"url":"https://shop.test/b","events":["order.paid"]}`,
		auth(c.operator(t, "root@shop.test", operators.Admin)))
	stored.wantStatus(t, http.StatusCreated)
	var ep struct {
		Endpoint struct {
			ID string `json:"id"`
		} `json:"endpoint"`
	}
	stored.decode(t, &ep)
	id := ep.Endpoint.ID

	b := c.signedIn(t, "look@shop.test", operators.Viewer)
	b.get(t, "/console").want(t, http.StatusOK, `<a href="/console/endpoints">Webhook endpoints</a>`)
	list := b.get(t, "/console/endpoints")
	list.want(t, http.StatusOK, `<tr data-endpoint="default">`, `<code>https://shop.test/hooks?…</code> (default: MERCHANT_WEBHOOK_URL, read-only)`,
		`<tr data-endpoint="`+id+`">`, `<code>https://shop.test/b</code>`, `data-field="events">order.paid<`, `data-field="state">enabled<`,
		`data-field="pending">0<`)
	if strings.Index(list.body, `data-endpoint="default"`) > strings.Index(list.body, `data-endpoint="`+id+`"`) {
		t.Error("the default endpoint is not listed first")
	}
	if strings.Contains(list.body, "data-action=") || strings.Contains(list.body, "token=t") {
		t.Fatal("a viewer's endpoints page has forms, or the default URL's query")
	}
	csrf := list.hidden(t, "csrf", `id="signout"`)
	base := "/console/endpoints/" + id
	for path, form := range map[string]url.Values{
		"/console/endpoints": {"url": {"https://shop.test/c"}},
		base + "/disable":    {"reason": {"just looking"}},
		base + "/enable":     {},
		base + "/rotate":     {"overlap": {"1h"}},
		base + "/replay":     {"since": {time.Now().UTC().Add(-time.Hour).Format("2006-01-02T15:04")}},
	} {
		form.Set("csrf", csrf)
		b.post(t, path, form).want(t, http.StatusForbidden, `id="error"`)
	}
	if n := c.count(t, `SELECT count(*) FROM webhook_endpoints`); n != 1 {
		t.Errorf("%d endpoints after a viewer's forms, want the one", n)
	}
	if n := c.count(t, `SELECT count(*) FROM audit_log WHERE action LIKE 'webhook_endpoint.%' AND actor_name = 'look@shop.test'`); n != 0 {
		t.Errorf("%d audit rows after a viewer's forms", n)
	}
	b.get(t, "/console/endpoints?lang=es").want(t, http.StatusOK, "<h1>Endpoints de webhooks</h1>", `data-field="state">habilitado<`)
}

var endpointSecret = regexp.MustCompile(`data-field="secret" readonly size="60" autocomplete="off" spellcheck="false" value="(whsec_[^"]+)"`)

// shownSecret is the secret on a creation's or rotation's answer, which must show it once
// and never be stored by a browser or proxy.
func shownSecret(t *testing.T, p page) string {
	t.Helper()
	if cc := p.header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("Cache-Control = %q on the page with the secret, want no-store", cc)
	}
	m := endpointSecret.FindStringSubmatch(p.body)
	if m == nil {
		t.Fatalf("the answer shows no secret: %.3000s", p.body)
	}
	if n := strings.Count(p.body, m[1][6:]); n != 1 {
		t.Errorf("the answer shows the secret %d times, want once", n)
	}
	// The page escapes the secret's + as &#43;, which the browser reads back.
	secret := html.UnescapeString(m[1])
	if b, err := base64.StdEncoding.DecodeString(secret[6:]); err != nil || len(b) != 32 {
		t.Fatalf("the answer shows %q, not a secret of 32 bytes", secret)
	}
	return secret
}

// TestConsoleAdminManagesAnEndpoint: an admin's form without the CSRF token adds nothing;
// with it, the answer (201, no-store) shows the new secret once and the list never again.
// The admin disables (a reason is required), enables, rotates (the new secret shown once)
// and replays since a datetime-local time read as UTC; each change is audited as the
// operator API audits it, and no audit row holds a secret.
func TestConsoleAdminManagesAnEndpoint(t *testing.T) {
	c := newConsoleEnv(t)
	b := c.signedIn(t, "root@shop.test", operators.Admin)
	list := b.get(t, "/console/endpoints")
	list.want(t, http.StatusOK, `data-action="create_endpoint"`)
	if strings.Contains(list.body, `action="/console/endpoints/default/`) {
		t.Error("the default endpoint has forms")
	}
	csrf := list.hidden(t, "csrf", `data-action="create_endpoint"`)
	for _, bad := range []string{"", "not-the-token"} {
		form := url.Values{"url": {"https://shop.test/a"}}
		if bad != "" {
			form.Set("csrf", bad)
		}
		b.post(t, "/console/endpoints", form).want(t, http.StatusForbidden, `id="error"`)
	}
	if n := c.count(t, `SELECT count(*) FROM webhook_endpoints`); n != 0 {
		t.Fatalf("%d endpoints after forms without the CSRF token", n)
	}
	b.post(t, "/console/endpoints", url.Values{"csrf": {csrf}, "url": {"ftp://shop.test/a"}}).wantRedirect(t, "/console/endpoints")
	b.get(t, "/console/endpoints").want(t, http.StatusOK, `id="error"`, "url")
	b.post(t, "/console/endpoints", url.Values{"csrf": {csrf}, "url": {"https://shop.test/a"}, "events": {"order.nope"}}).wantRedirect(t, "/console/endpoints")
	b.get(t, "/console/endpoints").want(t, http.StatusOK, `id="error"`, "events")

	made := b.post(t, "/console/endpoints", url.Values{"csrf": {csrf}, "url": {"https://shop.test/a"}, "events": {" order.paid , order.cancelled"}})
	made.want(t, http.StatusCreated, `id="new-secret"`, "Webhook endpoint https://shop.test/a created", "Copy this secret now: it is shown this once.")
	secret := shownSecret(t, made)
	var id string
	if err := c.pool.QueryRow(t.Context(), `SELECT id::text FROM webhook_endpoints WHERE url = 'https://shop.test/a'`).Scan(&id); err != nil {
		t.Fatal(err)
	}
	row := `<tr data-endpoint="` + id + `">`
	list = b.get(t, "/console/endpoints")
	list.want(t, http.StatusOK, row, `data-field="events">order.paid, order.cancelled<`, `data-field="state">enabled<`)
	if strings.Contains(html.UnescapeString(list.body), secret[6:]) || strings.Contains(list.body, `id="new-secret"`) {
		t.Fatal("the endpoints page shows the secret again")
	}

	base := "/console/endpoints/" + id
	b.post(t, base+"/disable", url.Values{"csrf": {list.hidden(t, "csrf", row)}, "idempotencyKey": {list.hidden(t, "idempotencyKey", row)}}).
		wantRedirect(t, "/console/endpoints")
	b.get(t, "/console/endpoints").want(t, http.StatusOK, `id="error"`, "reason")
	list = b.get(t, "/console/endpoints")
	b.post(t, base+"/disable", url.Values{"csrf": {list.hidden(t, "csrf", row)}, "idempotencyKey": {list.hidden(t, "idempotencyKey", row)},
		"reason": {"the shop moves"}}).wantRedirect(t, "/console/endpoints")
	list = b.get(t, "/console/endpoints")
	list.want(t, http.StatusOK, `id="flash"`, `data-field="state">disabled `, ": the shop moves<", `data-action="enable_endpoint"`)
	b.post(t, base+"/enable", url.Values{"csrf": {list.hidden(t, "csrf", row)}, "idempotencyKey": {list.hidden(t, "idempotencyKey", `data-action="enable_endpoint"`)}}).
		wantRedirect(t, "/console/endpoints")
	list = b.get(t, "/console/endpoints")
	list.want(t, http.StatusOK, `id="flash"`, `data-field="state">enabled<`)

	b.post(t, base+"/rotate", url.Values{"csrf": {csrf}, "overlap": {"30d"}}).wantRedirect(t, "/console/endpoints")
	b.get(t, "/console/endpoints").want(t, http.StatusOK, `id="error"`, "overlap")
	rotated := b.post(t, base+"/rotate", url.Values{"csrf": {csrf}, "overlap": {"1h"}})
	rotated.want(t, http.StatusOK, `id="new-secret"`, "New signing secret for https://shop.test/a")
	newSecret := shownSecret(t, rotated)
	if newSecret == secret {
		t.Fatal("the rotation showed the old secret")
	}
	list = b.get(t, "/console/endpoints")
	list.want(t, http.StatusOK, "2 secrets sign during a rotation")
	if strings.Contains(html.UnescapeString(list.body), newSecret[6:]) {
		t.Fatal("the endpoints page shows the rotated secret again")
	}

	o := c.createOrder(t, usd("", "5.00"))
	c.do(t, http.MethodPost, "/v1/orders/"+o.ID+"/cancel", "{}", auth(apiKey)).wantStatus(t, http.StatusOK)
	since := time.Now().UTC().Add(-time.Hour).Format("2006-01-02T15:04")
	b.post(t, base+"/replay", url.Values{"csrf": {csrf}, "idempotencyKey": {list.hidden(t, "idempotencyKey", `data-action="replay_endpoint"`)},
		"since": {"yesterday"}}).wantRedirect(t, "/console/endpoints")
	b.get(t, "/console/endpoints").want(t, http.StatusOK, `id="error"`, "since")
	list = b.get(t, "/console/endpoints")
	b.post(t, base+"/replay", url.Values{"csrf": {csrf}, "idempotencyKey": {list.hidden(t, "idempotencyKey", `data-action="replay_endpoint"`)},
		"since": {since}}).wantRedirect(t, "/console/endpoints")
	b.get(t, "/console/endpoints").want(t, http.StatusOK, `id="flash"`, "events are due for delivery again.", `data-field="pending">1<`)
	if n := c.count(t, `SELECT count(*) FROM endpoint_deliveries WHERE endpoint_id = $1 AND status = 'pending'`, id); n != 1 {
		t.Errorf("%d deliveries pending after the replay, want the order's cancellation", n)
	}

	for _, action := range []string{endpoints.AuditCreate, endpoints.AuditDisable, endpoints.AuditEnable, endpoints.AuditRotate, endpoints.AuditReplay} {
		if n := c.count(t, `SELECT count(*) FROM audit_log WHERE action = $1 AND actor_kind = 'operator' AND actor_name = 'root@shop.test'
			AND target = $2`, action, "webhook_endpoint:"+id); n != 1 {
			t.Errorf("%d %s audit rows naming the admin, want 1", n, action)
		}
	}
	if n := c.count(t, `SELECT count(*) FROM audit_log WHERE action = $1 AND reason = 'the shop moves'`, endpoints.AuditDisable); n != 1 {
		t.Errorf("%d disable audit rows with the reason, want 1", n)
	}
	for _, s := range []string{secret, newSecret} {
		if n := c.count(t, `SELECT count(*) FROM audit_log WHERE position($1 in row_to_json(audit_log)::text) > 0`, s[6:]); n != 0 {
			t.Errorf("%d audit rows hold a secret", n)
		}
	}
}

// TestConsoleEnableReplaysWhatWasWrittenWhileDisabled: the enable form's optional time queues
// again, in the same action, the events written since then, which a disabled endpoint did not
// get; the message says how many. A malformed time enables nothing.
func TestConsoleEnableReplaysWhatWasWrittenWhileDisabled(t *testing.T) {
	c := newConsoleEnv(t)
	b := c.signedIn(t, "root@shop.test", operators.Admin)
	list := b.get(t, "/console/endpoints")
	b.post(t, "/console/endpoints", url.Values{"csrf": {list.hidden(t, "csrf", `data-action="create_endpoint"`)},
		"url": {"https://shop.test/replayed"}, "events": {"order.paid"}}).want(t, http.StatusCreated, `id="new-secret"`)
	var id string
	if err := c.pool.QueryRow(t.Context(), `SELECT id::text FROM webhook_endpoints WHERE url = 'https://shop.test/replayed'`).Scan(&id); err != nil {
		t.Fatal(err)
	}
	row := `<tr data-endpoint="` + id + `">`
	list = b.get(t, "/console/endpoints")
	b.post(t, "/console/endpoints/"+id+"/disable", url.Values{"csrf": {list.hidden(t, "csrf", row)},
		"idempotencyKey": {list.hidden(t, "idempotencyKey", row)}, "reason": {"maintenance"}}).wantRedirect(t, "/console/endpoints")
	since := time.Now().UTC().Add(-time.Minute).Format("2006-01-02T15:04")
	orderID := uuid.Must(uuid.NewV7())
	if _, err := c.pool.Exec(t.Context(), `INSERT INTO orders (id, reference, currency, total_minor, client_secret_hash) VALUES ($1, 'replay-1', 'USD', 1000, $2)`,
		orderID, make([]byte, 32)); err != nil {
		t.Fatal(err)
	}
	for _, typ := range []string{"order.paid", "order.refunded"} { // the filter takes only order.paid
		if _, err := c.pool.Exec(t.Context(), `INSERT INTO events (id, type, order_id, data) VALUES ($1, $2, $3, '{}')`,
			uuid.Must(uuid.NewV7()), typ, orderID); err != nil {
			t.Fatal(err)
		}
	}

	enable := `data-action="enable_endpoint"`
	list = b.get(t, "/console/endpoints")
	list.want(t, http.StatusOK, `name="replaySince" type="datetime-local"`)
	b.post(t, "/console/endpoints/"+id+"/enable", url.Values{"csrf": {list.hidden(t, "csrf", enable)},
		"idempotencyKey": {list.hidden(t, "idempotencyKey", enable)}, "replaySince": {"yesterday"}}).wantRedirect(t, "/console/endpoints")
	b.get(t, "/console/endpoints").want(t, http.StatusOK, `id="error"`, "replaySince", `data-field="state">disabled `)

	list = b.get(t, "/console/endpoints")
	b.post(t, "/console/endpoints/"+id+"/enable", url.Values{"csrf": {list.hidden(t, "csrf", enable)},
		"idempotencyKey": {list.hidden(t, "idempotencyKey", enable)}, "replaySince": {since}}).wantRedirect(t, "/console/endpoints")
	b.get(t, "/console/endpoints").want(t, http.StatusOK, `id="flash"`, "and 1 events since", `data-field="state">enabled<`)
	if n := c.count(t, `SELECT count(*) FROM endpoint_deliveries d JOIN events e ON e.seq = d.event_seq
		WHERE d.endpoint_id = $1 AND e.order_id = $2`, id, orderID); n != 1 {
		t.Fatalf("%d deliveries queued for the events written while disabled, want the one order.paid", n)
	}
}
