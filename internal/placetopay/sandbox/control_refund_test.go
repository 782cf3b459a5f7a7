package sandbox_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/placetopay-gateway/gateway/internal/placetopay"
)

// TestControlRefundIsAPanelRefund: the control call refunds a payment as PlacetoPay's panel
// does. A partial refund leaves the session's query showing the payment not refunded (a
// boolean cannot say "in part"); refunding the rest shows it refunded. No notification is
// sent for either.
func TestControlRefundIsAPanelRefund(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	requestID, ref := e.paid(basicRequest("PANEL-1", "50.00"), visaApprove)
	notified := len(e.notifications())

	tx, err := e.control.Refund(ctx, int64(ref), "20.00")
	if err != nil {
		t.Fatal(err)
	}
	if tx.Refunded || tx.RefundedTotal != "20" {
		t.Errorf("after a refund of 20.00 the transaction is %+v, want refundedTotal 20, not refunded", tx)
	}
	if pay := e.query(requestID).Payment; len(pay) != 1 || pay[0].Refunded {
		t.Errorf("the query after a partial panel refund shows %+v, want the payment not refunded", pay)
	}
	tx, err = e.control.Refund(ctx, int64(ref), "")
	if err != nil {
		t.Fatal(err)
	}
	if !tx.Refunded || tx.RefundedTotal != "50" {
		t.Errorf("after refunding the rest the transaction is %+v, want refunded 50", tx)
	}
	if pay := e.query(requestID).Payment; len(pay) != 1 || !pay[0].Refunded {
		t.Errorf("the query after the panel refunded everything shows %+v, want the payment refunded", pay)
	}
	if n := len(e.notifications()); n != notified {
		t.Errorf("the panel refunds sent %d notifications, want none", n-notified)
	}
}

func TestControlRefundRefusals(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	_, ref := e.paid(basicRequest("PANEL-2", "10.00"), visaApprove)
	_, denied := e.paid(basicRequest("PANEL-3", "10.00"), visaDeny)
	for _, tt := range []struct {
		name   string
		ref    int64
		amount placetopay.Decimal
		code   int
	}{
		{"no such transaction", 999999999, "", http.StatusNotFound},
		{"a declined payment", int64(denied), "", http.StatusConflict},
		{"more than is left", int64(ref), "10.01", http.StatusUnprocessableEntity},
		{"three decimals", int64(ref), "1.001", http.StatusUnprocessableEntity},
		{"a negative amount", int64(ref), "-1", http.StatusUnprocessableEntity},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := e.control.Refund(ctx, tt.ref, tt.amount)
			wantRefused(t, err, tt.code)
		})
	}
	if _, err := e.control.Refund(ctx, int64(ref), ""); err != nil {
		t.Fatal(err)
	}
	_, err := e.control.Refund(ctx, int64(ref), "")
	wantRefused(t, err, http.StatusConflict) // refunded already
	resp, err := http.Post(e.control.BaseURL+"/sandbox/transactions/1/refund", "application/json", strings.NewReader(`{"amount": "1", "card": "4110760000000081"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest || resp.Header.Get("Content-Type") != "application/problem+json" {
		t.Errorf("a malformed body = %d %s, want 400 problem+json", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
}
