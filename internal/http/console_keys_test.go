package http_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/placetopay-gateway/gateway/internal/apikeys"
	"github.com/placetopay-gateway/gateway/internal/operators"
)

// TestConsoleKeysViewerListsButMayNotChangeThem: any operator sees the keys page (prefix,
// name, scope, state, creation, last use) from the navigation; a viewer gets no forms, and
// a create or revoke posted anyway, CSRF token and all, is 403 and changes nothing.
func TestConsoleKeysViewerListsButMayNotChangeThem(t *testing.T) {
	c, keys := keysEnv(t)
	k := storedKey(t, keys, "reporting", apikeys.Read)
	b := c.signedIn(t, "look@shop.test", operators.Viewer)
	b.get(t, "/console").want(t, http.StatusOK, `<a href="/console/keys">API keys</a>`)
	list := b.get(t, "/console/keys")
	list.want(t, http.StatusOK, `<tr data-key="`+k.Prefix+`">`, `<code>`+k.Prefix+`…</code>`, `data-field="name">reporting<`,
		`data-field="scope">read<`, `data-field="state">active<`, `data-field="last-used">never<`)
	if strings.Contains(list.body, "data-action=") {
		t.Fatal("a viewer's keys page has forms")
	}
	if strings.Contains(list.body, k.Secret[16:]) {
		t.Fatal("the keys page shows a key")
	}
	csrf := list.hidden(t, "csrf", `id="signout"`)
	b.post(t, "/console/keys", url.Values{"csrf": {csrf}, "name": {"mine"}, "scope": {"full"}}).want(t, http.StatusForbidden, `id="error"`)
	b.post(t, "/console/keys/"+k.ID.String()+"/revoke", url.Values{"csrf": {csrf}, "reason": {"just looking"}}).
		want(t, http.StatusForbidden, `id="error"`)
	if n := c.count(t, `SELECT count(*) FROM api_keys WHERE revoked_at IS NULL`); n != 1 {
		t.Errorf("%d active keys after a viewer's forms, want the one", n)
	}
	if n := c.count(t, `SELECT count(*) FROM audit_log WHERE actor_kind = 'operator'`); n != 0 {
		t.Errorf("%d audit rows after a viewer's forms", n)
	}
	// Spanish too.
	b.get(t, "/console/keys?lang=es").want(t, http.StatusOK, "<h1>Claves de API</h1>", `data-field="state">activa<`)
}

var consoleSecret = regexp.MustCompile(`data-field="secret" readonly size="60" autocomplete="off" spellcheck="false" value="(sk_test_[0-9A-Za-z]{49})"`)

// TestConsoleAdminMakesAndRevokesAKey: an admin's form without the CSRF token makes no key;
// with it, the answer (201, no-store) shows the key once, with the warning to copy it, and
// the key works on /v1 at once; the page never shows it again. The revoke form needs a
// reason; with one, the key is refused on /v1. Both are audited as the API audits them.
func TestConsoleAdminMakesAndRevokesAKey(t *testing.T) {
	c, _ := keysEnv(t)
	b := c.signedIn(t, "root@shop.test", operators.Admin)
	list := b.get(t, "/console/keys")
	list.want(t, http.StatusOK, `data-action="create_key"`, "No key is stored yet.")
	csrf := list.hidden(t, "csrf", `data-action="create_key"`)
	for _, bad := range []string{"", "not-the-token"} {
		form := url.Values{"name": {"storefront"}, "scope": {"checkout"}}
		if bad != "" {
			form.Set("csrf", bad)
		}
		b.post(t, "/console/keys", form).want(t, http.StatusForbidden, `id="error"`)
	}
	if n := c.count(t, `SELECT count(*) FROM api_keys`); n != 0 {
		t.Fatalf("%d keys after forms without the CSRF token", n)
	}
	b.post(t, "/console/keys", url.Values{"csrf": {csrf}, "name": {"storefront"}, "scope": {"root"}}).wantRedirect(t, "/console/keys")
	b.get(t, "/console/keys").want(t, http.StatusOK, `id="error"`, "scope")

	made := b.post(t, "/console/keys", url.Values{"csrf": {csrf}, "name": {"storefront"}, "scope": {"checkout"}})
	made.want(t, http.StatusCreated, `id="new-key"`, "Copy this key now: it is shown this once.")
	if cc := made.header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("Cache-Control = %q on the page with the key, want no-store", cc)
	}
	m := consoleSecret.FindStringSubmatch(made.body)
	if m == nil || !apikeys.Recognise(m[1]) {
		t.Fatalf("the answer shows no key: %.3000s", made.body)
	}
	secret := m[1]
	if strings.Count(made.body, secret[16:]) != 1 {
		t.Errorf("the answer shows the key %d times, want once", strings.Count(made.body, secret[16:]))
	}
	c.do(t, http.MethodPost, "/v1/orders", usd("", "5.00"), auth(secret)).wantStatus(t, http.StatusCreated)
	c.do(t, http.MethodPost, "/v1/orders/00000000-0000-4000-8000-000000000001/cancel", "{}", auth(secret)).
		wantProblem(t, http.StatusForbidden, "forbidden", "")
	if n := c.count(t, `SELECT count(*) FROM audit_log WHERE action = $1 AND actor_kind = 'operator' AND actor_name = 'root@shop.test'
		AND target = $2`, apikeys.AuditCreate, "api_key:"+secret[:16]+" storefront"); n != 1 {
		t.Errorf("%d creation audit rows naming the admin, want 1", n)
	}

	list = b.get(t, "/console/keys")
	row := `<tr data-key="` + secret[:16] + `">`
	list.want(t, http.StatusOK, row, `data-field="scope">checkout<`, `data-field="state">active<`)
	if strings.Contains(list.body, secret[16:]) || strings.Contains(list.body, `id="new-key"`) {
		t.Fatal("the keys page shows the key again")
	}
	if strings.Contains(list.body, `data-field="last-used">never<`) {
		t.Error("a key just used shows as never used")
	}
	var id string
	if err := c.pool.QueryRow(t.Context(), `SELECT id::text FROM api_keys WHERE prefix = $1`, secret[:16]).Scan(&id); err != nil {
		t.Fatal(err)
	}
	path := "/console/keys/" + id + "/revoke"
	b.post(t, path, url.Values{"reason": {"leaked"}}).want(t, http.StatusForbidden, `id="error"`)
	b.post(t, path, url.Values{"csrf": {list.hidden(t, "csrf", row)}, "idempotencyKey": {list.hidden(t, "idempotencyKey", row)}}).
		wantRedirect(t, "/console/keys")
	b.get(t, "/console/keys").want(t, http.StatusOK, `id="error"`, "reason")
	c.do(t, http.MethodGet, "/v1/orders", "", auth(secret)).wantStatus(t, http.StatusOK)

	list = b.get(t, "/console/keys")
	b.post(t, path, url.Values{"csrf": {list.hidden(t, "csrf", row)}, "idempotencyKey": {list.hidden(t, "idempotencyKey", row)},
		"reason": {"leaked in a screenshot"}}).wantRedirect(t, "/console/keys")
	after := b.get(t, "/console/keys")
	after.want(t, http.StatusOK, `id="flash"`, `data-field="state">revoked `, "operator root@shop.test")
	c.do(t, http.MethodGet, "/v1/orders", "", auth(secret)).wantProblem(t, http.StatusUnauthorized, "unauthorized", "")
	if n := c.count(t, `SELECT count(*) FROM audit_log WHERE action = $1 AND actor_name = 'root@shop.test' AND reason = 'leaked in a screenshot'`,
		apikeys.AuditRevoke); n != 1 {
		t.Errorf("%d revocation audit rows, want 1", n)
	}
	if n := c.count(t, `SELECT count(*) FROM audit_log WHERE position($1 in row_to_json(audit_log)::text) > 0`, secret[16:]); n != 0 {
		t.Errorf("%d audit rows hold the key", n)
	}
}
