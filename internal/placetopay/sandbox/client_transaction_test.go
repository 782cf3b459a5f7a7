package sandbox_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/placetopay-gateway/gateway/internal/placetopay"
)

// paid opens a session from req, pays it with card and returns the session id and the
// approved transaction's internal reference.
func (e *env) paid(req placetopay.CreateSessionRequest, card string) (placetopay.Int64, placetopay.Int64) {
	e.t.Helper()
	created := e.create(req)
	ctl := e.pay(int64(created.RequestID), card)
	return created.RequestID, placetopay.Int64(lastPayment(e.t, ctl).InternalReference)
}

// tokenize saves card with a subscription session and returns the token the client reads.
func (e *env) tokenize(ref, card string) placetopay.Token {
	e.t.Helper()
	req := basicRequest(ref, "1")
	req.Payment, req.Subscription = nil, &placetopay.SubscriptionRequest{Reference: ref, Description: "Save a card"}
	created := e.create(req)
	e.pay(int64(created.RequestID), card)
	info := e.query(created.RequestID)
	if info.Subscription == nil {
		e.t.Fatalf("subscription session %d has no subscription", created.RequestID)
	}
	tok, _ := info.Subscription.Instrument.Lookup("token")
	sub, _ := info.Subscription.Instrument.Lookup("subtoken")
	if tok == "" || sub == "" {
		e.t.Fatalf("subscription instrument %+v has no token or subtoken", info.Subscription.Instrument)
	}
	return placetopay.Token{Token: tok, Subtoken: sub}
}

// txByRef finds a transaction of a queried session.
func txByRef(t *testing.T, info *placetopay.SessionInformation, ref placetopay.Int64) placetopay.Transaction {
	t.Helper()
	for _, p := range info.Payment {
		if p.InternalReference == ref {
			return p
		}
	}
	t.Fatalf("session %d has no transaction %d", info.RequestID, ref)
	return placetopay.Transaction{}
}

func usd(total placetopay.Decimal) *placetopay.Amount {
	return &placetopay.Amount{Currency: "USD", Total: total}
}

// TestClientCollect charges a token through /api/collect (docs/placetopay.md#collect).
func TestClientCollect(t *testing.T) {
	e := newEnv(t)
	tok := e.tokenize("COL-TOKEN", masterApprove)

	first, err := e.client.Collect(t.Context(), collectRequest("COL-1", "33.30", placetopay.Token{Token: tok.Token}))
	if err != nil {
		t.Fatalf("Collect: %v", err)
	}
	wantStatus(t, "collect", first.Status, "APPROVED/00")
	if first.RequestID <= 0 || len(first.Payment) != 1 {
		t.Fatalf("collect answer: requestId %d, %d payments", first.RequestID, len(first.Payment))
	}
	charge := first.Payment[0]
	checkTx(t, charge, txWant{
		status: "APPROVED", reason: "00", ref: int64(charge.InternalReference), reference: "COL-1",
		total: "33.30", currency: "USD", franchise: "CR_MC", method: "master", lastDigits: "0005",
	})
	if d := cmp.Diff(first, e.query(first.RequestID)); d != "" {
		t.Errorf("the collect answer and a query of it differ (-collect +query):\n%s", d)
	}
	approvals := e.approvals()
	if n := len(approvals); n == 0 || approvals[n-1].InternalReference != int64(charge.InternalReference) || approvals[n-1].Kind != "collect" {
		t.Fatalf("last approval %+v, want the collect %d", approvals[len(approvals)-1], charge.InternalReference)
	}

	cases := []struct {
		name   string
		req    placetopay.CollectRequest
		before func()
		same   bool // the first charge answers again
	}{
		{"same reference, total and currency", collectRequest("COL-1", "33.30", placetopay.Token{Token: tok.Token}), nil, true},
		{"same again by subtoken", collectRequest("COL-1", "33.30", placetopay.Token{Subtoken: tok.Subtoken}), nil, true},
		{"same total written differently", collectRequest("COL-1", "33.3", placetopay.Token{Token: tok.Token}), nil, true},
		{"another total", collectRequest("COL-1", "33.31", placetopay.Token{Token: tok.Token}), nil, false},
		{"another reference", collectRequest("COL-2", "33.30", placetopay.Token{Token: tok.Token}), nil, false},
		{"by subtoken", collectRequest("COL-3", "10.00", placetopay.Token{Subtoken: tok.Subtoken}), nil, false},
		{"same after 24 hours", collectRequest("COL-1", "33.30", placetopay.Token{Token: tok.Token}), func() { e.advance(24*time.Hour + time.Minute) }, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if tc.before != nil {
				tc.before()
			}
			before := len(e.approvals())
			got, err := e.client.Collect(t.Context(), tc.req)
			if err != nil {
				t.Fatalf("Collect: %v", err)
			}
			wantStatus(t, "collect", got.Status, "APPROVED/00")
			after := len(e.approvals())
			if tc.same {
				if after != before {
					t.Errorf("a repeated collect charged again: %d approvals, then %d", before, after)
				}
				if got.RequestID != first.RequestID || len(got.Payment) != 1 || got.Payment[0].InternalReference != charge.InternalReference {
					t.Errorf("repeated collect answered request %d, want the first one (%d, transaction %d)", got.RequestID, first.RequestID, charge.InternalReference)
				}
				return
			}
			if after != before+1 {
				t.Errorf("a new collect made %d approvals, want 1", after-before)
			}
			if got.RequestID == first.RequestID || len(got.Payment) != 1 || got.Payment[0].InternalReference == charge.InternalReference {
				t.Errorf("a new collect answered the first one again (request %d)", got.RequestID)
			}
			if !cmp.Equal(got.Payment[0].Amount.From.Total, tc.req.Payment.Amount.Total, sameValue) {
				t.Errorf("charged %s, want %s", got.Payment[0].Amount.From.Total, tc.req.Payment.Amount.Total)
			}
		})
	}
	t.Run("unknown token", func(t *testing.T) {
		before := len(e.approvals())
		_, err := e.client.Collect(t.Context(), collectRequest("COL-X", "5.00", placetopay.Token{Token: "00000000000000000000000000000000"}))
		wantAPIError(t, err, http.StatusBadRequest, "XN", "The token used is invalid")
		if after := len(e.approvals()); after != before {
			t.Errorf("a refused collect made %d approvals", after-before)
		}
	})
}

// TestClientCollectKinds: a collect of type checkin is a preauthorization the client can
// then capture, and a token of a pending card charges pending, then resolves.
func TestClientCollectKinds(t *testing.T) {
	e := newEnv(t)
	t.Run("checkin, then checkout", func(t *testing.T) {
		tok := e.tokenize("COLK-1", visaApprove)
		req := collectRequest("COLK-PRE", "70.00", placetopay.Token{Token: tok.Token})
		req.Type = placetopay.SessionTypeCheckin
		got, err := e.client.Collect(t.Context(), req)
		if err != nil {
			t.Fatalf("Collect checkin: %v", err)
		}
		wantStatus(t, "collect", got.Status, "APPROVED/00")
		if len(got.Payment) != 1 {
			t.Fatalf("%d payments", len(got.Payment))
		}
		hold := got.Payment[0].InternalReference
		if approvals := e.approvals(); approvals[len(approvals)-1].Kind != "preauthorization" {
			t.Errorf("a checkin collect was recorded as %q, want preauthorization", approvals[len(approvals)-1].Kind)
		}
		resp, err := e.client.TransactionAction(t.Context(), placetopay.TransactionRequest{
			InternalReference: hold, Action: placetopay.ActionCheckout, Amount: usd("65.00"),
		})
		if err != nil {
			t.Fatalf("checkout of a collected hold: %v", err)
		}
		if resp.Payment == nil || !cmp.Equal(resp.Payment.Amount.From.Total, placetopay.Decimal("65.00"), sameValue) {
			t.Errorf("checkout answered %+v, want 65.00", resp.Payment)
		}
	})
	t.Run("pending card", func(t *testing.T) {
		tok := e.tokenize("COLK-2", visaPendingApprove)
		got, err := e.client.Collect(t.Context(), collectRequest("COLK-PEND", "12.00", placetopay.Token{Token: tok.Token}))
		if err != nil {
			t.Fatalf("Collect: %v", err)
		}
		wantStatus(t, "collect while pending", got.Status, "PENDING/PT")
		if len(got.Payment) != 1 || got.Payment[0].Status.Status != placetopay.StatusPending {
			t.Fatalf("payments %+v, want one PENDING", got.Payment)
		}
		e.advance(5 * time.Minute)
		info := e.query(got.RequestID)
		wantStatus(t, "collect once resolved", info.Status, "APPROVED/00")
		checkTx(t, info.Payment[0], txWant{
			status: "APPROVED", reason: "00", ref: int64(got.Payment[0].InternalReference), reference: "COLK-PEND",
			total: "12.00", currency: "USD", franchise: "CR_VS", method: "visa", lastDigits: "0073",
		})
	})
}

// TestClientReverse refunds approved payments with /api/transaction action reverse
// (docs/placetopay.md#refunds).
func TestClientReverse(t *testing.T) {
	e := newEnv(t)
	reverse := func(t *testing.T, ref placetopay.Int64, amount *placetopay.Amount) (*placetopay.TransactionResponse, error) {
		t.Helper()
		return e.client.TransactionAction(t.Context(), placetopay.TransactionRequest{InternalReference: ref, Action: placetopay.ActionReverse, Amount: amount})
	}

	t.Run("full, then again", func(t *testing.T) {
		id, ref := e.paid(basicRequest("REV-FULL", "80.10"), visaApprove)
		resp, err := reverse(t, ref, nil)
		if err != nil {
			t.Fatalf("reverse: %v", err)
		}
		wantStatus(t, "reverse", resp.Status, "APPROVED/00")
		if resp.Payment == nil || resp.Payment.InternalReference == ref || resp.Payment.InternalReference <= 0 {
			t.Fatalf("reverse answer payment %+v: want a new transaction", resp.Payment)
		}
		checkTx(t, *resp.Payment, txWant{
			status: "APPROVED", reason: "00", ref: int64(resp.Payment.InternalReference), reference: "REV-FULL",
			total: "80.10", currency: "USD", franchise: "CR_VS", method: "visa", lastDigits: "0081",
		})
		info := e.query(id)
		wantStatus(t, "session after the refund", info.Status, "APPROVED/00") // refunds do not change the session
		if orig := txByRef(t, info, ref); !orig.Refunded || orig.Status.Status != placetopay.StatusApproved {
			t.Errorf("refunded transaction: refunded %v, status %s", orig.Refunded, orig.Status.Status)
		}
		if last, ok := info.LastApprovedTransaction(); ok {
			t.Errorf("LastApprovedTransaction = %d after a full refund, want none", last.InternalReference)
		}
		_, err = reverse(t, ref, nil)
		wantAPIError(t, err, http.StatusBadRequest, "request_not_valid", "Transaction already refunded")
	})

	t.Run("partial, twice to the full amount", func(t *testing.T) {
		id, ref := e.paid(basicRequest("REV-PART", "100.00"), visaApprove)
		resp, err := reverse(t, ref, usd("30.25"))
		if err != nil {
			t.Fatalf("partial reverse: %v", err)
		}
		if resp.Payment == nil || resp.Payment.Amount == nil || resp.Payment.Amount.From.Total != "30.25" {
			t.Fatalf("partial reverse answer %+v, want 30.25", resp.Payment)
		}
		if orig := txByRef(t, e.query(id), ref); orig.Refunded {
			t.Error("a partly refunded transaction says refunded")
		}
		_, err = reverse(t, ref, usd("69.76"))
		wantAPIError(t, err, http.StatusBadRequest, "request_not_valid", "exceeds")
		_, err = reverse(t, ref, &placetopay.Amount{Currency: "COP", Total: "10"})
		wantAPIError(t, err, http.StatusBadRequest, "request_not_valid", "USD")
		if _, err := reverse(t, ref, usd("69.75")); err != nil {
			t.Fatalf("reverse the rest: %v", err)
		}
		if orig := txByRef(t, e.query(id), ref); !orig.Refunded {
			t.Error("a transaction refunded in two parts does not say refunded")
		}
		var refunded placetopay.Decimal
		for _, a := range e.approvals() {
			if a.InternalReference == int64(ref) {
				refunded = a.RefundedTotal
			}
		}
		if !cmp.Equal(refunded, placetopay.Decimal("100.00"), sameValue) {
			t.Errorf("sandbox refundedTotal %q, want 100.00", refunded)
		}
		_, err = reverse(t, ref, usd("1.00"))
		wantAPIError(t, err, http.StatusBadRequest, "request_not_valid", "Transaction already refunded")
	})

	t.Run("a declined transaction", func(t *testing.T) {
		_, ref := e.paid(basicRequest("REV-DENIED", "10.00"), visaDeny)
		_, err := reverse(t, ref, nil)
		wantAPIError(t, err, http.StatusBadRequest, "request_not_valid", "approved")
	})

	t.Run("unknown internal reference", func(t *testing.T) {
		_, err := reverse(t, 42, nil)
		wantAPIError(t, err, http.StatusBadRequest, "request_not_valid", "does not exist")
	})
}

// TestClientLegacyReverse refunds through the deprecated /api/reverse (docs/placetopay.md#legacy-reverse).
func TestClientLegacyReverse(t *testing.T) {
	e := newEnv(t)
	t.Run("full, then BR", func(t *testing.T) {
		id, ref := e.paid(basicRequest("LEG-FULL", "55.55"), amexApprove)
		resp, err := e.client.Reverse(t.Context(), placetopay.ReverseRequest{InternalReference: ref})
		if err != nil {
			t.Fatalf("Reverse: %v", err)
		}
		wantStatus(t, "reverse", resp.Status, "APPROVED/00")
		if resp.Payment == nil || resp.Payment.InternalReference == ref || resp.Payment.Amount == nil || resp.Payment.Amount.From.Total != "55.55" {
			t.Fatalf("reverse answer payment %+v: want a new transaction of 55.55", resp.Payment)
		}
		if orig := txByRef(t, e.query(id), ref); !orig.Refunded {
			t.Error("the reversed transaction does not say refunded")
		}
		_, err = e.client.Reverse(t.Context(), placetopay.ReverseRequest{InternalReference: ref})
		wantAPIError(t, err, http.StatusBadRequest, "BR", "already been reversed")
	})
	t.Run("partial", func(t *testing.T) {
		id, ref := e.paid(basicRequest("LEG-PART", "20.00"), visaApprove)
		resp, err := e.client.Reverse(t.Context(), placetopay.ReverseRequest{InternalReference: ref, Amount: usd("5.00")})
		if err != nil {
			t.Fatalf("Reverse: %v", err)
		}
		if resp.Payment == nil || !cmp.Equal(resp.Payment.Amount.From.Total, placetopay.Decimal("5.00"), sameValue) {
			t.Errorf("partial reverse answer %+v, want 5.00", resp.Payment)
		}
		if orig := txByRef(t, e.query(id), ref); orig.Refunded {
			t.Error("a partly reversed transaction says refunded")
		}
	})
	t.Run("unknown internal reference", func(t *testing.T) {
		_, err := e.client.Reverse(t.Context(), placetopay.ReverseRequest{InternalReference: 42})
		wantAPIError(t, err, http.StatusBadRequest, "request_not_valid", "does not exist")
	})
}

// TestClientPreauthorization runs a checkin session through reauthorization and checkout
// (docs/placetopay.md#preauthorization).
func TestClientPreauthorization(t *testing.T) {
	e := newEnv(t)
	action := func(t *testing.T, ref placetopay.Int64, act string, amount *placetopay.Amount) (*placetopay.TransactionResponse, error) {
		t.Helper()
		return e.client.TransactionAction(t.Context(), placetopay.TransactionRequest{InternalReference: ref, Action: act, Amount: amount})
	}
	req := basicRequest("PRE-1", "250.00")
	req.Type = placetopay.SessionTypeCheckin
	id, hold := e.paid(req, visaApprove)
	info := e.query(id)
	wantStatus(t, "checkin session", info.Status, "APPROVED/00")
	checkTx(t, txByRef(t, info, hold), txWant{
		status: "APPROVED", reason: "00", ref: int64(hold), reference: "PRE-1", total: "250.00",
		currency: "USD", franchise: "CR_VS", method: "visa", lastDigits: "0081",
	})

	steps := []struct {
		name   string
		act    string
		amount *placetopay.Amount
		total  placetopay.Decimal // of the answered transaction; empty: an error is wanted
		reason string
		msg    string
	}{
		{"reauthorization", placetopay.ActionReauthorization, usd("300.00"), "300.00", "", ""},
		{"checkout in another currency", placetopay.ActionCheckout, &placetopay.Amount{Currency: "EUR", Total: "280.00"}, "", "request_not_valid", "USD"},
		{"checkout above the hold", placetopay.ActionCheckout, usd("300.01"), "", "request_not_valid", "exceeds"},
		{"checkout of the final amount", placetopay.ActionCheckout, usd("280.40"), "280.40", "", ""},
		{"second checkout", placetopay.ActionCheckout, usd("1.00"), "", "request_not_valid", "not captured"},
		{"reauthorization after checkout", placetopay.ActionReauthorization, usd("10.00"), "", "request_not_valid", "not captured"},
		{"reverse of the captured hold", placetopay.ActionReverse, nil, "", "request_not_valid", "captured"},
	}
	var capture placetopay.Int64
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			before := len(e.approvals())
			resp, err := action(t, hold, s.act, s.amount)
			if s.total == "" {
				wantAPIError(t, err, http.StatusBadRequest, s.reason, s.msg)
				return
			}
			if err != nil {
				t.Fatalf("%s: %v", s.act, err)
			}
			wantStatus(t, s.act, resp.Status, "APPROVED/00")
			if resp.Payment == nil || resp.Payment.InternalReference == hold {
				t.Fatalf("%s answer %+v: want a new transaction", s.act, resp.Payment)
			}
			checkTx(t, *resp.Payment, txWant{
				status: "APPROVED", reason: "00", ref: int64(resp.Payment.InternalReference), reference: "PRE-1",
				total: s.total, currency: "USD", franchise: "CR_VS", method: "visa", lastDigits: "0081",
			})
			if s.act == placetopay.ActionCheckout {
				capture = resp.Payment.InternalReference
				approvals := e.approvals()
				if len(approvals) != before+1 || approvals[len(approvals)-1].Kind != "capture" || approvals[len(approvals)-1].InternalReference != int64(capture) {
					t.Errorf("checkout did not record one capture approval: %+v", approvals[before:])
				}
			}
		})
	}
	t.Run("reverse of the capture", func(t *testing.T) {
		if capture == 0 {
			t.Fatal("no capture to reverse")
		}
		resp, err := action(t, capture, placetopay.ActionReverse, nil)
		if err != nil {
			t.Fatalf("reverse capture: %v", err)
		}
		if resp.Payment == nil || !cmp.Equal(resp.Payment.Amount.From.Total, placetopay.Decimal("280.40"), sameValue) {
			t.Errorf("reverse of the capture answered %+v, want 280.40", resp.Payment)
		}
	})
	t.Run("release with a checkout of 0", func(t *testing.T) {
		req := basicRequest("PRE-2", "99.00")
		req.Type = placetopay.SessionTypeCheckin
		_, hold := e.paid(req, masterApprove)
		before := len(e.approvals())
		resp, err := action(t, hold, placetopay.ActionCheckout, usd("0"))
		if err != nil {
			t.Fatalf("release: %v", err)
		}
		if resp.Payment == nil || resp.Payment.InternalReference != hold {
			t.Errorf("release answered %+v, want the hold %d", resp.Payment, hold)
		}
		if after := len(e.approvals()); after != before {
			t.Errorf("a release made %d approvals", after-before)
		}
		_, err = action(t, hold, placetopay.ActionCheckout, usd("10.00"))
		wantAPIError(t, err, http.StatusBadRequest, "request_not_valid", "released")
	})
	t.Run("checkout of a payment that is no preauthorization", func(t *testing.T) {
		_, ref := e.paid(basicRequest("PRE-NOT", "10.00"), visaApprove)
		_, err := action(t, ref, placetopay.ActionCheckout, usd("10.00"))
		wantAPIError(t, err, http.StatusBadRequest, "request_not_valid", "not supported for this session")
	})
}

// TestClientConfirmation runs the confirmation flow (metadata.requiresConfirmation,
// docs/placetopay.md#confirmation-flow): confirm approves, cancel rejects with ?C, both only on PENDING_CONFIRMATION.
func TestClientConfirmation(t *testing.T) {
	e := newEnv(t)
	action := func(t *testing.T, ref placetopay.Int64, act string) (*placetopay.TransactionResponse, error) {
		t.Helper()
		return e.client.TransactionAction(t.Context(), placetopay.TransactionRequest{InternalReference: ref, Action: act})
	}
	awaiting := func(t *testing.T, ref string) (placetopay.Int64, placetopay.Int64) {
		t.Helper()
		req := basicRequest(ref, "64.00")
		req.Metadata = &placetopay.Metadata{RequiresConfirmation: true}
		id, tx := e.paid(req, visaApprove)
		info := e.query(id)
		wantStatus(t, "session awaiting confirmation", info.Status, "PENDING/PT")
		checkTx(t, txByRef(t, info, tx), txWant{
			status: "PENDING_CONFIRMATION", reason: "PT", ref: int64(tx), reference: ref, total: "64.00",
			currency: "USD", franchise: "CR_VS", method: "visa", lastDigits: "0081",
		})
		if _, ok := info.LastApprovedTransaction(); ok {
			t.Error("a transaction awaiting confirmation counts as approved")
		}
		return id, tx
	}
	cases := []struct {
		name              string
		act               string
		txStatus, session string
	}{
		{"confirm", placetopay.ActionConfirm, "APPROVED/00", "APPROVED/00"},
		{"cancel", placetopay.ActionCancel, "REJECTED/?C", "REJECTED/?C"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			id, tx := awaiting(t, "CONF-"+tc.act)
			resp, err := action(t, tx, tc.act)
			if err != nil {
				t.Fatalf("%s: %v", tc.act, err)
			}
			wantStatus(t, tc.act+" answer", resp.Status, tc.txStatus)
			if resp.Payment == nil || resp.Payment.InternalReference != tx {
				t.Fatalf("%s answered %+v, want transaction %d", tc.act, resp.Payment, tx)
			}
			wantStatus(t, "answered transaction", resp.Payment.Status, tc.txStatus)
			info := e.query(id)
			wantStatus(t, "session", info.Status, tc.session)
			wantStatus(t, "queried transaction", txByRef(t, info, tx).Status, tc.txStatus)
			for _, again := range []string{placetopay.ActionConfirm, placetopay.ActionCancel} {
				_, err := action(t, tx, again)
				wantAPIError(t, err, http.StatusBadRequest, "request_not_valid", "pending confirmation state")
			}
		})
	}
	t.Run("confirm after the window", func(t *testing.T) {
		id, tx := awaiting(t, "CONF-LATE")
		e.advance(31 * time.Minute)
		_, err := action(t, tx, placetopay.ActionConfirm)
		wantAPIError(t, err, http.StatusBadRequest, "transaction_request_error", "The transaction has already expired")
		wantStatus(t, "session", e.query(id).Status, "REJECTED/EX")
	})
	t.Run("confirm a normal approved payment", func(t *testing.T) {
		_, tx := e.paid(basicRequest("CONF-NONE", "10.00"), visaApprove)
		for _, act := range []string{placetopay.ActionConfirm, placetopay.ActionCancel} {
			_, err := action(t, tx, act)
			wantAPIError(t, err, http.StatusBadRequest, "request_not_valid", "not supported for this session")
		}
	})
}

// TestClientInvalidateToken retires tokens (docs/placetopay.md#invalidate-a-token).
func TestClientInvalidateToken(t *testing.T) {
	e := newEnv(t)
	invalidate := func(t *testing.T, tok placetopay.Token) (*placetopay.InvalidateTokenResponse, error) {
		t.Helper()
		return e.client.InvalidateToken(t.Context(), placetopay.InvalidateTokenRequest{Locale: "es_CO", Instrument: placetopay.Instrument{Token: &tok}})
	}
	cases := []struct {
		name string
		by   func(placetopay.Token) placetopay.Token
	}{
		{"by token", func(tk placetopay.Token) placetopay.Token { return placetopay.Token{Token: tk.Token} }},
		{"by subtoken", func(tk placetopay.Token) placetopay.Token { return placetopay.Token{Subtoken: tk.Subtoken} }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tok := e.tokenize("INV-"+tc.name[3:], visaApprove)
			// The token charges before it is invalidated.
			if _, err := e.client.Collect(t.Context(), collectRequest("INV-BEFORE-"+tc.name[3:], "3.00", placetopay.Token{Token: tok.Token})); err != nil {
				t.Fatalf("collect before invalidation: %v", err)
			}
			resp, err := invalidate(t, tc.by(tok))
			if err != nil {
				t.Fatalf("InvalidateToken: %v", err)
			}
			if s := resp.Status; (s.Status != placetopay.StatusApproved && s.Status != placetopay.StatusOK) || s.Reason != "00" {
				t.Errorf("invalidate status %s, want APPROVED/00 or OK/00", statusOf(s))
			}
			_, err = invalidate(t, tc.by(tok))
			wantAPIError(t, err, http.StatusBadRequest, "XN", "The token used is invalid")
			for _, use := range []placetopay.Token{{Token: tok.Token}, {Subtoken: tok.Subtoken}} {
				_, err = e.client.Collect(t.Context(), collectRequest("INV-AFTER-"+tc.name[3:], "3.00", use))
				wantAPIError(t, err, http.StatusBadRequest, "XN", "The token used is invalid")
			}
		})
	}
	t.Run("unknown token", func(t *testing.T) {
		_, err := invalidate(t, placetopay.Token{Token: "ffffffffffffffffffffffffffffffff"})
		wantAPIError(t, err, http.StatusBadRequest, "XN", "The token used is invalid")
	})
}
