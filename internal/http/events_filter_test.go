package http_test

import (
	"context"
	"net/http"
	"net/url"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestEventsFilterByOrderAndType: ?orderId= lists one order's events and ?type= some types,
// both together too, paged through the feed's cursors; a malformed filter is a 422 naming it.
func TestEventsFilterByOrderAndType(t *testing.T) {
	e := newEventsEnv(t)
	a := e.createOrder(t, usd("", "10.00"))
	if _, err := e.pool.Exec(context.Background(), `INSERT INTO events (id, type, order_id, data) VALUES (gen_random_uuid(), 'order.failed', $1, $2)`,
		a.ID, failedData(t, a)); err != nil {
		t.Fatal(err)
	}
	e.do(t, http.MethodPost, "/v1/orders/"+a.ID+"/cancel", "", auth(apiKey)).wantStatus(t, http.StatusOK)
	b := e.cancelOrder(t)
	c := e.cancelOrder(t)
	all := e.waitForEvents(t, 4) // a failed, a cancelled, b cancelled, c cancelled

	list := func(q url.Values) []event {
		t.Helper()
		return e.listEvents(t, q.Encode()).Data
	}
	typesOf := func(events []event) []string {
		var out []string
		for _, ev := range events {
			out = append(out, ev.OrderID+" "+ev.Type)
		}
		return out
	}

	if got := list(url.Values{"orderId": {a.ID}}); cmp.Diff(ids(all[:2]), ids(got)) != "" {
		t.Errorf("orderId=a lists %v, want a's two events", typesOf(got))
	}
	if got := list(url.Values{"type": {"order.cancelled"}}); cmp.Diff(ids(all[1:]), ids(got)) != "" {
		t.Errorf("type=order.cancelled lists %v, want the three cancels", typesOf(got))
	}
	if got := list(url.Values{"type": {"order.failed,order.cancelled"}, "orderId": {b.ID}}); cmp.Diff(ids(all[2:3]), ids(got)) != "" {
		t.Errorf("type=failed,cancelled&orderId=b lists %v, want b's cancel", typesOf(got))
	}
	if got := list(url.Values{"type": {"order.failed", "order.paid"}}); cmp.Diff(ids(all[:1]), ids(got)) != "" {
		t.Errorf("type repeated lists %v, want a's failed", typesOf(got))
	}
	if got := list(url.Values{"orderId": {c.ID}, "type": {"order.failed"}}); len(got) != 0 {
		t.Errorf("c has no failed event, listed %v", typesOf(got))
	}

	// Paged one at a time: a's two events, then an empty page that keeps the cursor.
	first := e.listEvents(t, url.Values{"orderId": {a.ID}, "limit": {"1"}}.Encode())
	second := e.listEvents(t, url.Values{"orderId": {a.ID}, "limit": {"1"}, "after": {*first.NextCursor}}.Encode())
	third := e.listEvents(t, url.Values{"orderId": {a.ID}, "limit": {"1"}, "after": {*second.NextCursor}}.Encode())
	if cmp.Diff(ids(all[:2]), append(ids(first.Data), ids(second.Data)...)) != "" || len(third.Data) != 0 || *third.NextCursor != *second.NextCursor {
		t.Errorf("paged a's events: %v, %v, %v (cursor %s after %s)", typesOf(first.Data), typesOf(second.Data), typesOf(third.Data),
			*third.NextCursor, *second.NextCursor)
	}

	for _, tc := range []struct{ query, field string }{
		{"orderId=nope", "orderId"},
		{"orderId=" + a.ID + "&orderId=" + b.ID, "orderId"},
		{"orderId=", "orderId"},
		{"type=order.nope", "type"},
		{"type=order.paid,", "type"},
		{"type=", "type"},
	} {
		t.Run(tc.query, func(t *testing.T) {
			e.do(t, http.MethodGet, "/v1/events?"+tc.query, "", auth(apiKey)).wantProblem(t, http.StatusUnprocessableEntity, "invalid", tc.field)
		})
	}
}
