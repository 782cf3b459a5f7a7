package sandbox

import (
	"net/http"
	"testing"
	"time"

	pp "github.com/placetopay-gateway/gateway/internal/placetopay"
)

// paidSession opens a session of body, pays it with card and returns its requestId and the
// internalReference of the payment.
func (h *harness) paidSession(body map[string]any, card string) (int64, int64) {
	h.t.Helper()
	id, _ := h.create(body)
	h.pay(id, card).want(h.t, http.StatusOK)
	return id, mustInt(h.t, str(h.query(id).Body, "payment", 0, "internalReference"))
}

func (h *harness) action(ref int64, action string, amount map[string]any) reply {
	h.t.Helper()
	body := map[string]any{"internalReference": ref, "action": action}
	if amount != nil {
		body["amount"] = amount
	}
	return h.api("/api/transaction", body)
}

func usd(total any) map[string]any { return map[string]any{"currency": "USD", "total": total} }

func wantFailed(t *testing.T, r reply, code int, reason, message string) {
	t.Helper()
	r.want(t, code)
	if got := status(r.Body, "status"); got != "FAILED/"+reason {
		t.Errorf("status = %s (%s), want FAILED/%s", got, str(r.Body, "status", "message"), reason)
	}
	if message != "" && str(r.Body, "status", "message") != message {
		t.Errorf("message = %q, want %q", str(r.Body, "status", "message"), message)
	}
}

func TestReverse(t *testing.T) {
	h := newHarness(t)
	t.Run("full, then again", func(t *testing.T) {
		id, ref := h.paidSession(basicSession("ORDER-R1"), cardApprove)
		r := h.action(ref, "reverse", nil).want(t, http.StatusOK)
		if got := status(r.Body, "status") + " " + status(r.Body, "payment", "status"); got != "APPROVED/00 APPROVED/00" {
			t.Errorf("reverse = %s", got)
		}
		if str(r.Body, "payment", "internalReference") == itoa(ref) || str(r.Body, "payment", "amount", "from", "total") != "100.5" {
			t.Errorf("the refund is %s of %s, want a new transaction of 100.5", str(r.Body, "payment", "internalReference"), str(r.Body, "payment", "amount", "from", "total"))
		}
		q := h.query(id)
		if got := status(q.Body, "status") + " refunded=" + str(q.Body, "payment", 0, "refunded"); got != "APPROVED/00 refunded=true" {
			t.Errorf("query after refund: %s, want the session still APPROVED and the payment refunded", got)
		}
		wantFailed(t, h.action(ref, "reverse", nil), http.StatusBadRequest, "request_not_valid", "Transaction already refunded")
	})
	t.Run("partial", func(t *testing.T) {
		id, ref := h.paidSession(basicSession("ORDER-R2"), cardApprove)
		h.action(ref, "reverse", usd(30)).want(t, http.StatusOK)
		if got := str(h.query(id).Body, "payment", 0, "refunded"); got != "false" {
			t.Errorf("refunded after 30 of 100.50 = %s, want false", got)
		}
		wantFailed(t, h.action(ref, "reverse", usd(70.51)), http.StatusBadRequest, "request_not_valid", "")
		wantFailed(t, h.action(ref, "reverse", map[string]any{"currency": "COP", "total": 10}), http.StatusBadRequest, "request_not_valid", "")
		h.action(ref, "reverse", usd("70.50")).want(t, http.StatusOK)
		if got := str(h.query(id).Body, "payment", 0, "refunded"); got != "true" {
			t.Errorf("refunded after all of it = %s, want true", got)
		}
		wantFailed(t, h.action(ref, "reverse", usd(1)), http.StatusBadRequest, "request_not_valid", "Transaction already refunded")
	})
	t.Run("a declined payment", func(t *testing.T) {
		_, ref := h.paidSession(basicSession("ORDER-R3"), cardDeny)
		wantFailed(t, h.action(ref, "reverse", nil), http.StatusBadRequest, "request_not_valid", "")
	})
	t.Run("unknown transaction", func(t *testing.T) {
		wantFailed(t, h.action(999999, "reverse", nil), http.StatusBadRequest, "request_not_valid", "")
	})
	t.Run("unknown action", func(t *testing.T) {
		_, ref := h.paidSession(basicSession("ORDER-R4"), cardApprove)
		wantFailed(t, h.action(ref, "refund", nil), http.StatusBadRequest, "request_not_valid", "")
	})
}

func TestLegacyReverse(t *testing.T) {
	h := newHarness(t)
	_, ref := h.paidSession(basicSession("ORDER-LR"), cardApprove)
	r := h.api("/api/reverse", map[string]any{"internalReference": ref}).want(t, http.StatusOK)
	if got := status(r.Body, "status") + " " + status(r.Body, "payment", "status"); got != "APPROVED/00 APPROVED/00" {
		t.Errorf("reverse = %s", got)
	}
	if str(r.Body, "payment", "internalReference") == "" || str(r.Body, "payment", "amount", "to", "total") != "100.5" {
		t.Errorf("payment = %s", r.Raw)
	}
	wantFailed(t, h.api("/api/reverse", map[string]any{"internalReference": ref}), http.StatusBadRequest, "BR", "")
	wantFailed(t, h.api("/api/reverse", map[string]any{"internalReference": 999999}), http.StatusBadRequest, "request_not_valid", "")
}

func TestPreauthorization(t *testing.T) {
	h := newHarness(t)
	checkin := func(ref string) map[string]any {
		body := basicSession(ref)
		body["type"] = "checkin"
		return body
	}
	id, ref := h.paidSession(checkin("HOTEL-1"), cardApprove)
	if got := status(h.query(id).Body, "status"); got != "APPROVED/00" {
		t.Fatalf("approved hold: session %s, want APPROVED/00", got)
	}
	wantFailed(t, h.action(ref, "reauthorization", nil), http.StatusBadRequest, "request_not_valid", "")
	wantFailed(t, h.action(ref, "reauthorization", map[string]any{"currency": "EUR", "total": 150}), http.StatusBadRequest, "request_not_valid", "")
	re := h.action(ref, "reauthorization", usd(150)).want(t, http.StatusOK)
	if got := status(re.Body, "payment", "status") + " " + str(re.Body, "payment", "amount", "from", "total"); got != "APPROVED/00 150" {
		t.Errorf("reauthorization = %s, want APPROVED/00 150", got)
	}
	wantFailed(t, h.action(ref, "checkout", usd(150.01)), http.StatusBadRequest, "request_not_valid", "")
	capture := h.action(ref, "checkout", usd(120)).want(t, http.StatusOK)
	captured := mustInt(t, str(capture.Body, "payment", "internalReference"))
	if captured == ref || str(capture.Body, "payment", "amount", "from", "total") != "120" {
		t.Errorf("checkout = %s, want a new transaction of 120", capture.Raw)
	}
	wantFailed(t, h.action(ref, "checkout", usd(120)), http.StatusBadRequest, "request_not_valid", "")
	h.action(captured, "reverse", usd(20)).want(t, http.StatusOK)

	t.Run("release with a zero checkout", func(t *testing.T) {
		_, ref := h.paidSession(checkin("HOTEL-2"), cardApprove)
		h.action(ref, "checkout", usd(0)).want(t, http.StatusOK)
		wantFailed(t, h.action(ref, "checkout", usd(10)), http.StatusBadRequest, "request_not_valid", "")
	})
	t.Run("not a preauthorization", func(t *testing.T) {
		_, ref := h.paidSession(basicSession("ORDER-NP"), cardApprove)
		wantFailed(t, h.action(ref, "checkout", usd(10)), http.StatusBadRequest, "request_not_valid", "The [checkout] action is not supported for this session")
	})
}

func confirmSession(ref string) map[string]any {
	body := basicSession(ref)
	body["metadata"] = map[string]any{"requiresConfirmation": true}
	body["skipResult"] = true
	return body
}

func TestConfirmationFlow(t *testing.T) {
	t.Run("confirm", func(t *testing.T) {
		h := newHarness(t)
		id, ref := h.paidSession(confirmSession("ORDER-CF"), cardApprove)
		q := h.query(id)
		if got := status(q.Body, "status") + " " + status(q.Body, "payment", 0, "status"); got != "PENDING/PT PENDING_CONFIRMATION/PT" {
			t.Fatalf("before confirming: %s, want PENDING/PT PENDING_CONFIRMATION/PT", got)
		}
		r := h.action(ref, "confirm", nil).want(t, http.StatusOK)
		if got := status(r.Body, "status") + " " + status(r.Body, "payment", "status"); got != "APPROVED/00 APPROVED/00" {
			t.Errorf("confirm = %s", got)
		}
		if got := status(h.query(id).Body, "status"); got != "APPROVED/00" {
			t.Errorf("session after confirm = %s, want APPROVED/00", got)
		}
		if n, _, err := pp.VerifyNotification(h.notes.Next(t), testSecret); err != nil || n.Status.Status != "APPROVED" {
			t.Errorf("notification after confirm: %s, %v; want APPROVED", n.Status.Status, err)
		}
		wantFailed(t, h.action(ref, "confirm", nil), http.StatusBadRequest, "request_not_valid",
			"The [confirm] action is only available for transactions in a pending confirmation state")
	})
	t.Run("cancel", func(t *testing.T) {
		h := newHarness(t)
		id, ref := h.paidSession(confirmSession("ORDER-CC"), cardApprove)
		r := h.action(ref, "cancel", nil).want(t, http.StatusOK)
		if got := status(r.Body, "status") + " " + status(r.Body, "payment", "status"); got != "REJECTED/?C REJECTED/?C" {
			t.Errorf("cancel = %s, want REJECTED/?C", got)
		}
		if got := status(h.query(id).Body, "status"); got != "REJECTED/?C" {
			t.Errorf("session after cancel = %s, want REJECTED/?C", got)
		}
		if n, _, err := pp.VerifyNotification(h.notes.Next(t), testSecret); err != nil || n.Status.Status != "REJECTED" {
			t.Errorf("notification after cancel: %s, %v; want REJECTED", n.Status.Status, err)
		}
	})
	t.Run("window expired", func(t *testing.T) {
		h := newHarness(t, func(c *Config) { c.ConfirmWindow = 10 * time.Minute })
		id, ref := h.paidSession(confirmSession("ORDER-CE"), cardApprove)
		h.advance(10 * time.Minute)
		if got := status(h.query(id).Body, "status"); got != "REJECTED/EX" {
			t.Errorf("session after the window = %s, want REJECTED/EX", got)
		}
		wantFailed(t, h.action(ref, "confirm", nil), http.StatusBadRequest, "transaction_request_error", "The transaction has already expired")
	})
	t.Run("a session without confirmation", func(t *testing.T) {
		h := newHarness(t)
		_, ref := h.paidSession(basicSession("ORDER-NC"), cardApprove)
		wantFailed(t, h.action(ref, "confirm", nil), http.StatusBadRequest, "request_not_valid",
			"The [confirm] action is not supported for this session")
	})
}
