package http_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/placetopay-gateway/gateway/internal/operators"
	"github.com/placetopay-gateway/gateway/internal/orders"
)

// authorizedOrder returns an order of USD 10.00 whose preauthorization (checkin payment
// holdRef, on its session) PlacetoPay approved, and the session's requestId.
func (c *consoleEnv) authorizedOrder(t *testing.T, holdRef int64) (order, int64) {
	t.Helper()
	o, requestID := c.checkout(t, "10.00")
	ctx := context.Background()
	if _, err := c.pool.Exec(ctx, `INSERT INTO payments (id, order_id, session_id, kind, internal_reference, status, currency, amount_minor, authorization_code)
		VALUES ($1, $2, (SELECT id FROM checkout_sessions WHERE order_id = $2), 'checkin', $3, 'APPROVED', 'USD', 1000, 'HOLD1')`,
		uuid.New(), o.ID, holdRef); err != nil {
		t.Fatal(err)
	}
	if _, err := c.pool.Exec(ctx, `UPDATE orders SET status = 'authorized' WHERE id = $1`, o.ID); err != nil {
		t.Fatal(err)
	}
	return o, requestID
}

// unknownCapture sends a capture of USD 8.00 that PlacetoPay never answers, and returns the
// unknown action's id.
func (c *consoleEnv) unknownCapture(t *testing.T, admin, orderID string) string {
	t.Helper()
	c.call(t, http.MethodPost, "/admin/api/orders/"+orderID+"/capture", `{"reason":"guest checked out","amount":{"currency":"USD","total":"8.00"}}`,
		auth(admin)).wantProblem(t, http.StatusBadGateway, "unavailable", "")
	var id uuid.UUID
	if err := c.pool.QueryRow(context.Background(), `SELECT id FROM preauth_actions WHERE order_id = $1 AND status = 'unknown'`, orderID).Scan(&id); err != nil {
		t.Fatalf("the capture is not unknown: %v", err)
	}
	return id.String()
}

// TestSettleUnknownCaptureAppliesItAsPlacetoPayWould: an admin settles a capture PlacetoPay
// never answered, after the gateway's last query could not tell: the hold is captured, the
// capture's transaction recorded, the order paid at the captured amount with an order.paid
// event, as PlacetoPay's approval does; one audit row; a second settle is a conflict.
func TestSettleUnknownCaptureAppliesItAsPlacetoPayWould(t *testing.T) {
	c := newConsoleEnv(t)
	admin := c.operator(t, "root@shop.test", operators.Admin)
	support := c.operator(t, "help@shop.test", operators.Support)
	o, requestID := c.authorizedOrder(t, 8001)
	actionID := c.unknownCapture(t, admin, o.ID)
	queries := c.provider.queried(requestID)

	path := "/admin/api/orders/" + o.ID + "/settle"
	settle := `{"reason":"PlacetoPay's panel shows the capture","actionId":"` + actionID + `","outcome":"succeeded","internalReference":8002}`
	c.call(t, http.MethodPost, path, settle, auth(support)).wantProblem(t, http.StatusForbidden, "forbidden", "")
	c.call(t, http.MethodPost, path, `{"reason":"x","actionId":"`+actionID+`","outcome":"refunded"}`, auth(admin)).
		wantProblem(t, http.StatusUnprocessableEntity, "invalid", "outcome")
	c.call(t, http.MethodPost, path, `{"reason":"x","actionId":"`+uuid.NewString()+`","outcome":"failed"}`, auth(admin)).
		wantProblem(t, http.StatusNotFound, "not_found", "")

	r := c.call(t, http.MethodPost, path, settle, auth(admin))
	r.wantStatus(t, http.StatusOK)
	var res struct {
		Order  order `json:"order"`
		Action struct {
			ID, Kind, Action, Status string
		} `json:"action"`
	}
	r.decode(t, &res)
	if res.Action.ID != actionID || res.Action.Kind != "preauthorization" || res.Action.Action != "capture" || res.Action.Status != "succeeded" {
		t.Errorf("action = %+v", res.Action)
	}
	if c.provider.queried(requestID) != queries+1 {
		t.Errorf("the session was queried %d times by the settle, want once first", c.provider.queried(requestID)-queries)
	}
	got := c.order(t, o.ID)
	if got.Status != "paid" || got.Amount.Total != "8.00" || got.PaidAmount.Total != "8.00" {
		t.Fatalf("order after the settle: %s, amount %s, paid %s; want paid 8.00 of 8.00 (the amount follows the capture)",
			got.Status, got.Amount.Total, got.PaidAmount.Total)
	}
	checks := []struct {
		what, query string
		want        int
	}{
		{"the hold captured", `SELECT count(*) FROM payments WHERE order_id = $1 AND internal_reference = 8001 AND settled = 'captured'`, 1},
		{"the capture's transaction", `SELECT count(*) FROM payments WHERE order_id = $1 AND internal_reference = 8002 AND status = 'APPROVED'
			AND amount_minor = 800 AND parent_id IS NOT NULL`, 1},
		{"the action succeeded, by an operator", `SELECT count(*) FROM preauth_actions WHERE order_id = $1 AND status = 'succeeded'
			AND reason = 'settled_by_operator' AND internal_reference = 8002`, 1},
		{"an order.paid event", `SELECT count(*) FROM events WHERE order_id = $1 AND type = 'order.paid'`, 1},
		{"the timeline's move to paid", `SELECT count(*) FROM order_timeline WHERE order_id = $1 AND kind = 'transition' AND to_status = 'paid'`, 1},
		{"one settle audit row", `SELECT count(*) FROM audit_log WHERE order_id = $1 AND action = 'settle' AND target = 'preauthorization action ' || $2`, 1},
	}
	for _, ck := range checks {
		args := []any{o.ID}
		if strings.Contains(ck.query, "$2") {
			args = append(args, actionID)
		}
		if n := c.count(t, ck.query, args...); n != ck.want {
			t.Errorf("%s: %d rows, want %d", ck.what, n, ck.want)
		}
	}
	c.call(t, http.MethodPost, path, settle, auth(admin)).wantProblem(t, http.StatusConflict, "conflict", "")
}

// TestSettleIsRefusedWhenTheLastQuerySettlesTheAction: the query the settle makes first
// shows the capture's transaction, so the gateway applies it as a query does and refuses
// the operator's outcome (409, no audit row); a release PlacetoPay did not make is settled
// failed and the order keeps its preauthorization.
func TestSettleIsRefusedWhenTheLastQuerySettlesTheAction(t *testing.T) {
	c := newConsoleEnv(t)
	admin := c.operator(t, "root@shop.test", operators.Admin)
	o, requestID := c.authorizedOrder(t, 9001)
	actionID := c.unknownCapture(t, admin, o.ID)
	c.provider.list(requestID, orders.ProviderPayment{InternalReference: 9002, Status: orders.ProviderApproved,
		Currency: "USD", AmountMinor: 800, AmountOK: true})
	path := "/admin/api/orders/" + o.ID + "/settle"
	c.call(t, http.MethodPost, path, `{"reason":"I think it failed","actionId":"`+actionID+`","outcome":"failed"}`, auth(admin)).
		wantProblem(t, http.StatusConflict, "conflict", "")
	if st := c.order(t, o.ID).Status; st != "paid" {
		t.Errorf("order is %s, want paid from the query", st)
	}
	if n := c.count(t, `SELECT count(*) FROM audit_log WHERE order_id = $1 AND action = 'settle'`, o.ID); n != 0 {
		t.Errorf("%d settle audit rows after a refused settle", n)
	}

	o2, _ := c.authorizedOrder(t, 9101)
	c.call(t, http.MethodPost, "/admin/api/orders/"+o2.ID+"/release", `{"reason":"guest cancelled"}`, auth(admin)).
		wantProblem(t, http.StatusBadGateway, "unavailable", "")
	var release string
	if err := c.pool.QueryRow(context.Background(), `SELECT id::text FROM preauth_actions WHERE order_id = $1 AND status = 'unknown'`, o2.ID).Scan(&release); err != nil {
		t.Fatal(err)
	}
	c.call(t, http.MethodPost, "/admin/api/orders/"+o2.ID+"/settle", `{"reason":"not in PlacetoPay's panel","actionId":"`+release+`","outcome":"failed"}`,
		auth(admin)).wantStatus(t, http.StatusOK)
	if st := c.order(t, o2.ID).Status; st != "authorized" {
		t.Errorf("order after a failed release is %s, want authorized", st)
	}
	if n := c.count(t, `SELECT count(*) FROM audit_log WHERE order_id = $1 AND action = 'settle'`, o2.ID); n != 1 {
		t.Errorf("%d settle audit rows, want 1", n)
	}
	// The hold is free for the next action: a new release is sent (and, unanswered, unknown).
	c.call(t, http.MethodPost, "/admin/api/orders/"+o2.ID+"/release", `{"reason":"guest cancelled"}`, auth(admin)).
		wantProblem(t, http.StatusBadGateway, "unavailable", "")
}

// TestSettleUnknownConfirmationSettlesOnlyTheAction: an unknown confirm of a payment the
// session query still shows awaiting confirmation is settled by an admin; the action and the
// audit log record it, and the order does not move: it follows the session query alone.
func TestSettleUnknownConfirmationSettlesOnlyTheAction(t *testing.T) {
	c := newConsoleEnv(t)
	admin := c.operator(t, "root@shop.test", operators.Admin)
	o, _ := c.checkout(t, "10.00")
	ctx := context.Background()
	payment, action := uuid.New(), uuid.New()
	if _, err := c.pool.Exec(ctx, `INSERT INTO payments (id, order_id, session_id, internal_reference, status, currency, amount_minor)
		VALUES ($1, $2, (SELECT id FROM checkout_sessions WHERE order_id = $2), 7301, 'PENDING_CONFIRMATION', 'USD', 1000)`, payment, o.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := c.pool.Exec(ctx, `INSERT INTO confirm_actions (id, order_id, payment_id, action, status) VALUES ($1, $2, $3, 'confirm', 'unknown')`,
		action, o.ID, payment); err != nil {
		t.Fatal(err)
	}
	path := "/admin/api/orders/" + o.ID + "/settle"
	c.call(t, http.MethodPost, path, `{"reason":"x","actionId":"`+action.String()+`","outcome":"succeeded","internalReference":5}`, auth(admin)).
		wantProblem(t, http.StatusUnprocessableEntity, "invalid", "internalReference")
	r := c.call(t, http.MethodPost, path, `{"reason":"PlacetoPay's panel shows it confirmed","actionId":"`+action.String()+`","outcome":"succeeded"}`, auth(admin))
	r.wantStatus(t, http.StatusOK)
	var res struct {
		Order  order `json:"order"`
		Action struct{ Kind, Action, Status string }
	}
	r.decode(t, &res)
	if res.Action.Kind != "confirmation" || res.Action.Action != "confirm" || res.Action.Status != "succeeded" {
		t.Errorf("action = %+v", res.Action)
	}
	if res.Order.Status != "pending" {
		t.Errorf("order is %s after settling a confirm; it follows the session query, which shows the payment awaiting confirmation", res.Order.Status)
	}
	if n := c.count(t, `SELECT count(*) FROM confirm_actions WHERE id = $1 AND status = 'succeeded' AND reason = 'settled_by_operator'`, action); n != 1 {
		t.Error("the confirm action is not settled by the operator")
	}
	if n := c.count(t, `SELECT count(*) FROM audit_log WHERE order_id = $1 AND action = 'settle' AND target = 'confirmation action ' || $2`, o.ID, action.String()); n != 1 {
		t.Errorf("%d settle audit rows, want 1", n)
	}
	if n := c.count(t, `SELECT count(*) FROM order_timeline WHERE order_id = $1 AND reason = 'settled_by_operator'`, o.ID); n != 1 {
		t.Errorf("%d timeline notes of the settle, want 1", n)
	}
}
