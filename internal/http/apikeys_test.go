package http_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/placetopay-gateway/gateway/internal/apikeys"
	gatewayhttp "github.com/placetopay-gateway/gateway/internal/http"
	"github.com/placetopay-gateway/gateway/internal/operators"
	"github.com/placetopay-gateway/gateway/internal/orders"
	"github.com/placetopay-gateway/gateway/internal/pgtest"
)

var keyMaker = operators.Actor{Kind: operators.ActorCLI, ID: "test", Name: "gateway keys create"}

// keysEnv is a consoleEnv whose listeners also take the API keys stored in the database.
// Its wallet is an empty one: enough to mount the wallet's routes, whose writes a key
// without full scope never reaches.
func keysEnv(t *testing.T) (*consoleEnv, *apikeys.Service) {
	t.Helper()
	pool := pgtest.Pool(t)
	keys := apikeys.NewService(pool, false, nil)
	return newConsoleEnvOn(t, pool, gatewayhttp.Config{Keys: keys, Wallet: &orders.Wallet{}}), keys
}

func storedKey(t *testing.T, keys *apikeys.Service, name string, scope apikeys.Scope) apikeys.Created {
	t.Helper()
	k, err := keys.Create(context.Background(), name, scope, keyMaker)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// concretePath fills a route template's parameters with values of the right shape.
func concretePath(route string) string {
	parts := strings.Split(route, "/")
	for i, p := range parts {
		switch {
		case p == ":ref" && strings.Contains(route, "/payments/"):
			parts[i] = "7001"
		case p == ":ref":
			parts[i] = "customer-1"
		case strings.HasPrefix(p, ":"):
			parts[i] = uuid.NewString()
		}
	}
	return strings.Join(parts, "/")
}

// TestScopesOnEveryV1Route walks the routes as mounted, so that a route added later is
// covered too: a read key gets 403 on every write and no 403 on a read; a checkout key
// gets 403 on every write but creating an order and opening its checkout. Nothing refused
// changes anything.
func TestScopesOnEveryV1Route(t *testing.T) {
	c, keys := keysEnv(t)
	read := storedKey(t, keys, "reporting", apikeys.Read)
	checkout := storedKey(t, keys, "storefront", apikeys.Checkout)
	writes := 0
	for _, r := range c.srv.RoutesForTest() {
		method, route := r[0], r[1]
		if !strings.HasPrefix(route, "/v1/") {
			continue
		}
		path := concretePath(route)
		if method == http.MethodGet {
			if route == "/v1/events" || strings.HasPrefix(route, "/v1/customers/") {
				continue // this test's server has no event log (Config.Events) and an empty wallet
			}
			for _, k := range []string{read.Secret, checkout.Secret} {
				if got := c.do(t, method, path, "", auth(k)); got.status == http.StatusForbidden || got.status == http.StatusUnauthorized {
					t.Errorf("GET %s with a read or checkout key: %d %s", route, got.status, got.body)
				}
			}
			continue
		}
		writes++
		c.do(t, method, path, "{}", auth(read.Secret)).wantProblem(t, http.StatusForbidden, "forbidden", "")
		got := c.do(t, method, path, "{}", auth(checkout.Secret))
		storefront := method == http.MethodPost && (route == "/v1/orders" || route == "/v1/orders/:id/checkout")
		if storefront && got.status == http.StatusForbidden {
			t.Errorf("%s %s with a checkout key: 403", method, route)
		} else if !storefront {
			got.wantProblem(t, http.StatusForbidden, "forbidden", "")
		}
	}
	// At least the fifteen writes of the document.
	if writes < 15 {
		t.Fatalf("only %d write routes under /v1 found", writes)
	}
	if n := c.count(t, `SELECT count(*) FROM audit_log WHERE actor_kind = 'api_key'`); n != 0 {
		t.Errorf("%d audit rows after refused requests", n)
	}
}

// TestCheckoutKeyOpensCheckoutsButMovesNoMoney: a storefront's key creates an order and
// opens its checkout, reads it, and may neither cancel nor refund it; a GATEWAY_API_KEYS
// key may (full scope).
func TestCheckoutKeyOpensCheckoutsButMovesNoMoney(t *testing.T) {
	c, keys := keysEnv(t)
	k := storedKey(t, keys, "storefront", apikeys.Checkout)
	r := c.do(t, http.MethodPost, "/v1/orders", usd("", "25.00"), auth(k.Secret, "Idempotency-Key", "order-1"))
	r.wantStatus(t, http.StatusCreated)
	var o order
	r.decode(t, &o)
	c.do(t, http.MethodPost, "/v1/orders/"+o.ID+"/checkout", "{}", auth(k.Secret)).wantStatus(t, http.StatusCreated)
	c.do(t, http.MethodGet, "/v1/orders/"+o.ID, "", auth(k.Secret)).wantStatus(t, http.StatusOK)
	c.do(t, http.MethodPost, "/v1/orders/"+o.ID+"/cancel", "{}", auth(k.Secret)).wantProblem(t, http.StatusForbidden, "forbidden", "")
	c.do(t, http.MethodPost, "/v1/orders/"+o.ID+"/refunds", "{}", auth(k.Secret)).wantProblem(t, http.StatusForbidden, "forbidden", "")
	// GATEWAY_API_KEYS keys keep full scope.
	c.do(t, http.MethodPost, "/v1/orders/"+o.ID+"/cancel", "{}", auth(apiKey)).wantStatus(t, http.StatusOK)
}

// TestRevokedKeyIsRefusedByBothServersWithinASecond: two servers on one database, each
// with its own view of the keys, both trusting a key; once an admin revokes it through the
// operator API, both refuse it within a second, with no restart.
func TestRevokedKeyIsRefusedByBothServersWithinASecond(t *testing.T) {
	pool := pgtest.Pool(t)
	keysA, keysB := apikeys.NewService(pool, false, nil), apikeys.NewService(pool, false, nil)
	a := newConsoleEnvOn(t, pool, gatewayhttp.Config{Keys: keysA})
	b := newMoneyEnvOn(t, pool, &fakeProvider{}, gatewayhttp.Config{Keys: keysB})
	admin := a.operator(t, "root@shop.test", operators.Admin)

	created := a.call(t, http.MethodPost, "/admin/api/keys", `{"name":"shop","scope":"full"}`, auth(admin))
	created.wantStatus(t, http.StatusCreated)
	var k struct {
		Key struct {
			ID     string `json:"id"`
			Prefix string `json:"prefix"`
		} `json:"key"`
		Secret string `json:"secret"`
	}
	created.decode(t, &k)
	// A new key works on both at once: neither had read its prefix before.
	for _, s := range []*env{a.env, b.env} {
		s.do(t, http.MethodGet, "/v1/orders", "", auth(k.Secret)).wantStatus(t, http.StatusOK)
	}
	a.call(t, http.MethodPost, "/admin/api/keys/"+k.Key.ID+"/revoke", `{"reason":"leaked"}`, auth(admin)).wantStatus(t, http.StatusOK)
	revoked := time.Now()
	refused := map[*env]time.Duration{}
	for len(refused) < 2 && time.Since(revoked) < 3*time.Second {
		for _, s := range []*env{a.env, b.env} {
			if _, done := refused[s]; !done && s.do(t, http.MethodGet, "/v1/orders", "", auth(k.Secret)).status == http.StatusUnauthorized {
				refused[s] = time.Since(revoked)
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	for s, name := range map[*env]string{a.env: "the revoking server", b.env: "the other server"} {
		took, ok := refused[s]
		if !ok || took > time.Second {
			t.Errorf("%s still accepted the revoked key after %v (refused: %t)", name, took, ok)
		}
	}
	// Once refused, refused for good.
	b.do(t, http.MethodGet, "/v1/orders", "", auth(k.Secret)).wantProblem(t, http.StatusUnauthorized, "unauthorized", "")
}

// TestMerchantRefundAuditNamesTheStoredKey: a refund made with a stored key is audited
// with the key's prefix and name, never the key.
func TestMerchantRefundAuditNamesTheStoredKey(t *testing.T) {
	c, keys := keysEnv(t)
	k := storedKey(t, keys, "back office", apikeys.Full)
	o := c.reviewWithDoublePayment(t)
	r := c.do(t, http.MethodPost, "/v1/orders/"+o.ID+"/refunds", `{"internalReference":7002}`, auth(k.Secret))
	if r.status != http.StatusCreated && r.status != http.StatusAccepted {
		t.Fatalf("refund: %d %s", r.status, r.body)
	}
	n := c.count(t, `SELECT count(*) FROM audit_log WHERE order_id = $1 AND actor_kind = 'api_key' AND action = 'refund'
		AND actor_id = $2 AND actor_name = 'back office'`, o.ID, k.Prefix)
	if n != 1 {
		t.Fatalf("%d refund audit rows naming key %s, want 1", n, k.Prefix)
	}
	if n := c.count(t, `SELECT count(*) FROM audit_log WHERE position($1 in row_to_json(audit_log)::text) > 0`, k.Secret[16:]); n != 0 {
		t.Errorf("%d audit rows hold the key", n)
	}
}

// TestOperatorAPIManagesKeys: any operator lists keys, only an admin creates and revokes
// them; the key is in the creation's answer only; each change is audited.
func TestOperatorAPIManagesKeys(t *testing.T) {
	c, _ := keysEnv(t)
	viewer := c.operator(t, "look@shop.test", operators.Viewer)
	support := c.operator(t, "help@shop.test", operators.Support)
	admin := c.operator(t, "root@shop.test", operators.Admin)
	for _, tok := range []string{viewer, support} {
		c.call(t, http.MethodPost, "/admin/api/keys", `{"name":"x","scope":"full"}`, auth(tok)).wantProblem(t, http.StatusForbidden, "forbidden", "")
	}
	c.call(t, http.MethodPost, "/admin/api/keys", `{"name":"x","scope":"admin"}`, auth(admin)).wantProblem(t, http.StatusUnprocessableEntity, "invalid", "scope")
	c.call(t, http.MethodGet, "/admin/api/keys", "", auth(apiKey)).wantProblem(t, http.StatusUnauthorized, "unauthorized", "")

	created := c.call(t, http.MethodPost, "/admin/api/keys", `{"name":"reporting","scope":"read"}`, auth(admin))
	created.wantStatus(t, http.StatusCreated)
	var k struct {
		Key struct {
			ID     string `json:"id"`
			Scope  string `json:"scope"`
			Prefix string `json:"prefix"`
		} `json:"key"`
		Secret string `json:"secret"`
	}
	created.decode(t, &k)
	if !apikeys.Recognise(k.Secret) || !strings.HasPrefix(k.Secret, k.Key.Prefix) || k.Key.Scope != "read" {
		t.Fatalf("created %s", created.body)
	}
	c.do(t, http.MethodGet, "/v1/orders", "", auth(k.Secret)).wantStatus(t, http.StatusOK)

	list := c.call(t, http.MethodGet, "/admin/api/keys", "", auth(viewer))
	list.wantStatus(t, http.StatusOK)
	var page struct {
		Data []struct {
			ID         string     `json:"id"`
			LastUsedAt *time.Time `json:"lastUsedAt"`
		} `json:"data"`
	}
	list.decode(t, &page)
	if len(page.Data) != 1 || page.Data[0].ID != k.Key.ID || page.Data[0].LastUsedAt == nil {
		t.Fatalf("list = %s", list.body)
	}
	path := "/admin/api/keys/" + k.Key.ID + "/revoke"
	c.call(t, http.MethodPost, path, `{"reason":"no longer used"}`, auth(support)).wantProblem(t, http.StatusForbidden, "forbidden", "")
	c.call(t, http.MethodPost, path, `{}`, auth(admin)).wantProblem(t, http.StatusUnprocessableEntity, "invalid", "reason")
	c.call(t, http.MethodPost, "/admin/api/keys/"+uuid.NewString()+"/revoke", `{"reason":"x"}`, auth(admin)).wantProblem(t, http.StatusNotFound, "not_found", "")
	revoked := c.call(t, http.MethodPost, path, `{"reason":"no longer used"}`, auth(admin))
	revoked.wantStatus(t, http.StatusOK)
	c.call(t, http.MethodPost, path, `{"reason":"again"}`, auth(admin)).wantProblem(t, http.StatusConflict, "conflict", "")
	c.do(t, http.MethodGet, "/v1/orders", "", auth(k.Secret)).wantProblem(t, http.StatusUnauthorized, "unauthorized", "")

	// After its creation's answer, the key appears in no answer and no row.
	for name, body := range map[string][]byte{"list": c.call(t, http.MethodGet, "/admin/api/keys", "", auth(admin)).body, "revoke": revoked.body,
		"audit": c.call(t, http.MethodGet, "/admin/api/audit", "", auth(admin)).body} {
		if strings.Contains(string(body), k.Secret[16:]) {
			t.Errorf("the %s answer holds the key: %s", name, body)
		}
	}
	var audit struct {
		Data []struct {
			ActorKind, ActorName, Action, Target, Reason string
		} `json:"data"`
	}
	if err := json.Unmarshal(c.call(t, http.MethodGet, "/admin/api/audit", "", auth(admin)).body, &audit); err != nil {
		t.Fatal(err)
	}
	if len(audit.Data) != 2 || audit.Data[0].Action != apikeys.AuditRevoke || audit.Data[0].Reason != "no longer used" ||
		audit.Data[1].Action != apikeys.AuditCreate || audit.Data[0].ActorName != "root@shop.test" ||
		audit.Data[0].Target != "api_key:"+k.Key.Prefix+" reporting" {
		t.Errorf("audit = %+v", audit.Data)
	}
}
