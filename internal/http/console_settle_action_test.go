package http_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/placetopay-gateway/gateway/internal/operators"
)

// TestConsoleSettlesAnUnknownCaptureFromItsRow: the order page shows an admin a settle form in
// the row of a capture PlacetoPay never answered; posting it with the capture's reference
// captures the hold and pays the order as the API's settle does, with one audit row. A
// support operator sees no such form.
func TestConsoleSettlesAnUnknownCaptureFromItsRow(t *testing.T) {
	c := newConsoleEnv(t)
	token := c.operator(t, "root@shop.test", operators.Admin)
	o, _ := c.authorizedOrder(t, 8101)
	actionID := c.unknownCapture(t, token, o.ID)

	support := c.signedIn(t, "help@shop.test", operators.Support)
	if body := support.get(t, "/console/orders/"+o.ID).body; strings.Contains(body, `name="actionId"`) {
		t.Error("a support operator sees the settle form of an action")
	}

	admin := c.browser(t)
	admin.signIn(t, "root@shop.test")
	page := admin.get(t, "/console/orders/"+o.ID)
	row := `<tr data-action-id="` + actionID + `">`
	page.want(t, http.StatusOK, row, `name="actionId" value="`+actionID+`"`)
	form := url.Values{"csrf": {page.hidden(t, "csrf", row)}, "idempotencyKey": {page.hidden(t, "idempotencyKey", row)},
		"actionId": {actionID}, "outcome": {"succeeded"}, "internalReference": {"8102"}, "reason": {"the panel shows the capture"}}
	admin.post(t, "/console/orders/"+o.ID+"/settle", form).wantRedirect(t, "/console/orders/"+o.ID)
	admin.get(t, "/console/orders/"+o.ID).want(t, http.StatusOK, `id="flash"`, `<dd data-field="status">paid</dd>`, `<tr data-audit-action="settle">`)

	if n := c.count(t, `SELECT count(*) FROM preauth_actions WHERE id = $1 AND status = 'succeeded'`, actionID); n != 1 {
		t.Errorf("the capture is not succeeded after the settle")
	}
	if n := c.count(t, `SELECT count(*) FROM audit_log WHERE order_id = $1 AND action = 'settle' AND actor_name = 'root@shop.test'`, o.ID); n != 1 {
		t.Errorf("%d settle audit rows, want 1", n)
	}
}
