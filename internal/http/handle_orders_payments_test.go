package http_test

import (
	"context"
	"fmt"
	"net/http"
	"testing"
)

// TestOrderPaymentsShowKindAndConfirmation: every payment says where it came from, and one
// known only from a notification (a recurring charge) reads unconfirmed, with what the
// notification reported beside it, never as approved.
func TestOrderPaymentsShowKindAndConfirmation(t *testing.T) {
	e := newEnv(t)
	o := e.createOrder(t, usd("KIND-1", "25.00"))
	for _, row := range []struct {
		ref       int64
		kind      string
		confirmed bool
	}{{4001, "payment", true}, {4002, "recurring", false}, {4003, "collect", true}} {
		if _, err := e.pool.Exec(context.Background(), `INSERT INTO payments (id, order_id, internal_reference, kind, status, currency, amount_minor, confirmed)
			VALUES (gen_random_uuid(), $1, $2, $3, 'APPROVED', 'USD', 2500, $4)`, o.ID, row.ref, row.kind, row.confirmed); err != nil {
			t.Fatal(err)
		}
	}
	var got struct {
		Payments []struct {
			InternalReference int64  `json:"internalReference"`
			Kind              string `json:"kind"`
			Status            string `json:"status"`
			ReportedStatus    string `json:"reportedStatus"`
		} `json:"payments"`
	}
	r := e.do(t, http.MethodGet, "/v1/orders/"+o.ID, "", auth(apiKey))
	r.wantStatus(t, http.StatusOK)
	r.decode(t, &got)
	want := map[int64][3]string{
		4001: {"checkout", "APPROVED", ""},
		4002: {"recurring", "unconfirmed", "APPROVED"},
		4003: {"collect", "APPROVED", ""},
	}
	if len(got.Payments) != len(want) {
		t.Fatalf("%d payments, want %d", len(got.Payments), len(want))
	}
	for _, p := range got.Payments {
		if w := want[p.InternalReference]; [3]string{p.Kind, p.Status, p.ReportedStatus} != w {
			t.Errorf("payment %d: kind %q status %q reported %q, want %q", p.InternalReference, p.Kind, p.Status, p.ReportedStatus, w)
		}
	}
}

// TestLookAlikeLabelsAreRefused: a reference or description with a bidirectional control, a
// zero-width character or the byte-order mark reads like another one: 422 naming the field,
// and no order.
func TestLookAlikeLabelsAreRefused(t *testing.T) {
	e := newEnv(t)
	for _, c := range []struct{ field, ref, description string }{
		{"reference", "ORDER-\u202e7801", "shoes"},
		{"reference", "ORDER\u200b1087", "shoes"},
		{"reference", "\ufeffORDER-1087", "shoes"},
		{"reference", "ORDER-\u20661087", "shoes"},
		{"description", "ORDER-1088", "Pago de \u202eCOP 000.001"},
		{"description", "ORDER-1089", "shoes\u200d"},
	} {
		body := fmt.Sprintf(`{"reference":%q,"description":%q,"amount":{"currency":"COP","total":"59900"}}`, c.ref, c.description)
		e.do(t, http.MethodPost, "/v1/orders", body, auth(apiKey)).wantProblem(t, http.StatusUnprocessableEntity, "invalid", c.field)
	}
	if n := e.orderCount(t); n != 0 {
		t.Errorf("%d orders were created from look-alike labels", n)
	}
}
