package http_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/placetopay-gateway/gateway/internal/apikeys"
	"github.com/placetopay-gateway/gateway/internal/endpoints"
	"github.com/placetopay-gateway/gateway/internal/operators"
)

// TestConsoleSecretFormsSentTwiceMakeOneSecret: the forms whose answer shows a secret once
// (a new API key, a new endpoint, a rotated endpoint secret) carry an idempotency key, so the
// same form sent again (a reload of the answer, a double click) is a 303 back to the list:
// no second key, endpoint or rotation, and the secret is not shown again.
func TestConsoleSecretFormsSentTwiceMakeOneSecret(t *testing.T) {
	c, _ := keysEnv(t)
	b := c.signedIn(t, "root@shop.test", operators.Admin)

	list := b.get(t, "/console/keys")
	form := url.Values{"csrf": {list.hidden(t, "csrf", `data-action="create_key"`)},
		"idempotencyKey": {list.hidden(t, "idempotencyKey", `data-action="create_key"`)}, "name": {"storefront"}, "scope": {"read"}}
	first := b.post(t, "/console/keys", form)
	first.want(t, http.StatusCreated, `id="new-key"`)
	again := b.post(t, "/console/keys", form)
	again.wantRedirect(t, "/console/keys")
	if strings.Contains(again.body, "sk_test_") {
		t.Fatal("the form sent again shows a key")
	}
	if n := c.count(t, `SELECT count(*) FROM api_keys`); n != 1 {
		t.Fatalf("%d keys after the same form twice, want 1", n)
	}
	if n := c.count(t, `SELECT count(*) FROM audit_log WHERE action = $1`, apikeys.AuditCreate); n != 1 {
		t.Errorf("%d key creation audit rows, want 1", n)
	}

	list = b.get(t, "/console/endpoints")
	form = url.Values{"csrf": {list.hidden(t, "csrf", `data-action="create_endpoint"`)},
		"idempotencyKey": {list.hidden(t, "idempotencyKey", `data-action="create_endpoint"`)}, "url": {"https://shop.test/hooks"}}
	b.post(t, "/console/endpoints", form).want(t, http.StatusCreated, `id="new-secret"`)
	again = b.post(t, "/console/endpoints", form)
	again.wantRedirect(t, "/console/endpoints")
	if strings.Contains(again.body, "whsec_") {
		t.Fatal("the form sent again shows a secret")
	}
	if n := c.count(t, `SELECT count(*) FROM webhook_endpoints`); n != 1 {
		t.Fatalf("%d endpoints after the same form twice, want 1", n)
	}

	list = b.get(t, "/console/endpoints")
	rotate := `data-action="rotate_endpoint"`
	form = url.Values{"csrf": {list.hidden(t, "csrf", rotate)}, "idempotencyKey": {list.hidden(t, "idempotencyKey", rotate)}, "overlap": {"1h"}}
	m := regexp.MustCompile(`data-action="rotate_endpoint" method="post" action="([^"]+)"`).FindStringSubmatch(list.body)
	if m == nil {
		t.Fatal("no rotate form on the endpoints page")
	}
	action := m[1]
	b.post(t, action, form).want(t, http.StatusOK, `id="new-secret"`)
	b.post(t, action, form).wantRedirect(t, "/console/endpoints")
	if n := c.count(t, `SELECT count(*) FROM audit_log WHERE action = $1`, endpoints.AuditRotate); n != 1 {
		t.Errorf("%d rotation audit rows after the same form twice, want 1", n)
	}
}
