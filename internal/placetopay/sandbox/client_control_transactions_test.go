package sandbox_test

import (
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/placetopay-gateway/gateway/internal/placetopay"
)

// TestControlTransactionsListEveryRefundAndCaptureWithWhatItActsOn: the sandbox's record of
// what it did, which a check compares a merchant's ledger with. Refunds are reversals, which
// no approval shows; each refund, capture and reauthorization names the transaction it acted
// on, and a partly refunded payment says how much of it was refunded.
func TestControlTransactionsListEveryRefundAndCaptureWithWhatItActsOn(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	act := func(ref placetopay.Int64, action string, amount *placetopay.Amount) int64 {
		t.Helper()
		resp, err := e.client.TransactionAction(ctx, placetopay.TransactionRequest{InternalReference: ref, Action: action, Amount: amount})
		if err != nil {
			t.Fatalf("%s of %d: %v", action, ref, err)
		}
		return int64(resp.Payment.InternalReference)
	}
	_, pay := e.paid(basicRequest("TX-PAY", "50.00"), visaApprove)
	part := act(pay, placetopay.ActionReverse, usd("20.00"))
	rest := act(pay, placetopay.ActionReverse, nil)
	_, partly := e.paid(basicRequest("TX-PART", "30.00"), visaApprove)
	partial := act(partly, placetopay.ActionReverse, usd("5.50"))
	e.paid(basicRequest("TX-DENY", "10.00"), visaDeny)
	checkin := basicRequest("TX-HOLD", "100.00")
	checkin.Type = placetopay.SessionTypeCheckin
	_, hold := e.paid(checkin, visaApprove)
	reauth := act(hold, placetopay.ActionReauthorization, usd("120.00"))
	capture := act(hold, placetopay.ActionCheckout, usd("80.00"))

	list, err := e.control.Transactions(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, tx := range list {
		got = append(got, fmt.Sprintf("%d %s %s %s %s parent %d refunded %s", tx.InternalReference, tx.Kind, tx.Reference,
			tx.Status.Status, tx.Amount.Total, tx.ParentReference, tx.RefundedTotal))
	}
	want := []string{
		fmt.Sprintf("%d payment TX-PAY APPROVED 50 parent 0 refunded 50", pay),
		fmt.Sprintf("%d reversal TX-PAY APPROVED 20 parent %d refunded 0", part, pay),
		fmt.Sprintf("%d reversal TX-PAY APPROVED 30 parent %d refunded 0", rest, pay),
		fmt.Sprintf("%d payment TX-PART APPROVED 30 parent 0 refunded 5.50", partly),
		fmt.Sprintf("%d reversal TX-PART APPROVED 5.50 parent %d refunded 0", partial, partly),
		fmt.Sprintf("%d payment TX-DENY REJECTED 10 parent 0 refunded 0", list[5].InternalReference),
		fmt.Sprintf("%d preauthorization TX-HOLD APPROVED 100 parent 0 refunded 0", hold),
		fmt.Sprintf("%d reauthorization TX-HOLD APPROVED 120 parent %d refunded 0", reauth, hold),
		fmt.Sprintf("%d capture TX-HOLD APPROVED 80 parent %d refunded 0", capture, hold),
	}
	if len(list) != len(want) {
		t.Fatalf("%d transactions, want %d:\n%v", len(list), len(want), got)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("transactions (-want +got):\n%s", diff)
	}

	// Approvals go on listing what was approved, not the refunds.
	var kinds []string
	for _, a := range e.approvals() {
		kinds = append(kinds, a.Kind)
	}
	if diff := cmp.Diff([]string{"payment", "payment", "preauthorization", "capture"}, kinds); diff != "" {
		t.Errorf("approval kinds (-want +got):\n%s", diff)
	}
}
