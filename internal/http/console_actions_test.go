package http_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/placetopay-gateway/gateway/internal/operators"
)

// TestConsoleFormsNeedTheCSRFToken: a form posted without the session's CSRF token, or with
// another one, is 403 and changes nothing.
func TestConsoleFormsNeedTheCSRFToken(t *testing.T) {
	c := newConsoleEnv(t)
	b := c.signedIn(t, "help@shop.test", operators.Support)
	o, _ := c.checkout(t, "10.00")
	story := b.get(t, "/console/orders/"+o.ID)
	story.want(t, http.StatusOK, `data-action="cancel"`)
	for _, csrf := range []string{"", "not-the-token", story.hidden(t, "idempotencyKey", `data-action="cancel"`)} {
		form := url.Values{"reason": {"customer asked"}}
		if csrf != "" {
			form.Set("csrf", csrf)
		}
		b.post(t, "/console/orders/"+o.ID+"/cancel", form).want(t, http.StatusForbidden, `id="error"`)
	}
	if st := c.order(t, o.ID).Status; st != "pending" {
		t.Fatalf("order is %s after forms without the CSRF token", st)
	}
	if n := c.auditRows(t, o.ID); n != 0 {
		t.Fatalf("%d audit rows after refused forms", n)
	}
	// With it, the cancel goes through and the page says so once.
	form := url.Values{"csrf": {story.hidden(t, "csrf", `data-action="cancel"`)}, "reason": {"customer asked"},
		"idempotencyKey": {story.hidden(t, "idempotencyKey", `data-action="cancel"`)}}
	b.post(t, "/console/orders/"+o.ID+"/cancel", form).wantRedirect(t, "/console/orders/"+o.ID)
	b.get(t, "/console/orders/"+o.ID).want(t, http.StatusOK, `<p id="flash" role="status">`, `data-field="status">cancelled<`)
	again := b.get(t, "/console/orders/"+o.ID)
	if strings.Contains(again.body, `id="flash"`) {
		t.Error("the message shows twice")
	}
	// The cancel's event has a redeliver form in its row; it comes back to the order.
	var eventID string
	if err := c.pool.QueryRow(context.Background(), `SELECT id::text FROM events WHERE order_id = $1 AND type = 'order.cancelled'`, o.ID).Scan(&eventID); err != nil {
		t.Fatal(err)
	}
	row := `<tr data-event-id="` + eventID + `">`
	again.want(t, http.StatusOK, row)
	b.post(t, "/console/events/"+eventID+"/redeliver", url.Values{"csrf": {again.hidden(t, "csrf", row)}, "reason": {"merchant asked"},
		"orderId": {o.ID}, "idempotencyKey": {again.hidden(t, "idempotencyKey", row)}}).wantRedirect(t, "/console/orders/"+o.ID)
	if n := c.count(t, `SELECT count(*) FROM audit_log WHERE order_id = $1 AND action = 'redeliver' AND reason = 'merchant asked'`, o.ID); n != 1 {
		t.Errorf("%d redeliver audit rows, want 1", n)
	}
}

// TestConsoleViewerSeesNoActionFormsAndIsRefused: a viewer's order page has no action
// form, and an action posted anyway is 403 with no audit row.
func TestConsoleViewerSeesNoActionFormsAndIsRefused(t *testing.T) {
	c := newConsoleEnv(t)
	b := c.signedIn(t, "look@shop.test", operators.Viewer)
	o := c.reviewWithDoublePayment(t)
	story := b.get(t, "/console/orders/"+o.ID)
	story.want(t, http.StatusOK, `id="summary"`, `data-field="status">review<`, `<tr data-payment="7002">`, `id="timeline"`, `table id="audit"`)
	if strings.Contains(story.body, "data-action=") {
		t.Fatalf("a viewer's page has action forms")
	}
	csrf := story.hidden(t, "csrf", `id="signout"`)
	for _, action := range []string{"cancel", "refund", "query"} {
		b.post(t, "/console/orders/"+o.ID+"/"+action, url.Values{"csrf": {csrf}, "reason": {"just looking"}, "internalReference": {"7002"}}).
			want(t, http.StatusForbidden, `id="error"`)
	}
	if n := c.auditRows(t, o.ID); n != 0 {
		t.Fatalf("%d audit rows after a viewer's actions", n)
	}
	if n := c.count(t, `SELECT count(*) FROM refunds WHERE order_id = $1`, o.ID); n != 0 {
		t.Fatalf("%d refunds after a viewer's refund", n)
	}
}

// TestConsoleSupportRefundsANamedPayment: the refund form in a payment's row refunds that
// payment, with its audit row naming the operator and the reason; submitting the same
// rendered form twice refunds once. Support sees no admin forms.
func TestConsoleSupportRefundsANamedPayment(t *testing.T) {
	c := newConsoleEnv(t)
	b := c.signedIn(t, "help@shop.test", operators.Support)
	o := c.reviewWithDoublePayment(t)
	if _, err := c.pool.Exec(context.Background(), `UPDATE payments SET session_id = (SELECT id FROM checkout_sessions WHERE order_id = $1) WHERE order_id = $1`, o.ID); err != nil {
		t.Fatal(err)
	}
	story := b.get(t, "/console/orders/"+o.ID)
	row := `<tr data-payment="7002">`
	story.want(t, http.StatusOK, row, `data-action="refund"`, `data-action="query"`)
	for _, admin := range []string{`data-action="resolve"`, `data-action="capture"`, `data-action="settle"`} {
		if strings.Contains(story.body, admin) {
			t.Errorf("support sees %s", admin)
		}
	}
	i := strings.Index(story.body, row)
	rowHTML := story.body[i : i+strings.Index(story.body[i:], "</tr>")]
	if !strings.Contains(rowHTML, `data-action="refund"`) || !strings.Contains(rowHTML, `name="internalReference" value="7002"`) {
		t.Fatalf("the payment's row has no refund form for it: %s", rowHTML)
	}
	form := url.Values{"csrf": {story.hidden(t, "csrf", row)}, "idempotencyKey": {story.hidden(t, "idempotencyKey", row)},
		"internalReference": {"7002"}, "reason": {"paid twice"}}
	b.post(t, "/console/orders/"+o.ID+"/refund", form).wantRedirect(t, "/console/orders/"+o.ID)
	b.post(t, "/console/orders/"+o.ID+"/refund", form).wantRedirect(t, "/console/orders/"+o.ID) // a double submit
	after := b.get(t, "/console/orders/"+o.ID)
	after.want(t, http.StatusOK, `id="flash"`, `<tr data-audit-action="refund">`, "help@shop.test", "paid twice")
	if n := c.count(t, `SELECT count(*) FROM refunds r JOIN payments p ON p.id = r.payment_id WHERE r.order_id = $1 AND p.internal_reference = 7002`, o.ID); n != 1 {
		t.Fatalf("%d refunds of payment 7002, want 1", n)
	}
	n := c.count(t, `SELECT count(*) FROM audit_log WHERE order_id = $1 AND action = 'refund' AND actor_kind = 'operator'
		AND actor_name = 'help@shop.test' AND reason = 'paid twice' AND target = 'payment 7002'`, o.ID)
	if n != 1 {
		t.Fatalf("%d audit rows for the page's refund, want 1", n)
	}
	// An admin sees the unknown refund's settle form in its row.
	var refundID string
	if err := c.pool.QueryRow(context.Background(), `SELECT id::text FROM refunds WHERE order_id = $1`, o.ID).Scan(&refundID); err != nil {
		t.Fatal(err)
	}
	c.operator(t, "root@shop.test", operators.Admin)
	admin := c.browser(t)
	admin.signIn(t, "root@shop.test")
	adminPage := admin.get(t, "/console/orders/"+o.ID)
	refundRow := `<tr data-refund-id="` + refundID + `">`
	adminPage.want(t, http.StatusOK, refundRow, `data-action="resolve"`, `name="acceptDiscrepancy"`)
	j := strings.Index(adminPage.body, refundRow)
	if rowHTML := adminPage.body[j : j+strings.Index(adminPage.body[j:], "</tr>")]; !strings.Contains(rowHTML, `data-field="state">unknown<`) ||
		!strings.Contains(rowHTML, `data-action="settle"`) {
		t.Errorf("the unknown refund's row: %s", rowHTML)
	}

	// A refused action comes back as a sentence, not a problem document.
	bad := url.Values{"csrf": {form.Get("csrf")}, "reason": {""}}
	b.post(t, "/console/orders/"+o.ID+"/cancel", bad).wantRedirect(t, "/console/orders/"+o.ID)
	b.get(t, "/console/orders/"+o.ID).want(t, http.StatusOK, `<p id="error" role="alert">`, "reason is required")
}

// TestConsoleSpeaksTheOperatorsLanguage: Spanish from Accept-Language; ?lang=en then wins.
func TestConsoleSpeaksTheOperatorsLanguage(t *testing.T) {
	c := newConsoleEnv(t)
	b := c.browser(t)
	b.header.Set("Accept-Language", "es-CO,es;q=0.9")
	b.get(t, "/console/signin").want(t, http.StatusOK, `<html lang="es">`, "Iniciar sesión", "Contraseña")
	b.get(t, "/console/signin?lang=en").want(t, http.StatusOK, `<html lang="en">`, "Sign in")
	b.get(t, "/console/signin").want(t, http.StatusOK, `<html lang="en">`)
	c.operator(t, "ana@shop.test", operators.Support)
	b.get(t, "/console/signin?lang=es")
	b.signIn(t, "ana@shop.test")
	b.get(t, "/console").want(t, http.StatusOK, `<html lang="es">`, "Requiere una persona", "Aprobaciones por hora")
}

// TestOverviewAPI: GET /admin/api/overview answers the home page's figures to any operator
// (validated against admin-openapi.yaml), and 401 without one.
func TestOverviewAPI(t *testing.T) {
	c := newConsoleEnv(t)
	viewer := c.operator(t, "look@shop.test", operators.Viewer)
	c.reviewWithDoublePayment(t)
	r := c.call(t, http.MethodGet, "/admin/api/overview", "", auth(viewer))
	r.wantStatus(t, http.StatusOK)
	var ov struct {
		Attention        map[string]int `json:"attention"`
		ApprovalsPerHour []struct {
			Count int `json:"count"`
		} `json:"approvalsPerHour"`
	}
	r.decode(t, &ov)
	perHour := 0
	for _, h := range ov.ApprovalsPerHour {
		perHour += h.Count
	}
	if ov.Attention["review"] != 1 || len(ov.ApprovalsPerHour) != 24 || perHour != 2 {
		t.Errorf("overview = %+v, want 1 in review and 2 approvals over 24 hours", ov)
	}
	c.call(t, http.MethodGet, "/admin/api/overview", "", nil).wantProblem(t, http.StatusUnauthorized, "unauthorized", "")
}
