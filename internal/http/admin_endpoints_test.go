package http_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	gatewayhttp "github.com/placetopay-gateway/gateway/internal/http"
	"github.com/placetopay-gateway/gateway/internal/operators"
	"github.com/placetopay-gateway/gateway/internal/pgtest"
)

// TestOperatorAPIManagesEndpoints: any operator lists the webhook endpoints (the default
// one first, read-only), only an admin changes them; the secret is answered on create and
// rotate only; every change is audited. Every answer is checked against admin-openapi.yaml.
func TestOperatorAPIManagesEndpoints(t *testing.T) {
	c := newConsoleEnv(t)
	viewer := c.operator(t, "look@shop.test", operators.Viewer)
	support := c.operator(t, "help@shop.test", operators.Support)
	admin := c.operator(t, "root@shop.test", operators.Admin)
	for _, tok := range []string{viewer, support} {
		c.call(t, http.MethodPost, "/admin/api/endpoints", `{"url":"https://shop.test/a"}`, auth(tok)).wantProblem(t, http.StatusForbidden, "forbidden", "")
	}
	c.call(t, http.MethodPost, "/admin/api/endpoints", `{"url":"ftp://shop.test/a"}`, auth(admin)).wantProblem(t, http.StatusUnprocessableEntity, "invalid", "url")
	c.call(t, http.MethodPost, "/admin/api/endpoints", `{"url":"https://shop.test/a","events":["order.nope"]}`, auth(admin)).wantProblem(t, http.StatusUnprocessableEntity, "invalid", "events")

	created := c.call(t, http.MethodPost, "/admin/api/endpoints", `{"url":"https://shop.test/a?k=1","events":["order.paid"]}`, auth(admin))
	created.wantStatus(t, http.StatusCreated)
	var ep struct {
		Endpoint struct {
			ID     string   `json:"id"`
			URL    string   `json:"url"`
			Events []string `json:"events"`
		} `json:"endpoint"`
		Secret string `json:"secret"`
	}
	created.decode(t, &ep)
	if !strings.HasPrefix(ep.Secret, "whsec_") || ep.Endpoint.URL != "https://shop.test/a?…" || len(ep.Endpoint.Events) != 1 {
		t.Fatalf("created %s", created.body)
	}
	list := c.call(t, http.MethodGet, "/admin/api/endpoints", "", auth(viewer))
	list.wantStatus(t, http.StatusOK)
	var page struct {
		Data []struct {
			ID      string `json:"id"`
			Default bool   `json:"default"`
			Enabled bool   `json:"enabled"`
		} `json:"data"`
	}
	list.decode(t, &page)
	if len(page.Data) != 2 || page.Data[0].ID != "default" || !page.Data[0].Default || page.Data[1].ID != ep.Endpoint.ID {
		t.Fatalf("list = %s", list.body)
	}
	base := "/admin/api/endpoints/" + ep.Endpoint.ID
	c.call(t, http.MethodPost, "/admin/api/endpoints/default/disable", `{"reason":"x"}`, auth(admin)).wantProblem(t, http.StatusConflict, "conflict", "")
	c.call(t, http.MethodPost, "/admin/api/endpoints/"+uuid.NewString()+"/disable", `{"reason":"x"}`, auth(admin)).wantProblem(t, http.StatusNotFound, "not_found", "")
	c.call(t, http.MethodPost, base+"/disable", `{"reason":"x"}`, auth(support)).wantProblem(t, http.StatusForbidden, "forbidden", "")
	c.call(t, http.MethodPost, base+"/disable", `{}`, auth(admin)).wantProblem(t, http.StatusUnprocessableEntity, "invalid", "reason")
	c.call(t, http.MethodPost, base+"/disable", `{"reason":"migration"}`, auth(admin)).wantStatus(t, http.StatusOK)
	c.call(t, http.MethodPost, base+"/disable", `{"reason":"again"}`, auth(admin)).wantProblem(t, http.StatusConflict, "conflict", "")
	c.call(t, http.MethodPost, base+"/enable", `{}`, auth(admin)).wantStatus(t, http.StatusOK)
	rotated := c.call(t, http.MethodPost, base+"/rotate", `{"overlap":"1h"}`, auth(admin))
	rotated.wantStatus(t, http.StatusOK)
	var rot struct {
		Secret string `json:"secret"`
	}
	rotated.decode(t, &rot)
	if rot.Secret == ep.Secret || !strings.HasPrefix(rot.Secret, "whsec_") {
		t.Fatalf("rotate %s", rotated.body)
	}
	c.call(t, http.MethodPost, base+"/rotate", `{"overlap":"30d"}`, auth(admin)).wantProblem(t, http.StatusUnprocessableEntity, "invalid", "overlap")
	since := time.Now().Add(-time.Hour).UTC().Format(time.RFC3339)
	c.call(t, http.MethodPost, base+"/replay", `{"since":"`+since+`"}`, auth(admin)).wantStatus(t, http.StatusOK)

	for name, body := range map[string][]byte{"list": c.call(t, http.MethodGet, "/admin/api/endpoints", "", auth(admin)).body,
		"audit": c.call(t, http.MethodGet, "/admin/api/audit", "", auth(admin)).body} {
		if strings.Contains(string(body), ep.Secret[6:]) || strings.Contains(string(body), rot.Secret[6:]) {
			t.Errorf("the %s answer holds a secret: %s", name, body)
		}
	}
	var n int
	if err := c.pool.QueryRow(t.Context(), `SELECT count(*) FROM audit_log WHERE action LIKE 'webhook_endpoint.%' AND actor_name = 'root@shop.test'`).Scan(&n); err != nil || n != 5 {
		t.Errorf("audit rows = %d, %v; want create, disable, enable, rotate, replay", n, err)
	}
}

// TestEndpointsRefuseInternalAddressesInProduction: in production an endpoint URL that
// reaches the gateway's own networks (a metadata service, loopback, a private address) is a
// 422 naming url, through the operator API and the console alike, and nothing is stored; a
// public address is taken.
func TestEndpointsRefuseInternalAddressesInProduction(t *testing.T) {
	c := newConsoleEnvOn(t, pgtest.Pool(t), gatewayhttp.Config{Production: true})
	admin := c.operator(t, "root@shop.test", operators.Admin)
	for _, u := range []string{"http://169.254.169.254/latest/meta-data/", "http://127.0.0.1:9090/admin/api", "https://10.1.2.3/hooks"} {
		c.call(t, http.MethodPost, "/admin/api/endpoints", `{"url":"`+u+`"}`, auth(admin)).wantProblem(t, http.StatusUnprocessableEntity, "invalid", "url")
	}
	b := c.signedIn(t, "boss@shop.test", operators.Admin)
	csrf := b.get(t, "/console/endpoints").hidden(t, "csrf", `data-action="create_endpoint"`)
	b.post(t, "/console/endpoints", url.Values{"csrf": {csrf}, "url": {"http://169.254.169.254/latest"}}).wantRedirect(t, "/console/endpoints")
	b.get(t, "/console/endpoints").want(t, http.StatusOK, `id="error"`, "must not reach the gateway&#39;s own networks")
	if n := c.count(t, `SELECT count(*) FROM webhook_endpoints`); n != 0 {
		t.Fatalf("%d endpoints stored after refusals, want 0", n)
	}
	c.call(t, http.MethodPost, "/admin/api/endpoints", `{"url":"https://203.0.113.10/hooks"}`, auth(admin)).wantStatus(t, http.StatusCreated)
}

// TestOperatorAPIEnablesWithReplay: enabling with replaySince queues again the events since
// then (pending in the answer); a replaySince in the future is a 422 naming it and leaves the
// endpoint disabled; disable takes no replaySince.
func TestOperatorAPIEnablesWithReplay(t *testing.T) {
	c := newConsoleEnv(t)
	admin := c.operator(t, "root@shop.test", operators.Admin)
	created := c.call(t, http.MethodPost, "/admin/api/endpoints", `{"url":"https://shop.test/a"}`, auth(admin))
	created.wantStatus(t, http.StatusCreated)
	var ep struct {
		Endpoint struct {
			ID string `json:"id"`
		} `json:"endpoint"`
	}
	created.decode(t, &ep)
	base := "/admin/api/endpoints/" + ep.Endpoint.ID
	c.call(t, http.MethodPost, base+"/disable", `{"reason":"x","replaySince":"2026-01-01T00:00:00Z"}`, auth(admin)).wantStatus(t, http.StatusBadRequest)
	c.call(t, http.MethodPost, base+"/disable", `{"reason":"moving"}`, auth(admin)).wantStatus(t, http.StatusOK)
	since := time.Now().UTC().Add(-time.Second)
	order := c.count(t, `SELECT count(*) FROM orders`) // nothing yet: an event needs an order
	if order != 0 {
		t.Fatalf("%d orders in a fresh database", order)
	}
	if _, err := c.pool.Exec(t.Context(), `INSERT INTO orders (id, reference, currency, total_minor, client_secret_hash) VALUES ($1, 'r-1', 'USD', 1000, $2)`,
		uuid.New(), make([]byte, 32)); err != nil {
		t.Fatal(err)
	}
	if _, err := c.pool.Exec(t.Context(), `INSERT INTO events (id, type, order_id, data) SELECT $1, 'order.failed', id, '{}' FROM orders`, uuid.New()); err != nil {
		t.Fatal(err)
	}
	future := time.Now().UTC().Add(time.Hour).Format(time.RFC3339)
	c.call(t, http.MethodPost, base+"/enable", `{"replaySince":"`+future+`"}`, auth(admin)).wantProblem(t, http.StatusUnprocessableEntity, "invalid", "replaySince")
	enabled := c.call(t, http.MethodPost, base+"/enable", `{"reason":"back","replaySince":"`+since.Format(time.RFC3339Nano)+`"}`, auth(admin))
	enabled.wantStatus(t, http.StatusOK)
	var got struct {
		Enabled bool  `json:"enabled"`
		Pending int64 `json:"pending"`
	}
	enabled.decode(t, &got)
	if !got.Enabled || got.Pending != 1 {
		t.Errorf("enable with replaySince answered %s, want enabled with the one event pending", enabled.body)
	}
}
