package main

import (
	"slices"
	"testing"

	pp "github.com/placetopay-gateway/gateway/internal/placetopay"
	"github.com/placetopay-gateway/gateway/internal/placetopay/sandbox"
)

// The payment (100) and the hold (200) of the cases, both of 10.00, and their orders.
const (
	payRef, holdRef = 100, 200
	payOrder        = "X-1"
	holdOrder       = "X-2"
)

func tx(ref int64, kind, reference string, parent int64, total pp.Decimal) sandbox.TransactionRecord {
	return sandbox.TransactionRecord{InternalReference: ref, Kind: kind, Reference: reference, ParentReference: parent,
		Status: pp.Status{Status: "APPROVED"}, Amount: pp.AmountBase{Currency: "USD", Total: total}}
}

func refund(status string, minor int64, reversal int64) entry {
	e := entry{id: "r", reference: payOrder, action: "refund", payment: payRef, paymentLeft: 1000, minor: minor, status: status}
	if reversal != 0 {
		e.reversal = &reversal
	}
	return e
}

func capture(status string, minor int64, ref int64) entry {
	e := entry{id: "c", reference: holdOrder, action: "capture", payment: holdRef, minor: minor, status: status}
	if ref != 0 {
		e.reversal = &ref
	}
	return e
}

// TestTheActionChecksFailOnEveryDisagreement states, case by case, what the checks make of
// the gateway's ledger next to the sandbox's transactions: what passes, what fails, what is
// waited for and what is left to a person.
func TestTheActionChecksFailOnEveryDisagreement(t *testing.T) {
	base := []sandbox.TransactionRecord{tx(payRef, "payment", payOrder, 0, "10.00"), tx(holdRef, "preauthorization", holdOrder, 0, "10.00")}
	for _, tc := range []struct {
		name    string
		sandbox []sandbox.TransactionRecord // besides the payment and the hold
		ledger  []entry
		asked   []action // of the payment's order
		want    []string // the checks that fail, "wait" for one waited for, "person"; none when all pass
	}{
		{"a refund recorded and made", []sandbox.TransactionRecord{tx(101, "reversal", payOrder, payRef, "10.00")},
			[]entry{refund("succeeded", 1000, 101)}, []action{{kind: "refund"}}, nil},
		{"a refund settled by a query, which names no reversal", []sandbox.TransactionRecord{tx(101, "reversal", payOrder, payRef, "4.00")},
			[]entry{refund("succeeded", 400, 0)}, []action{{kind: "refund"}}, nil},
		{"a refund recorded, not made", nil, []entry{refund("succeeded", 1000, 0)}, []action{{kind: "refund"}}, []string{checkRefundsMade}},
		{"a refund recorded for another amount than made", []sandbox.TransactionRecord{tx(101, "reversal", payOrder, payRef, "5.00")},
			[]entry{refund("succeeded", 400, 101)}, []action{{kind: "refund"}}, []string{checkRefundsMade, checkRefundsRecorded}},
		{"a refund made, not recorded", []sandbox.TransactionRecord{tx(101, "reversal", payOrder, payRef, "4.00")},
			[]entry{refund("failed", 400, 0)}, []action{{kind: "refund"}}, []string{checkRefundsRecorded}},
		{"a refund made twice", []sandbox.TransactionRecord{tx(101, "reversal", payOrder, payRef, "4.00"), tx(102, "reversal", payOrder, payRef, "4.00")},
			[]entry{refund("succeeded", 400, 101)}, []action{{kind: "refund"}}, []string{checkRefundsRecorded, checkAskedOnce}},
		{"a refund of everything left still unknown", []sandbox.TransactionRecord{tx(101, "reversal", payOrder, payRef, "10.00")},
			[]entry{refund("unknown", 1000, 0)}, []action{{kind: "refund"}}, []string{"wait"}},
		{"a refund of everything left still requested, not made", nil, []entry{refund("requested", 1000, 0)}, []action{{kind: "refund"}}, []string{"wait"}},
		{"a partial refund unknown, made", []sandbox.TransactionRecord{tx(101, "reversal", payOrder, payRef, "4.00")},
			[]entry{refund("unknown", 400, 0)}, []action{{kind: "refund"}}, []string{"person"}},
		{"a partial refund unknown, not made", nil, []entry{refund("unknown", 400, 0)}, []action{{kind: "refund"}}, []string{"person"}},
		{"a partial refund unknown, and one more made", []sandbox.TransactionRecord{tx(101, "reversal", payOrder, payRef, "4.00"), tx(102, "reversal", payOrder, payRef, "4.00")},
			[]entry{refund("unknown", 400, 0)}, []action{{kind: "refund"}, {kind: "refund"}}, []string{checkRefundsMade}},
		{"two refunds made of one asked", []sandbox.TransactionRecord{tx(101, "reversal", payOrder, payRef, "4.00"), tx(102, "reversal", payOrder, payRef, "4.00")},
			[]entry{refund("succeeded", 400, 101), refund("succeeded", 400, 102)}, []action{{kind: "refund"}}, []string{checkAskedOnce}},
		{"a capture recorded and made", []sandbox.TransactionRecord{tx(201, "capture", holdOrder, holdRef, "7.00")},
			[]entry{capture("succeeded", 700, 201)}, nil, nil},
		{"a capture recorded for another amount than made", []sandbox.TransactionRecord{tx(201, "capture", holdOrder, holdRef, "7.00")},
			[]entry{capture("succeeded", 800, 201)}, nil, []string{checkCaptures}},
		{"a capture made, not recorded", []sandbox.TransactionRecord{tx(201, "capture", holdOrder, holdRef, "7.00")}, nil, nil, []string{checkCaptures}},
		{"a capture unknown, made", []sandbox.TransactionRecord{tx(201, "capture", holdOrder, holdRef, "7.00")},
			[]entry{capture("unknown", 700, 0)}, nil, []string{"wait"}},
		{"a capture unknown, not made", nil, []entry{capture("unknown", 700, 0)}, nil, []string{"person"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sb, err := indexSandbox(append(slices.Clone(base), tc.sandbox...))
			if err != nil {
				t.Fatal(err)
			}
			r := &result{checks: map[string][]string{}, waiting: map[string][]string{}}
			mine := map[string]*payment{
				payOrder:  {reference: payOrder, minor: 1000, actions: tc.asked},
				holdOrder: {reference: holdOrder, minor: 1000, plan: plan{hold: true, capture: 70}, actions: []action{{kind: "capture", minor: 700}}},
			}
			r.checkActions(sb, nil, tc.ledger, mine)
			var got []string
			for c := range r.checks {
				got = append(got, c)
			}
			if len(r.waiting) > 0 {
				got = append(got, "wait")
			}
			if len(r.forPerson) > 0 {
				got = append(got, "person")
			}
			slices.Sort(got)
			want := slices.Sorted(slices.Values(tc.want))
			if !slices.Equal(got, want) {
				t.Errorf("got %q, want %q\nviolations %q\nwaiting %q\nfor a person %q", got, want, r.checks, r.waiting, r.forPerson)
			}
		})
	}
}
