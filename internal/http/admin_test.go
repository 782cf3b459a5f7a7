package http_test

import (
	"context"
	"encoding/csv"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	gatewayhttp "github.com/placetopay-gateway/gateway/internal/http"
	"github.com/placetopay-gateway/gateway/internal/operators"
)

// actionBody is a valid body of each action.
func actionBody(action string) string {
	switch action {
	case operators.ActionResolve:
		return `{"reason":"checked with the customer","to":"paid"}`
	case operators.ActionSettle:
		return `{"reason":"seen in PlacetoPay's console","refundId":"` + uuid.NewString() + `","outcome":"refunded"}`
	case operators.ActionRedeliverSince:
		return `{"reason":"the merchant lost a day of events","since":"` + time.Now().Add(-time.Hour).UTC().Format(time.RFC3339) + `"}`
	}
	return `{"reason":"checked with the customer"}`
}

// actionPath is where an action is posted: an order's, an event's, or merchant delivery's.
func actionPath(action, orderID string) string {
	switch action {
	case operators.ActionRedeliver:
		return "/admin/api/events/" + uuid.NewString() + "/redeliver"
	case operators.ActionRedeliverSince:
		return "/admin/api/events/redeliver"
	case operators.ActionPauseDelivery:
		return "/admin/api/delivery/pause"
	case operators.ActionResumeDelivery:
		return "/admin/api/delivery/resume"
	}
	return "/admin/api/orders/" + orderID + "/" + action
}

// TestEveryRoleAgainstEveryAction: each role may take exactly the actions the matrix gives
// it; a refused one is 403 and writes nothing, an allowed one that fails (nothing to
// capture, no such refund) writes no audit row either, and one that succeeds writes one.
// The delivery actions (no order) succeed whenever allowed: pause comes before resume.
func TestEveryRoleAgainstEveryAction(t *testing.T) {
	c := newConsoleEnv(t)
	tokens := map[operators.Role]string{}
	for _, r := range []operators.Role{operators.Viewer, operators.Support, operators.Admin} {
		tokens[r] = c.operator(t, string(r)+"@shop.test", r)
	}
	for role, token := range tokens {
		for _, action := range operators.Actions() {
			t.Run(string(role)+"/"+action, func(t *testing.T) {
				o, _ := c.checkout(t, "10.00")
				before := c.count(t, `SELECT count(*) FROM audit_log WHERE action = $1`, action)
				r := c.call(t, http.MethodPost, actionPath(action, o.ID), actionBody(action), auth(token))
				allowed := operators.Allowed(role, action)
				if !allowed {
					r.wantProblem(t, http.StatusForbidden, "forbidden", "")
				} else if r.status == http.StatusForbidden {
					t.Fatalf("%s may %s, got 403: %s", role, action, r.body)
				}
				want := 0
				if allowed && (r.status == http.StatusOK || r.status == http.StatusAccepted) {
					want = 1
				}
				switch action {
				case operators.ActionRedeliverSince, operators.ActionPauseDelivery, operators.ActionResumeDelivery:
					if allowed && want == 0 {
						t.Errorf("%s by %s: %d %s", action, role, r.status, r.body)
					}
					if n := c.count(t, `SELECT count(*) FROM audit_log WHERE action = $1`, action) - before; n != want {
						t.Errorf("%d %s audit rows after %d, want %d", n, action, r.status, want)
					}
				default:
					if n := c.auditRows(t, o.ID); n != want {
						t.Errorf("%d audit rows after %d, want %d", n, r.status, want)
					}
				}
				// The ones that apply to a pending order with an open session succeed.
				if allowed && (action == operators.ActionQuery || action == operators.ActionCancel) && r.status != http.StatusOK {
					t.Errorf("%s by %s: %d %s", action, role, r.status, r.body)
				}
			})
		}
	}
	// Reading needs no more than viewer; no credentials at all is 401.
	c.call(t, http.MethodGet, "/admin/api/orders?filter=review", "", auth(tokens[operators.Viewer])).wantStatus(t, http.StatusOK)
	c.call(t, http.MethodGet, "/admin/api/delivery", "", auth(tokens[operators.Viewer])).wantStatus(t, http.StatusOK)
	c.call(t, http.MethodGet, "/admin/api/delivery", "", nil).wantProblem(t, http.StatusUnauthorized, "unauthorized", "")
	c.call(t, http.MethodGet, "/admin/api/orders", "", nil).wantProblem(t, http.StatusUnauthorized, "unauthorized", "")
	c.call(t, http.MethodGet, "/admin/api/orders", "", auth("op_not-a-token")).wantProblem(t, http.StatusUnauthorized, "unauthorized", "")
	// The document is served as kept in the repository, without credentials.
	if doc := c.call(t, http.MethodGet, "/admin/openapi.yaml", "", nil); doc.status != http.StatusOK || string(doc.body) != string(gatewayhttp.AdminOpenAPIDocument) {
		t.Errorf("GET /admin/openapi.yaml = %d, %d bytes", doc.status, len(doc.body))
	}
	// The merchant's API key is no operator token.
	c.call(t, http.MethodGet, "/admin/api/orders", "", auth(apiKey)).wantProblem(t, http.StatusUnauthorized, "unauthorized", "")
}

// signIn signs in through the API and returns the session cookie and CSRF token.
func (c *consoleEnv) signIn(t *testing.T, email, password string) (response, *http.Cookie, string) {
	t.Helper()
	r := c.call(t, http.MethodPost, "/admin/api/session", fmt.Sprintf(`{"email":%q,"password":%q}`, email, password),
		http.Header{"Content-Type": {"application/json"}})
	if r.status != http.StatusCreated {
		return r, nil, ""
	}
	var body struct {
		CSRFToken string `json:"csrfToken"`
	}
	r.decode(t, &body)
	for _, ck := range (&http.Response{Header: r.header}).Cookies() {
		if ck.Name == "gateway_console" {
			return r, ck, body.CSRFToken
		}
	}
	t.Fatalf("sign-in set no session cookie: %v", r.header)
	return r, nil, ""
}

func withCookie(ck *http.Cookie, csrf string) http.Header {
	h := http.Header{"Content-Type": {"application/json"}, "Cookie": {ck.Name + "=" + ck.Value}}
	if csrf != "" {
		h.Set("X-CSRF-Token", csrf)
	}
	return h
}

// TestSessionCookieNeedsTheCSRFTokenForActions: the console's cookie alone (what a
// cross-site form would send) cannot act; with the session's CSRF token it can.
func TestSessionCookieNeedsTheCSRFTokenForActions(t *testing.T) {
	c := newConsoleEnv(t)
	c.operator(t, "help@shop.test", operators.Support)
	_, ck, csrf := c.signIn(t, "help@shop.test", "correct horse battery")
	if !ck.HttpOnly || !ck.Secure || ck.SameSite != http.SameSiteStrictMode {
		t.Errorf("cookie HttpOnly=%t Secure=%t SameSite=%v, want all strict", ck.HttpOnly, ck.Secure, ck.SameSite)
	}
	o, _ := c.checkout(t, "10.00")
	path := "/admin/api/orders/" + o.ID + "/cancel"
	body := `{"reason":"customer asked"}`
	c.call(t, http.MethodPost, path, body, withCookie(ck, "")).wantProblem(t, http.StatusForbidden, "forbidden", "X-CSRF-Token")
	c.call(t, http.MethodPost, path, body, withCookie(ck, ck.Value)).wantProblem(t, http.StatusForbidden, "forbidden", "X-CSRF-Token")
	if n := c.auditRows(t, o.ID); n != 0 {
		t.Fatalf("%d audit rows after refused requests", n)
	}
	if st := c.order(t, o.ID).Status; st != "pending" {
		t.Fatalf("order is %s after requests without the CSRF token", st)
	}
	// Reading needs no token; acting with it works.
	c.call(t, http.MethodGet, "/admin/api/orders/"+o.ID, "", withCookie(ck, "")).wantStatus(t, http.StatusOK)
	c.call(t, http.MethodPost, path, body, withCookie(ck, csrf)).wantStatus(t, http.StatusOK)
	if st := c.order(t, o.ID).Status; st != "cancelled" {
		t.Fatalf("order is %s after the cancel", st)
	}
	// Signing out ends the session.
	c.call(t, http.MethodDelete, "/admin/api/session", "", withCookie(ck, csrf)).wantStatus(t, http.StatusNoContent)
	c.call(t, http.MethodGet, "/admin/api/orders", "", withCookie(ck, "")).wantProblem(t, http.StatusUnauthorized, "unauthorized", "")
}

// TestSignInLocksOutAfterFiveFailures, through the API.
func TestSignInLocksOutAfterFiveFailures(t *testing.T) {
	c := newConsoleEnv(t)
	c.operator(t, "help@shop.test", operators.Support)
	for i := range operators.MaxFailures {
		if r, _, _ := c.signIn(t, "help@shop.test", "wrong password"); r.status != http.StatusUnauthorized {
			t.Fatalf("failure %d: %d", i+1, r.status)
		}
	}
	r, _, _ := c.signIn(t, "help@shop.test", "correct horse battery")
	p := r.wantProblem(t, http.StatusUnauthorized, "unauthorized", "")
	if !strings.Contains(p.Detail, "too many failed sign-ins") {
		t.Errorf("detail = %q", p.Detail)
	}
}

func (c *consoleEnv) order(t *testing.T, id string) order {
	t.Helper()
	r := c.do(t, http.MethodGet, "/v1/orders/"+id, "", auth(apiKey))
	r.wantStatus(t, http.StatusOK)
	var o order
	r.decode(t, &o)
	return o
}

// reviewWithDoublePayment puts an order of 10.00 USD in review with two approved payments
// of 10.00 (a shopper who paid twice), as the reconciler leaves one.
func (c *consoleEnv) reviewWithDoublePayment(t *testing.T) order {
	t.Helper()
	o, _ := c.checkout(t, "10.00")
	ctx := context.Background()
	for i, ref := range []int64{7001, 7002} {
		if _, err := c.pool.Exec(ctx, `INSERT INTO payments (id, order_id, internal_reference, status, currency, amount_minor, authorization_code)
			VALUES ($1, $2, $3, 'APPROVED', 'USD', 1000, $4)`, uuid.New(), o.ID, ref, fmt.Sprintf("AUTH%d", i)); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := c.pool.Exec(ctx, `UPDATE orders SET status = 'review', paid_minor = 2000 WHERE id = $1`, o.ID); err != nil {
		t.Fatal(err)
	}
	return o
}

// TestResolveWritesItsAuditRowInItsTransaction: an order paid twice cannot become paid (409,
// no audit row); an admin accepting the discrepancy can, and the audit row says so; when the
// audit row cannot be written, the order does not move either.
func TestResolveWritesItsAuditRowInItsTransaction(t *testing.T) {
	c := newConsoleEnv(t)
	admin := c.operator(t, "root@shop.test", operators.Admin)
	o := c.reviewWithDoublePayment(t)
	path := "/admin/api/orders/" + o.ID + "/resolve"
	c.call(t, http.MethodPost, path, `{"reason":"paid twice","to":"paid"}`, auth(admin)).wantProblem(t, http.StatusConflict, "conflict", "")
	c.call(t, http.MethodPost, path, `{"to":"paid"}`, auth(admin)).wantProblem(t, http.StatusUnprocessableEntity, "invalid", "reason")
	if n := c.auditRows(t, o.ID); n != 0 {
		t.Fatalf("%d audit rows after refused resolves", n)
	}

	// The audit insert fails: the resolve must not happen.
	ctx := context.Background()
	if _, err := c.pool.Exec(ctx, `CREATE FUNCTION refuse_audit() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'no audit'; END; $$;
		CREATE TRIGGER refuse_audit BEFORE INSERT ON audit_log FOR EACH ROW EXECUTE FUNCTION refuse_audit();`); err != nil {
		t.Fatal(err)
	}
	body := `{"reason":"the shop keeps both","to":"paid","acceptDiscrepancy":true}`
	c.call(t, http.MethodPost, path, body, auth(admin)).wantStatus(t, http.StatusInternalServerError)
	if st := c.order(t, o.ID).Status; st != "review" {
		t.Fatalf("order is %s after a resolve whose audit row failed, want review", st)
	}
	if _, err := c.pool.Exec(ctx, `DROP TRIGGER refuse_audit ON audit_log`); err != nil {
		t.Fatal(err)
	}

	r := c.call(t, http.MethodPost, path, body, auth(admin))
	r.wantStatus(t, http.StatusOK)
	if st := c.order(t, o.ID).Status; st != "paid" {
		t.Fatalf("order is %s, want paid", st)
	}
	var after string
	if err := c.pool.QueryRow(ctx, `SELECT after->>'acceptedDiscrepancy' FROM audit_log WHERE order_id = $1 AND action = 'resolve'
		AND actor_kind = 'operator' AND actor_name = 'root@shop.test' AND reason = 'the shop keeps both'`, o.ID).Scan(&after); err != nil || after == "" {
		t.Fatalf("audit row of the resolve: %q, %v", after, err)
	}
	// The same Idempotency-Key and body replay; the story shows the audit entry.
	story := c.call(t, http.MethodGet, "/admin/api/orders/"+o.ID, "", auth(admin))
	story.wantStatus(t, http.StatusOK)
	if !strings.Contains(string(story.body), `"action":"resolve"`) {
		t.Errorf("story has no resolve audit entry: %.500s", story.body)
	}
	if n := c.count(t, `SELECT count(*) FROM events WHERE order_id = $1 AND type = 'order.paid'`, o.ID); n != 1 {
		t.Errorf("%d order.paid events after the resolve", n)
	}
}

// TestSearchFindsAnOrderByItsIdentifiers: reference, requestId and authorization code match
// exactly; a filter narrows.
func TestSearchFindsAnOrderByItsIdentifiers(t *testing.T) {
	c := newConsoleEnv(t)
	viewer := c.operator(t, "look@shop.test", operators.Viewer)
	o, requestID := c.checkout(t, "12.50")
	c.checkout(t, "99.00")
	for _, q := range []string{o.Reference, fmt.Sprint(requestID), o.ID} {
		r := c.call(t, http.MethodGet, "/admin/api/orders?q="+q, "", auth(viewer))
		r.wantStatus(t, http.StatusOK)
		var page struct {
			Data []order `json:"data"`
		}
		r.decode(t, &page)
		if len(page.Data) != 1 || page.Data[0].ID != o.ID {
			t.Errorf("q=%s found %d orders", q, len(page.Data))
		}
	}
	var page struct {
		Data []order `json:"data"`
	}
	r := c.call(t, http.MethodGet, "/admin/api/orders?min=1000&max=1300", "", auth(viewer))
	r.decode(t, &page)
	if len(page.Data) != 1 || page.Data[0].ID != o.ID {
		t.Errorf("min/max found %d orders", len(page.Data))
	}
	c.call(t, http.MethodGet, "/admin/api/orders?filter=nonsense", "", auth(viewer)).wantProblem(t, http.StatusUnprocessableEntity, "invalid", "filter")
	c.call(t, http.MethodGet, "/admin/api/orders?min=ten", "", auth(viewer)).wantProblem(t, http.StatusBadRequest, "bad_request", "min")
}

// TestMerchantCancelWritesAnAPIKeyAuditRow: what a merchant API key does to an order is in
// the audit log too, by the key's fingerprint.
func TestMerchantCancelWritesAnAPIKeyAuditRow(t *testing.T) {
	c := newConsoleEnv(t)
	o, _ := c.checkout(t, "10.00")
	c.do(t, http.MethodPost, "/v1/orders/"+o.ID+"/cancel", "", auth(apiKey)).wantStatus(t, http.StatusOK)
	n := c.count(t, `SELECT count(*) FROM audit_log WHERE order_id = $1 AND actor_kind = 'api_key' AND action = 'cancel'
		AND actor_id <> '' AND position($2 in actor_id) = 0`, o.ID, apiKey)
	if n != 1 {
		t.Fatalf("%d api_key audit rows for the cancel, want 1", n)
	}
}

// TestDoublePaymentRefundSettleAndResolve is the console's review story through its API: the
// extra payment is refunded (PlacetoPay does not confirm it: unknown), the order cannot be
// resolved while that refund is unknown, an admin settles it after the gateway's last query,
// and the order is then resolved to paid; the audit trail has all three, in order.
func TestDoublePaymentRefundSettleAndResolve(t *testing.T) {
	c := newConsoleEnv(t)
	support := c.operator(t, "help@shop.test", operators.Support)
	admin := c.operator(t, "root@shop.test", operators.Admin)
	o := c.reviewWithDoublePayment(t)
	if _, err := c.pool.Exec(context.Background(), `UPDATE payments SET session_id = (SELECT id FROM checkout_sessions WHERE order_id = $1) WHERE order_id = $1`, o.ID); err != nil {
		t.Fatal(err)
	}

	r := c.call(t, http.MethodPost, "/admin/api/orders/"+o.ID+"/refund", `{"reason":"paid twice","internalReference":7002}`,
		auth(support, "Idempotency-Key", "refund-7002"))
	r.wantStatus(t, http.StatusOK)
	var res struct {
		Refund struct {
			ID     string `json:"id"`
			Status string `json:"status"`
		} `json:"refund"`
	}
	r.decode(t, &res)
	if res.Refund.Status != "unknown" {
		t.Fatalf("refund is %s; the fake PlacetoPay never confirms one", res.Refund.Status)
	}
	// The same key replays the answer and refunds nothing more.
	again := c.call(t, http.MethodPost, "/admin/api/orders/"+o.ID+"/refund", `{"reason":"paid twice","internalReference":7002}`,
		auth(support, "Idempotency-Key", "refund-7002"))
	if again.header.Get("Idempotent-Replayed") != "true" || c.count(t, `SELECT count(*) FROM refunds WHERE order_id = $1`, o.ID) != 1 {
		t.Fatalf("the retried refund was not a replay")
	}

	resolve := `{"reason":"one payment kept","to":"paid"}`
	c.call(t, http.MethodPost, "/admin/api/orders/"+o.ID+"/resolve", resolve, auth(admin)).wantProblem(t, http.StatusConflict, "conflict", "")
	settle := `{"reason":"PlacetoPay's console shows it reversed","refundId":"` + res.Refund.ID + `","outcome":"refunded"}`
	c.call(t, http.MethodPost, "/admin/api/orders/"+o.ID+"/settle", settle, auth(support)).wantProblem(t, http.StatusForbidden, "forbidden", "")
	c.call(t, http.MethodPost, "/admin/api/orders/"+o.ID+"/settle", settle, auth(admin)).wantStatus(t, http.StatusOK)
	c.call(t, http.MethodPost, "/admin/api/orders/"+o.ID+"/resolve", resolve, auth(admin)).wantStatus(t, http.StatusOK)
	if st := c.order(t, o.ID).Status; st != "paid" {
		t.Fatalf("order is %s, want paid", st)
	}

	story := c.call(t, http.MethodGet, "/admin/api/orders/"+o.ID, "", auth(support))
	story.wantStatus(t, http.StatusOK)
	var s struct {
		Audit []struct {
			Action    string `json:"action"`
			ActorName string `json:"actorName"`
			Reason    string `json:"reason"`
		} `json:"audit"`
		Refunds []struct {
			Status string `json:"status"`
		} `json:"refunds"`
	}
	story.decode(t, &s)
	var got []string
	for _, a := range s.Audit {
		got = append(got, a.Action+" by "+a.ActorName)
	}
	want := []string{"resolve by root@shop.test", "settle by root@shop.test", "refund by help@shop.test"}
	if strings.Join(got, ", ") != strings.Join(want, ", ") {
		t.Errorf("audit trail = %v, want %v", got, want)
	}
	if len(s.Refunds) != 1 || s.Refunds[0].Status != "succeeded" {
		t.Errorf("refunds = %+v", s.Refunds)
	}

	// The order's trail exports as CSV: a header and the three rows, newest first.
	export := c.call(t, http.MethodGet, "/admin/api/audit.csv?orderId="+o.ID, "", auth(support))
	export.wantStatus(t, http.StatusOK)
	rows, err := csv.NewReader(strings.NewReader(string(export.body))).ReadAll()
	if err != nil || len(rows) != 4 || rows[0][6] != "action" || rows[1][6] != "resolve" || rows[3][6] != "refund" || rows[3][4] != "help@shop.test" {
		t.Errorf("audit.csv = %q, %v", export.body, err)
	}
}

// TestMerchantRefundWritesAnAPIKeyAuditRow: a refund through /v1 is audited with the refund
// it requested; one refused (more than the payment has) is not.
func TestMerchantRefundWritesAnAPIKeyAuditRow(t *testing.T) {
	c := newConsoleEnv(t)
	o := c.reviewWithDoublePayment(t)
	c.do(t, http.MethodPost, "/v1/orders/"+o.ID+"/refunds", `{"internalReference":7002,"amount":{"currency":"USD","total":"10.01"}}`,
		auth(apiKey)).wantProblem(t, http.StatusUnprocessableEntity, "invalid", "amount.total")
	if n := c.auditRows(t, o.ID); n != 0 {
		t.Fatalf("%d audit rows after a refused refund", n)
	}
	r := c.do(t, http.MethodPost, "/v1/orders/"+o.ID+"/refunds", `{"internalReference":7002}`, auth(apiKey))
	if r.status != http.StatusCreated && r.status != http.StatusAccepted {
		t.Fatalf("refund: %d %s", r.status, r.body)
	}
	n := c.count(t, `SELECT count(*) FROM audit_log WHERE order_id = $1 AND actor_kind = 'api_key' AND action = 'refund'
		AND target = 'payment 7002' AND after->>'amount' = '10.00 USD'`, o.ID)
	if n != 1 {
		t.Fatalf("%d api_key audit rows for the refund, want 1", n)
	}
}
