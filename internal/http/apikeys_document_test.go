package http_test

import (
	"context"
	"net/http"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/placetopay-gateway/gateway/internal/apikeys"
	"github.com/placetopay-gateway/gateway/internal/http/contract"
)

// plausibleBodies holds, for every documented write under /v1, a body the route would
// take from a full key: a refusal then owes nothing to a malformed request. A write added
// to the document without one here fails TestReadKeyRefusedOnEveryDocumentedWrite.
var plausibleBodies = map[string]string{
	"POST /v1/orders":                                               `{"reference":"scope-1","description":"scope check","amount":{"currency":"USD","total":"12.00"}}`,
	"POST /v1/orders/{id}/cancel":                                   `{}`,
	"POST /v1/orders/{id}/checkout":                                 `{"locale":"es_CO","expiresIn":1800}`,
	"POST /v1/orders/{id}/refunds":                                  `{"internalReference":7002}`,
	"POST /v1/orders/{id}/capture":                                  `{"amount":{"currency":"USD","total":"10.00"}}`,
	"POST /v1/orders/{id}/reauthorize":                              `{"amount":{"currency":"USD","total":"10.00"}}`,
	"POST /v1/orders/{id}/release":                                  `{}`,
	"POST /v1/orders/{id}/payments/{internalReference}/confirm":     `{}`,
	"POST /v1/orders/{id}/payments/{internalReference}/cancel":      `{}`,
	"DELETE /v1/customers/{customerReference}/payment-methods/{id}": ``,
	"POST /v1/charges": `{"customerReference":"customer-1","paymentMethodId":"` + uuid.NewString() + `","reference":"charge-1",` +
		`"description":"monthly box","amount":{"currency":"USD","total":"30.00"},"payer":{"name":"Ana","surname":"Ruiz","email":"ana@shop.test"}}`,
	"POST /v1/autopay": `{"reference":"plan-1","description":"monthly box","recurring":{"type":"FIXED","periodicity":"M","interval":1,` +
		`"nextPayment":"2030-01-05"},"amount":{"currency":"USD","total":"30.00"},"returnUrl":"https://shop.example/done"}`,
	"PATCH /v1/autopay/{id}":       `{"description":"monthly box, bigger","amount":{"currency":"USD","total":"35.00"}}`,
	"POST /v1/autopay/{id}/edit":   `{"description":"monthly box, bigger","amount":{"currency":"USD","total":"35.00"}}`,
	"POST /v1/autopay/{id}/cancel": `{}`,
}

// documentedWrites lists every operation of openapi.yaml under /v1 that is not a GET, as
// "METHOD /template".
func documentedWrites(t *testing.T) []string {
	t.Helper()
	if err := contract.Load(); err != nil {
		t.Fatal(err)
	}
	set := map[string]bool{}
	for _, op := range contract.Documented() {
		if strings.HasPrefix(op.Path, "/v1/") && op.Method != http.MethodGet && op.Method != http.MethodHead {
			set[op.Method+" "+op.Path] = true
		}
	}
	var out []string
	for k := range set {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

var echoParam = regexp.MustCompile(`:([A-Za-z]+)`)

// tableFingerprints is a digest of every row of every table but api_keys (whose last use a
// successful authentication may record): equal fingerprints mean nothing changed.
func tableFingerprints(t *testing.T, c *consoleEnv) map[string]string {
	t.Helper()
	ctx := context.Background()
	rows, err := c.pool.Query(ctx, `SELECT table_name FROM information_schema.tables
		WHERE table_schema = 'public' AND table_type = 'BASE TABLE' AND table_name NOT IN ('api_keys', 'goose_db_version')`)
	if err != nil {
		t.Fatal(err)
	}
	var tables []string
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			t.Fatal(err)
		}
		tables = append(tables, name)
	}
	rows.Close()
	out := map[string]string{}
	for _, name := range tables {
		var fp string
		if err := c.pool.QueryRow(ctx, `SELECT count(*)::text || ':' || coalesce(md5(string_agg(x::text, '|' ORDER BY x::text)), '')
			FROM "`+name+`" x`).Scan(&fp); err != nil {
			t.Fatal(err)
		}
		out[name] = fp
	}
	return out
}

// TestReadKeyRefusedOnEveryDocumentedWrite takes the writes from the OpenAPI document, not
// from the code: each is sent, with a plausible body, on a real order with two approved
// payments, by a read key stored in the database, and must be 403 forbidden with every
// table unchanged; a checkout key likewise on every write but creating an order and
// opening its checkout. The document and the mounted routes must name the same writes,
// so a write route added to either is covered here.
func TestReadKeyRefusedOnEveryDocumentedWrite(t *testing.T) {
	c, keys := keysEnv(t)
	read := storedKey(t, keys, "reporting", apikeys.Read)
	checkout := storedKey(t, keys, "storefront", apikeys.Checkout)
	o := c.reviewWithDoublePayment(t)

	writes := documentedWrites(t)
	if len(writes) < 15 {
		t.Fatalf("only %d writes under /v1 in the document: %v", len(writes), writes)
	}
	mounted := map[string]bool{}
	for _, r := range c.srv.RoutesForTest() {
		if strings.HasPrefix(r[1], "/v1/") && r[0] != http.MethodGet && r[0] != http.MethodHead {
			mounted[r[0]+" "+echoParam.ReplaceAllString(r[1], "{$1}")] = true
		}
	}
	for _, w := range writes {
		// Echo names the payment's parameter :ref; the document names it for what it is.
		m := strings.NewReplacer("{internalReference}", "{ref}", "{customerReference}", "{ref}").Replace(w)
		if !mounted[m] {
			t.Errorf("%s is documented but not mounted", w)
		}
		delete(mounted, m)
	}
	for w := range mounted {
		t.Errorf("%s is mounted under /v1 but not documented: document it and give it a body in plausibleBodies", w)
	}

	path := func(template string) string {
		return strings.NewReplacer("{customerReference}", "customer-1", "{internalReference}", "7001").Replace(
			strings.Replace(strings.Replace(template, "/orders/{id}", "/orders/"+o.ID, 1), "{id}", uuid.NewString(), 1))
	}
	before := tableFingerprints(t, c)
	for _, w := range writes {
		body, ok := plausibleBodies[w]
		if !ok {
			t.Errorf("%s has no body in plausibleBodies", w)
			continue
		}
		method, template, _ := strings.Cut(w, " ")
		keys := map[string]string{"read": read.Secret}
		if w != "POST /v1/orders" && w != "POST /v1/orders/{id}/checkout" {
			keys["checkout"] = checkout.Secret
		}
		for scope, key := range keys {
			r := c.do(t, method, path(template), body, auth(key, "Idempotency-Key", "scope-"+scope+"-"+w))
			if r.status != http.StatusForbidden {
				t.Errorf("%s with a %s key: %d %s, want 403", w, scope, r.status, r.body)
				continue
			}
			r.wantProblem(t, http.StatusForbidden, "forbidden", "")
		}
	}
	after := tableFingerprints(t, c)
	for name, fp := range before {
		if after[name] != fp {
			t.Errorf("table %s changed after refused requests", name)
		}
	}

	// The bodies are ones the gateway takes: the checkout key's two writes succeed with them.
	r := c.do(t, http.MethodPost, "/v1/orders", plausibleBodies["POST /v1/orders"], auth(checkout.Secret, "Idempotency-Key", "scope-ok"))
	r.wantStatus(t, http.StatusCreated)
	var created order
	r.decode(t, &created)
	c.do(t, http.MethodPost, "/v1/orders/"+created.ID+"/checkout", plausibleBodies["POST /v1/orders/{id}/checkout"],
		auth(checkout.Secret)).wantStatus(t, http.StatusCreated)
}
