package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/placetopay-gateway/gateway/internal/placetopay"
	"github.com/placetopay-gateway/gateway/internal/placetopay/sandbox"
)

// refundJSON is a refund as the merchant API shows it.
type refundJSON struct {
	ID                       string    `json:"id"`
	OrderID                  string    `json:"orderId"`
	PaymentInternalReference int64     `json:"paymentInternalReference"`
	Amount                   moneyJSON `json:"amount"`
	Status                   string    `json:"status"`
	Reason                   string    `json:"reason"`
}

// approvedOrder creates an order of total, opens a session (body may be nil) and pays it
// with the approving card, then waits for want.
func (h *harness) approvedOrder(g *runningGateway, total string, body any, want string) (orderJSON, int64) {
	h.t.Helper()
	o := h.createOrder(g, total, "")
	code, raw := h.checkout(g, o.ID, body)
	if code != http.StatusCreated {
		h.t.Fatalf("checkout = %d %s", code, raw)
	}
	var s checkoutJSON
	h.decode(raw, &s)
	h.pay(s.RequestID, cardApprove)
	h.waitStatus(g, o.ID, want, 10*time.Second)
	return h.order(g, o.ID, false), s.RequestID
}

func (h *harness) refund(g *runningGateway, orderID string, body any) (int, refundJSON, problemJSON) {
	h.t.Helper()
	return postAnswer[refundJSON](h, g, "/v1/orders/"+orderID+"/refunds", body)
}

// postAnswer posts body to path on g and decodes the answer: an A when it succeeded, a
// problem otherwise.
func postAnswer[A any](h *harness, g *runningGateway, path string, body any) (int, A, problemJSON) {
	h.t.Helper()
	code, raw := h.call(g, http.MethodPost, path, body)
	var answer A
	var p problemJSON
	if code < 300 {
		h.decode(raw, &answer)
	} else {
		h.decode(raw, &p)
	}
	return code, answer, p
}

// queryAgain makes session requestID due, as a notification does, and waits until the
// probe has queried it and applied the answer. It may run outside the test's goroutine.
func (h *harness) queryAgain(requestID int64) error {
	ctx := context.Background()
	if _, err := h.db.Exec(ctx, `UPDATE checkout_sessions SET next_check_at = now(), last_checked_at = NULL WHERE request_id = $1`, requestID); err != nil {
		return err
	}
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		var done bool
		if err := h.db.QueryRow(ctx, `SELECT last_checked_at IS NOT NULL FROM checkout_sessions WHERE request_id = $1`, requestID).Scan(&done); err != nil {
			return err
		}
		if done {
			return nil
		}
	}
	return fmt.Errorf("session %d was not queried again within 10s", requestID)
}

func usd(total string) map[string]any {
	return map[string]any{"amount": map[string]string{"currency": "USD", "total": total}}
}

// TestMoneyPathRefunds: refunds through PlacetoPay's reverse, the local ledger, and every
// documented way one can go: full, partial up to the total, already refunded at PlacetoPay,
// an answer lost on the way back, concurrent requests.
func TestMoneyPathRefunds(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessConfig{probeInterval: 400 * time.Millisecond, proxy: true})
	g := h.gateways[0]

	t.Run("full refund, and the next query leaves the order refunded", func(t *testing.T) {
		o, requestID := h.approvedOrder(g, "20.00", nil, "paid")
		code, r, p := h.refund(g, o.ID, nil)
		if code != http.StatusCreated || r.Status != "succeeded" || r.Amount != (moneyJSON{"USD", "20.00"}) ||
			r.PaymentInternalReference != o.Payments[0].InternalReference || r.OrderID != o.ID {
			t.Fatalf("refund = %d %+v %+v, want 201 succeeded 20.00 USD of payment %d", code, r, p, o.Payments[0].InternalReference)
		}
		got := h.order(g, o.ID, false)
		if got.Status != "refunded" || got.RefundedAmount.Total != "20.00" || !got.Payments[0].Refunded ||
			got.Payments[0].RefundedAmount.Total != "20.00" || got.PaidAmount.Total != "20.00" {
			t.Fatalf("order after refund = %+v, want refunded 20.00 with its payment refunded", got)
		}
		var data struct {
			Refund struct {
				ID     string    `json:"id"`
				Amount moneyJSON `json:"amount"`
			} `json:"refund"`
			Status string `json:"status"`
		}
		var raw []byte
		if err := h.db.QueryRow(t.Context(), `SELECT data FROM events WHERE order_id = $1 AND type = 'order.refunded'`, o.ID).Scan(&raw); err != nil {
			t.Fatal(err)
		}
		_ = json.Unmarshal(raw, &data)
		if data.Refund.ID != r.ID || data.Refund.Amount.Total != "20.00" || data.Status != "refunded" {
			t.Errorf("order.refunded data = %s, want the refund and status refunded", raw)
		}

		// PlacetoPay's session stays APPROVED and now shows the payment refunded: a new query
		// must not send the order to review.
		if _, err := h.db.Exec(t.Context(), `UPDATE checkout_sessions SET next_check_at = now(), last_checked_at = NULL WHERE request_id = $1`, requestID); err != nil {
			t.Fatal(err)
		}
		// Applied, not failed: a failed apply is retried (next_check_at set) forever.
		h.waitDB("the session is queried again and the answer applied", 10*time.Second,
			`SELECT last_checked_at IS NOT NULL AND next_check_at IS NULL FROM checkout_sessions WHERE request_id = $1`, requestID)
		got = h.order(g, o.ID, false)
		if got.Status != "refunded" || h.transitionsTo(o.ID, "review") != 0 || got.PaidAmount.Total != "20.00" {
			t.Errorf("after a new query: %+v, %d review transitions; want refunded, paid 20.00, never review", got, h.transitionsTo(o.ID, "review"))
		}
		if !got.Payments[0].Refunded {
			t.Error("the query's refunded payment was not kept")
		}
	})

	t.Run("partial refunds up to the total, then 422", func(t *testing.T) {
		o, _ := h.approvedOrder(g, "30.00", nil, "paid")
		for i, step := range []struct{ amount, status, refunded string }{
			{"10.00", "partially_refunded", "10.00"},
			{"15.00", "partially_refunded", "25.00"},
		} {
			code, r, p := h.refund(g, o.ID, usd(step.amount))
			if code != http.StatusCreated || r.Status != "succeeded" || r.Amount.Total != step.amount {
				t.Fatalf("refund %d of %s = %d %+v %+v", i, step.amount, code, r, p)
			}
			if got := h.order(g, o.ID, false); got.Status != step.status || got.RefundedAmount.Total != step.refunded {
				t.Fatalf("after refund %d: %s refunded %s, want %s %s", i, got.Status, got.RefundedAmount.Total, step.status, step.refunded)
			}
		}
		code, _, p := h.refund(g, o.ID, usd("5.01"))
		if code != http.StatusUnprocessableEntity || p.Code != "invalid" {
			t.Errorf("refund above what is left = %d %+v, want 422", code, p)
		}
		code, _, p = h.refund(g, o.ID, map[string]any{"amount": map[string]string{"currency": "EUR", "total": "1.00"}})
		if code != http.StatusUnprocessableEntity {
			t.Errorf("refund in another currency = %d %+v, want 422", code, p)
		}
		code, _, p = h.refund(g, o.ID, usd("0"))
		if code != http.StatusUnprocessableEntity {
			t.Errorf("refund of zero = %d %+v, want 422", code, p)
		}
		if code, r, p := h.refund(g, o.ID, usd("5.00")); code != http.StatusCreated || r.Status != "succeeded" {
			t.Fatalf("last refund = %d %+v %+v", code, r, p)
		}
		got := h.order(g, o.ID, false)
		if got.Status != "refunded" || got.RefundedAmount.Total != "30.00" {
			t.Errorf("after refunds of the whole total: %+v", got)
		}
		if code, _, p := h.refund(g, o.ID, nil); code != http.StatusConflict {
			t.Errorf("refund of a refunded order = %d %+v, want 409", code, p)
		}
		if n := h.eventsOf(o.ID, "order.refunded"); n != 3 {
			t.Errorf("%d order.refunded events, want 3 (one per refund)", n)
		}
		code, raw := h.call(g, http.MethodGet, "/v1/orders/"+o.ID+"/refunds", nil)
		var list struct {
			Data []refundJSON `json:"data"`
		}
		h.decode(raw, &list)
		if code != http.StatusOK || len(list.Data) != 3 || list.Data[0].Amount.Total != "10.00" || list.Data[2].Amount.Total != "5.00" {
			t.Errorf("GET refunds = %d %s, want the three refunds oldest first", code, raw)
		}
		for _, r := range list.Data {
			if r.Status != "succeeded" || r.PaymentInternalReference != o.Payments[0].InternalReference {
				t.Errorf("listed refund %+v, want succeeded on payment %d", r, o.Payments[0].InternalReference)
			}
		}
	})

	t.Run("bad refund requests are refused and change nothing", func(t *testing.T) {
		o, _ := h.approvedOrder(g, "11.00", nil, "paid")
		for _, c := range []struct {
			body any
			code int
		}{
			{map[string]any{"amount": "10.00"}, http.StatusBadRequest},
			{map[string]any{"total": "10.00"}, http.StatusBadRequest},
			{map[string]any{"amount": map[string]string{"currency": "USD", "total": "1.001"}}, http.StatusUnprocessableEntity},
			{map[string]any{"amount": map[string]string{"currency": "USD", "total": "-1.00"}}, http.StatusUnprocessableEntity},
			{map[string]any{"amount": map[string]string{"currency": "USD"}}, http.StatusUnprocessableEntity},
			{usd("11.01"), http.StatusUnprocessableEntity},
		} {
			if code, _, p := h.refund(g, o.ID, c.body); code != c.code {
				t.Errorf("refund %v = %d %+v, want %d", c.body, code, p, c.code)
			}
		}
		if n := h.count(`SELECT count(*) FROM refunds WHERE order_id = $1`, o.ID); n != 0 {
			t.Errorf("%d refunds recorded for refused requests", n)
		}
		if code, _, p := h.refund(g, "01a20a7f-cfe1-7181-acfe-359475a9eb0b", nil); code != http.StatusNotFound {
			t.Errorf("refund of an unknown order = %d %+v, want 404", code, p)
		}
		if got := h.order(g, o.ID, false); got.Status != "paid" || got.RefundedAmount.Total != "0.00" {
			t.Errorf("after refused requests: %+v", got)
		}
	})

	t.Run("refund of an unpaid order is 409", func(t *testing.T) {
		o := h.createOrder(g, "9.00", "")
		if code, _, p := h.refund(g, o.ID, nil); code != http.StatusConflict {
			t.Errorf("refund of a pending order = %d %+v, want 409", code, p)
		}
	})

	t.Run("already refunded at PlacetoPay is matched, not a failure", func(t *testing.T) {
		o, _ := h.approvedOrder(g, "12.00", nil, "paid")
		client := h.placetopayClient()
		// Refunded in PlacetoPay's console, behind the gateway's back.
		if _, err := client.TransactionAction(t.Context(), placetopay.TransactionRequest{
			InternalReference: placetopay.Int64(o.Payments[0].InternalReference), Action: placetopay.ActionReverse,
		}); err != nil {
			t.Fatal(err)
		}
		code, r, p := h.refund(g, o.ID, nil)
		if code != http.StatusCreated || r.Status != "succeeded" || r.Reason != "already_refunded" || r.Amount.Total != "12.00" {
			t.Fatalf("refund = %d %+v %+v, want 201 succeeded already_refunded 12.00", code, r, p)
		}
		if got := h.order(g, o.ID, false); got.Status != "refunded" || got.RefundedAmount.Total != "12.00" {
			t.Errorf("order = %+v, want refunded 12.00", got)
		}
	})

	t.Run("a lost answer leaves the refund unknown until a query resolves it", func(t *testing.T) {
		o, _ := h.approvedOrder(g, "40.00", nil, "paid")
		h.proxy.loseAnswers(func(path string) bool { return path == "/api/transaction" })
		code, r, p := h.refund(g, o.ID, nil)
		h.proxy.loseAnswers(nil)
		if code != http.StatusAccepted || r.Status != "unknown" {
			t.Fatalf("refund with a lost answer = %d %+v %+v, want 202 unknown", code, r, p)
		}
		// Never retried blindly: while it is unknown, another refund is refused.
		if code, _, p := h.refund(g, o.ID, usd("1.00")); code != http.StatusConflict {
			t.Errorf("refund while one is unknown = %d %+v, want 409", code, p)
		}
		h.waitDB("the unknown refund is resolved", 10*time.Second,
			`SELECT status = 'succeeded' FROM refunds WHERE id = $1`, r.ID)
		got := h.order(g, o.ID, false)
		if got.Status != "refunded" || got.RefundedAmount.Total != "40.00" {
			t.Errorf("order after resolution = %+v, want refunded 40.00", got)
		}
		if n := h.count(`SELECT count(*) FROM refunds WHERE order_id = $1`, o.ID); n != 2 && n != 1 {
			t.Errorf("%d refund rows", n)
		}
		if n := h.count(`SELECT count(*) FROM refunds WHERE order_id = $1 AND status = 'succeeded'`, o.ID); n != 1 {
			t.Errorf("%d succeeded refunds, want exactly 1", n)
		}
	})

	t.Run("a partial refund with a lost answer stays unknown and blocks the next", func(t *testing.T) {
		o, _ := h.approvedOrder(g, "50.00", nil, "paid")
		h.proxy.loseAnswers(func(path string) bool { return path == "/api/transaction" })
		code, r, p := h.refund(g, o.ID, usd("10.00"))
		h.proxy.loseAnswers(nil)
		if code != http.StatusAccepted || r.Status != "unknown" {
			t.Fatalf("refund with a lost answer = %d %+v %+v, want 202 unknown", code, r, p)
		}
		// PlacetoPay's session cannot show a partial refund: the probe looks, and leaves it.
		h.waitDB("the probe looked at the unknown refund", 10*time.Second,
			`SELECT next_check_at > now() + interval '2 seconds' FROM refunds WHERE id = $1`, r.ID)
		if code, _, p := h.refund(g, o.ID, usd("1.00")); code != http.StatusConflict {
			t.Errorf("refund while one is unknown = %d %+v, want 409", code, p)
		}
		got := h.order(g, o.ID, false)
		if got.Status != "paid" || got.RefundedAmount.Total != "0.00" ||
			h.count(`SELECT count(*) FROM refunds WHERE id = $1 AND status = 'unknown'`, r.ID) != 1 {
			t.Errorf("after an unresolvable partial refund: %+v; want paid, nothing refunded, the refund unknown", got)
		}
	})

	t.Run("a refund PlacetoPay refuses fails and changes nothing", func(t *testing.T) {
		o, _ := h.approvedOrder(g, "10.00", nil, "paid")
		client := h.placetopayClient()
		// 5.00 refunded in PlacetoPay's console: PlacetoPay refuses 8.00 more.
		if _, err := client.TransactionAction(t.Context(), placetopay.TransactionRequest{
			InternalReference: placetopay.Int64(o.Payments[0].InternalReference), Action: placetopay.ActionReverse,
			Amount: &placetopay.Amount{Currency: "USD", Total: "5.00"},
		}); err != nil {
			t.Fatal(err)
		}
		before := h.count(`SELECT count(*) FROM events WHERE order_id = $1`, o.ID)
		code, _, p := h.refund(g, o.ID, usd("8.00"))
		if code != http.StatusUnprocessableEntity || p.Code != "invalid" {
			t.Fatalf("refused refund = %d %+v, want 422", code, p)
		}
		got := h.order(g, o.ID, false)
		if got.Status != "paid" || got.RefundedAmount.Total != "0.00" || got.Payments[0].RefundedAmount.Total != "0.00" ||
			h.count(`SELECT count(*) FROM events WHERE order_id = $1`, o.ID) != before {
			t.Errorf("after a refused refund: %+v; want nothing changed", got)
		}
		if n := h.count(`SELECT count(*) FROM refunds WHERE order_id = $1 AND status = 'failed'`, o.ID); n != 1 {
			t.Errorf("%d failed refunds in the ledger, want 1", n)
		}
		// A full refund now takes what PlacetoPay had left, and the ledger records that.
		code, r, p := h.refund(g, o.ID, nil)
		if code != http.StatusCreated || r.Amount.Total != "5.00" {
			t.Errorf("full refund after a console refund = %d %+v %+v, want 5.00 recorded", code, r, p)
		}
	})

	t.Run("concurrent refunds never pass what was paid", func(t *testing.T) {
		o, _ := h.approvedOrder(g, "100.00", nil, "paid")
		const n = 8
		codes := make([]int, n)
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := range n {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				<-start
				codes[i], _, _ = h.refund(g, o.ID, usd("30.00"))
			}(i)
		}
		close(start)
		wg.Wait()
		// Then one after the other until refused.
		for range 5 {
			code, _, _ := h.refund(g, o.ID, usd("30.00"))
			codes = append(codes, code)
		}
		ok := 0
		for _, c := range codes {
			switch c {
			case http.StatusCreated:
				ok++
			case http.StatusConflict, http.StatusUnprocessableEntity:
			default:
				t.Errorf("refund answered %d", c)
			}
		}
		got := h.order(g, o.ID, false)
		if ok != 3 || got.RefundedAmount.Total != "90.00" || got.Status != "partially_refunded" {
			t.Errorf("%d refunds succeeded, order %+v; want 3 and 90.00 refunded (codes %v)", ok, got, codes)
		}
		if sum := h.count(`SELECT coalesce(sum(amount_minor), 0) FROM refunds WHERE order_id = $1 AND status = 'succeeded'`, o.ID); sum != 9000 {
			t.Errorf("ledger holds %d minor units refunded, want 9000", sum)
		}
	})
}

// TestMoneyPathPreauthorization: capture, reauthorize and release of a checkin.
func TestMoneyPathPreauthorization(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessConfig{probeInterval: 400 * time.Millisecond, proxy: true})
	g := h.gateways[0]
	checkin := map[string]any{"type": "checkin"}
	post := func(path string, body any) (int, orderJSON, problemJSON) {
		t.Helper()
		return postAnswer[orderJSON](h, g, path, body)
	}

	t.Run("capture in another currency is 422 and changes nothing; capture of less is paid", func(t *testing.T) {
		o, _ := h.approvedOrder(g, "100.00", checkin, "authorized")
		code, _, p := post("/v1/orders/"+o.ID+"/capture", map[string]any{"amount": map[string]string{"currency": "EUR", "total": "80.00"}})
		if code != http.StatusUnprocessableEntity || p.Code != "invalid" {
			t.Fatalf("capture in EUR = %d %+v, want 422", code, p)
		}
		if got := h.order(g, o.ID, false); got.Status != "authorized" || got.PaidAmount.Total != "0.00" {
			t.Fatalf("after a refused capture: %+v", got)
		}
		if n := h.count(`SELECT count(*) FROM preauth_actions WHERE order_id = $1`, o.ID); n != 0 {
			t.Errorf("%d preauthorization actions recorded for a refused request", n)
		}
		before, _ := value(scrape(t, g.admin), "gateway_approved_amount_minor_total", map[string]string{"currency": "USD"})
		code, got, p := post("/v1/orders/"+o.ID+"/capture", usd("80.00"))
		if code != http.StatusOK || got.Status != "paid" || got.PaidAmount.Total != "80.00" {
			t.Fatalf("capture of 80.00 = %d %+v %+v, want 200 paid 80.00", code, got, p)
		}
		if after, _ := value(scrape(t, g.admin), "gateway_approved_amount_minor_total", map[string]string{"currency": "USD"}); after-before != 8000 {
			t.Errorf("gateway_approved_amount_minor_total{currency=\"USD\"} grew by %v with the capture, want 8000", after-before)
		}
		var data struct {
			PaidAmount moneyJSON `json:"paidAmount"`
			Capture    struct {
				InternalReference int64     `json:"internalReference"`
				Amount            moneyJSON `json:"amount"`
			} `json:"capture"`
		}
		var raw []byte
		if err := h.db.QueryRow(t.Context(), `SELECT data FROM events WHERE order_id = $1 AND type = 'order.paid'`, o.ID).Scan(&raw); err != nil {
			t.Fatalf("order.paid event: %v", err)
		}
		_ = json.Unmarshal(raw, &data)
		if data.PaidAmount.Total != "80.00" || data.Capture.Amount.Total != "80.00" || data.Capture.InternalReference == 0 {
			t.Errorf("order.paid data = %s, want paidAmount and capture of 80.00", raw)
		}
		if n := h.count(`SELECT count(*) FROM order_timeline WHERE order_id = $1 AND kind = 'transition' AND to_status = 'paid' AND message LIKE 'captured 80.00 USD of an order of 100.00 USD%'`, o.ID); n != 1 {
			t.Error("the timeline does not say the capture differs from the order's total")
		}
		// The captured payment can be refunded.
		if code, r, p := h.refund(g, o.ID, usd("30.00")); code != http.StatusCreated || r.Status != "succeeded" {
			t.Errorf("refund of a captured order = %d %+v %+v", code, r, p)
		}
		if got := h.order(g, o.ID, false); got.Status != "partially_refunded" || got.RefundedAmount.Total != "30.00" {
			t.Errorf("after a refund of the capture: %+v", got)
		}
		if code, _, p := post("/v1/orders/"+o.ID+"/capture", nil); code != http.StatusConflict {
			t.Errorf("second capture = %d %+v, want 409", code, p)
		}
	})

	t.Run("reauthorize then capture the new hold", func(t *testing.T) {
		o, _ := h.approvedOrder(g, "50.00", checkin, "authorized")
		if code, _, p := post("/v1/orders/"+o.ID+"/reauthorize", nil); code != http.StatusBadRequest && code != http.StatusUnprocessableEntity {
			t.Errorf("reauthorize without an amount = %d %+v, want 400 or 422", code, p)
		}
		code, got, p := post("/v1/orders/"+o.ID+"/reauthorize", usd("65.00"))
		if code != http.StatusOK || got.Status != "authorized" {
			t.Fatalf("reauthorize = %d %+v %+v", code, got, p)
		}
		code, got, p = post("/v1/orders/"+o.ID+"/capture", nil)
		if code != http.StatusOK || got.Status != "paid" || got.PaidAmount.Total != "65.00" {
			t.Fatalf("capture of the new hold = %d %+v %+v, want paid 65.00", code, got, p)
		}
	})

	t.Run("a reauthorization the session query lists is not a second payment", func(t *testing.T) {
		o, requestID := h.approvedOrder(g, "40.00", checkin, "authorized")
		if code, got, p := post("/v1/orders/"+o.ID+"/reauthorize", usd("45.00")); code != http.StatusOK || got.Status != "authorized" {
			t.Fatalf("reauthorize = %d %+v %+v", code, got, p)
		}
		// The checkin session is queried again: PlacetoPay lists the reauthorization's transaction.
		if _, err := h.db.Exec(t.Context(), `UPDATE checkout_sessions SET next_check_at = now(), last_checked_at = NULL WHERE request_id = $1`, requestID); err != nil {
			t.Fatal(err)
		}
		h.waitDB("the session is queried again", 10*time.Second,
			`SELECT last_checked_at IS NOT NULL FROM checkout_sessions WHERE request_id = $1`, requestID)
		if n := len(h.sandboxSession(requestID).Payments); n != 2 {
			t.Fatalf("the sandbox lists %d transactions of the checkin session, want the hold and the reauthorization", n)
		}
		if got := h.order(g, o.ID, false); got.Status != "authorized" || h.transitionsTo(o.ID, "review") != 0 {
			t.Fatalf("after a query listing the reauthorization: %s, want authorized and never review", got.Status)
		}
		code, got, p := post("/v1/orders/"+o.ID+"/capture", nil)
		if code != http.StatusOK || got.Status != "paid" || got.PaidAmount.Total != "45.00" {
			t.Errorf("capture of the reauthorized hold = %d %+v %+v, want paid 45.00", code, got, p)
		}
	})

	t.Run("a capture above the order's amount moves the amount, said so", func(t *testing.T) {
		o, _ := h.approvedOrder(g, "10.00", checkin, "authorized")
		if code, got, p := post("/v1/orders/"+o.ID+"/reauthorize", usd("50.00")); code != http.StatusOK || got.Status != "authorized" {
			t.Fatalf("reauthorize to 50.00 = %d %+v %+v", code, got, p)
		}
		code, got, p := post("/v1/orders/"+o.ID+"/capture", usd("50.00"))
		if code != http.StatusOK || got.Status != "paid" {
			t.Fatalf("capture of 50.00 = %d %+v %+v, want paid", code, got, p)
		}
		if got.Amount.Total != "50.00" || got.PaidAmount.Total != "50.00" {
			t.Errorf("after the capture: amount %s paid %s, want the amount to follow the capture (50.00 and 50.00)", got.Amount.Total, got.PaidAmount.Total)
		}
		var data struct {
			Amount  moneyJSON `json:"amount"`
			Capture struct {
				Amount         moneyJSON `json:"amount"`
				PreviousAmount moneyJSON `json:"previousAmount"`
			} `json:"capture"`
		}
		var raw []byte
		if err := h.db.QueryRow(t.Context(), `SELECT data FROM events WHERE order_id = $1 AND type = 'order.paid'`, o.ID).Scan(&raw); err != nil {
			t.Fatalf("order.paid event: %v", err)
		}
		_ = json.Unmarshal(raw, &data)
		if data.Amount.Total != "50.00" || data.Capture.Amount.Total != "50.00" || data.Capture.PreviousAmount.Total != "10.00" {
			t.Errorf("order.paid data = %s, want amount and capture of 50.00 and the previous amount 10.00", raw)
		}
		if n := h.count(`SELECT count(*) FROM order_timeline WHERE order_id = $1 AND message LIKE '%the order''s amount is now 50.00 USD%'`, o.ID); n != 1 {
			t.Error("the timeline does not say the order's amount followed the capture")
		}
	})

	t.Run("release cancels the order", func(t *testing.T) {
		o, requestID := h.approvedOrder(g, "70.00", checkin, "authorized")
		code, got, p := post("/v1/orders/"+o.ID+"/release", nil)
		if code != http.StatusOK || got.Status != "cancelled" || got.PaidAmount.Total != "0.00" {
			t.Fatalf("release = %d %+v %+v, want cancelled", code, got, p)
		}
		// A new query of the (still APPROVED) checkin session changes nothing.
		if _, err := h.db.Exec(t.Context(), `UPDATE checkout_sessions SET next_check_at = now(), last_checked_at = NULL WHERE request_id = $1`, requestID); err != nil {
			t.Fatal(err)
		}
		h.waitDB("the session is queried again and the answer applied", 10*time.Second,
			`SELECT last_checked_at IS NOT NULL AND next_check_at IS NULL FROM checkout_sessions WHERE request_id = $1`, requestID)
		if got := h.order(g, o.ID, false); got.Status != "cancelled" || h.transitionsTo(o.ID, "review") != 0 {
			t.Errorf("after a new query: %+v", got)
		}
	})

	t.Run("a capture whose answer is lost is never sent again", func(t *testing.T) {
		o, _ := h.approvedOrder(g, "35.00", checkin, "authorized")
		h.proxy.loseAnswers(func(path string) bool { return path == "/api/transaction" })
		code, _, p := post("/v1/orders/"+o.ID+"/capture", nil)
		h.proxy.loseAnswers(nil)
		if code != http.StatusBadGateway {
			t.Fatalf("capture with a lost answer = %d %+v, want 502", code, p)
		}
		if code, _, p := post("/v1/orders/"+o.ID+"/capture", nil); code != http.StatusConflict {
			t.Errorf("capture again while the first is unknown = %d %+v, want 409", code, p)
		}
		if got := h.order(g, o.ID, false); got.Status != "authorized" ||
			h.count(`SELECT count(*) FROM preauth_actions WHERE order_id = $1 AND status = 'unknown'`, o.ID) != 1 {
			t.Errorf("after an unknown capture: %+v; want authorized with one unknown action", got)
		}
	})

	t.Run("a session query that lists the capture before it is recorded changes nothing", func(t *testing.T) {
		o, requestID := h.approvedOrder(g, "100.00", checkin, "authorized")
		var mu sync.Mutex
		var captured map[string]any
		refreshed := make(chan error, 1)
		sessionPath := fmt.Sprintf("/api/session/%d", requestID)
		h.proxy.onAnswer(func(path string, doc map[string]any) {
			switch path {
			case "/api/transaction":
				mu.Lock()
				captured, _ = doc["payment"].(map[string]any)
				mu.Unlock()
				// A notification makes the session due between PlacetoPay's answer and the
				// gateway recording it; the probe queries it, and the query lists the capture.
				refreshed <- h.queryAgain(requestID)
			case sessionPath:
				mu.Lock()
				c := captured
				mu.Unlock()
				if c != nil {
					list, _ := doc["payment"].([]any)
					doc["payment"] = append([]any{c}, list...)
				}
			}
		})
		code, got, p := post("/v1/orders/"+o.ID+"/capture", usd("80.00"))
		if err := <-refreshed; err != nil {
			t.Errorf("query of the session during the capture: %v", err)
		}
		// Later queries list the capture too.
		if err := h.queryAgain(requestID); err != nil {
			t.Error(err)
		}
		h.proxy.onAnswer(nil)
		if code != http.StatusOK || got.Status != "paid" || got.PaidAmount.Total != "80.00" {
			t.Fatalf("capture = %d %+v %+v, want paid 80.00", code, got, p)
		}
		if n := h.transitionsTo(o.ID, "review"); n != 0 {
			t.Errorf("%d transitions to review for a capture the query saw first", n)
		}
		if n := h.count(`SELECT count(*) FROM payments WHERE order_id = $1 AND kind = 'payment' AND parent_id IS NOT NULL AND amount_minor = 8000`, o.ID); n != 1 {
			t.Errorf("%d capture payments of 80.00 linked to their checkin, want 1", n)
		}
		if code, r, p := h.refund(g, o.ID, usd("30.00")); code != http.StatusCreated || r.Status != "succeeded" {
			t.Errorf("refund of the capture = %d %+v %+v", code, r, p)
		}
		if got := h.order(g, o.ID, false); got.Status != "partially_refunded" {
			t.Errorf("after a refund of the capture: %+v", got)
		}
	})

	t.Run("a capture answered without a new transaction leaves the checkin refundable up to the capture", func(t *testing.T) {
		o, _ := h.approvedOrder(g, "100.00", checkin, "authorized")
		h.proxy.onAnswer(func(path string, doc map[string]any) {
			if path == "/api/transaction" {
				delete(doc, "payment")
			}
		})
		code, got, p := post("/v1/orders/"+o.ID+"/capture", usd("80.00"))
		h.proxy.onAnswer(nil)
		if code != http.StatusOK || got.Status != "paid" || got.PaidAmount.Total != "80.00" {
			t.Fatalf("capture = %d %+v %+v, want paid 80.00", code, got, p)
		}
		if n := h.count(`SELECT count(*) FROM payments WHERE order_id = $1 AND settled = 'captured' AND kind = 'payment' AND amount_minor = 8000 AND held_minor = 10000`, o.ID); n != 1 {
			t.Errorf("the captured checkin is not a payment of 80.00 (held 100.00)")
		}
		// A refund above the capture is refused by the gateway; one within it reaches
		// PlacetoPay. (The sandbox always makes a capture a transaction of its own, so it
		// refuses to reverse the checkin: the refund fails there, and nothing is recorded.)
		if code, _, p := h.refund(g, o.ID, usd("90.00")); code != http.StatusUnprocessableEntity {
			t.Errorf("refund above the capture = %d %+v, want 422", code, p)
		}
		code, r, p := h.refund(g, o.ID, usd("30.00"))
		t.Logf("refund of the captured checkin: %d %s", code, p.Detail)
		if code == http.StatusCreated {
			if r.Status != "succeeded" {
				t.Errorf("refund = %+v", r)
			}
		} else if code != http.StatusUnprocessableEntity || !strings.Contains(p.Detail, "PlacetoPay") {
			t.Errorf("refund within the capture = %d %+v, want it sent to PlacetoPay", code, p)
		}
		if n := h.count(`SELECT count(*) FROM refunds WHERE order_id = $1`, o.ID); n != 1 {
			t.Errorf("%d refund rows, want the one sent to PlacetoPay", n)
		}
	})

	t.Run("an order that is not authorized is 409", func(t *testing.T) {
		o, _ := h.approvedOrder(g, "10.00", nil, "paid")
		for _, action := range []string{"capture", "release"} {
			if code, _, p := post("/v1/orders/"+o.ID+"/"+action, nil); code != http.StatusConflict {
				t.Errorf("%s of a paid order = %d %+v, want 409", action, code, p)
			}
		}
		if code, _, p := post("/v1/orders/"+o.ID+"/reauthorize", usd("10.00")); code != http.StatusConflict {
			t.Errorf("reauthorize of a paid order = %d %+v, want 409", code, p)
		}
	})
}

// TestMoneyPathConfirmation: the confirmation flow, confirmed, cancelled, and too late.
func TestMoneyPathConfirmation(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessConfig{probeInterval: 400 * time.Millisecond, sandbox: sandbox.Config{ConfirmWindow: 2 * time.Minute}, proxy: true, instances: 2})
	g := h.gateways[0]
	confirmable := func(total string) (orderJSON, int64) {
		t.Helper()
		o := h.createOrder(g, total, "")
		code, raw := h.checkout(g, o.ID, map[string]any{"requiresConfirmation": true})
		if code != http.StatusCreated {
			t.Fatalf("checkout = %d %s", code, raw)
		}
		var s checkoutJSON
		h.decode(raw, &s)
		h.pay(s.RequestID, cardApprove)
		h.waitDB("the payment awaits confirmation", 10*time.Second,
			`SELECT count(*) = 1 FROM payments WHERE order_id = $1 AND status = 'PENDING_CONFIRMATION'`, o.ID)
		got := h.order(g, o.ID, false)
		if got.Status != "pending" {
			t.Fatalf("an order awaiting confirmation is %s, want pending", got.Status)
		}
		return got, s.RequestID
	}
	actOn := func(g *runningGateway, o orderJSON, action string) (int, orderJSON, problemJSON) {
		path := fmt.Sprintf("/v1/orders/%s/payments/%d/%s", o.ID, o.Payments[0].InternalReference, action)
		return postAnswer[orderJSON](h, g, path, nil)
	}
	act := func(o orderJSON, action string) (int, orderJSON, problemJSON) {
		t.Helper()
		return actOn(g, o, action)
	}

	t.Run("a confirm and a cancel at once on two replicas: one reaches PlacetoPay, the other is 409", func(t *testing.T) {
		o, _ := confirmable("28.00")
		before := h.proxy.transactions.Load()
		codes := make([]int, 2)
		var wg sync.WaitGroup
		for i, action := range []string{"confirm", "cancel"} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				codes[i], _, _ = actOn(h.gateways[i], o, action)
			}()
		}
		wg.Wait()
		if n := h.proxy.transactions.Load() - before; n != 1 {
			t.Errorf("%d transaction actions reached PlacetoPay, want 1", n)
		}
		ok, conflict := 0, 0
		for _, c := range codes {
			switch c {
			case http.StatusOK:
				ok++
			case http.StatusConflict:
				conflict++
			}
		}
		if ok != 1 || conflict != 1 {
			t.Errorf("answers = %v, want one 200 and one 409", codes)
		}
		if n := h.count(`SELECT count(*) FROM confirm_actions WHERE order_id = $1 AND status = 'succeeded'`, o.ID); n != 1 {
			t.Errorf("%d succeeded confirmation actions, want 1", n)
		}
		if got := h.order(g, o.ID, false); got.Status != "paid" && got.Status != "failed" {
			t.Errorf("order = %s, want paid or failed", got.Status)
		}
	})

	t.Run("a confirm whose answer is lost is settled by the session query and never sent again", func(t *testing.T) {
		o, _ := confirmable("29.00")
		h.proxy.loseAnswers(func(path string) bool { return path == "/api/transaction" })
		code, got, p := act(o, "confirm")
		h.proxy.loseAnswers(nil)
		if code != http.StatusOK || got.Status != "paid" {
			t.Fatalf("confirm with a lost answer = %d %+v %+v, want paid from the query", code, got, p)
		}
		if n := h.count(`SELECT count(*) FROM confirm_actions WHERE order_id = $1 AND action = 'confirm' AND status = 'succeeded' AND reason = 'resolved_by_query'`, o.ID); n != 1 {
			t.Errorf("the lost confirm is not recorded as resolved by the query")
		}
		before := h.proxy.transactions.Load()
		if code, _, p := act(o, "cancel"); code != http.StatusConflict {
			t.Errorf("cancel after the confirm = %d %+v, want 409", code, p)
		}
		if n := h.proxy.transactions.Load() - before; n != 0 {
			t.Errorf("%d transaction actions sent after the confirm, want 0", n)
		}
	})

	t.Run("a confirm whose answer is lost and that the query does not show yet stays unknown, never sent again", func(t *testing.T) {
		o, requestID := confirmable("31.00")
		sessionPath := fmt.Sprintf("/api/session/%d", requestID)
		// The query still shows the payment awaiting confirmation (PlacetoPay is behind).
		h.proxy.onAnswer(func(path string, doc map[string]any) {
			if path != sessionPath {
				return
			}
			if st, ok := doc["status"].(map[string]any); ok {
				st["status"] = "PENDING"
			}
			list, _ := doc["payment"].([]any)
			for _, item := range list {
				if st, ok := item.(map[string]any)["status"].(map[string]any); ok {
					st["status"] = "PENDING_CONFIRMATION"
				}
			}
		})
		h.proxy.loseAnswers(func(path string) bool { return path == "/api/transaction" })
		code, _, p := act(o, "confirm")
		h.proxy.loseAnswers(nil)
		if code != http.StatusBadGateway && code != http.StatusServiceUnavailable {
			t.Errorf("confirm with a lost answer and no news = %d %+v, want 502/503", code, p)
		}
		before := h.proxy.transactions.Load()
		if code, _, p := act(o, "cancel"); code != http.StatusConflict {
			t.Errorf("cancel while the confirm is unknown = %d %+v, want 409", code, p)
		}
		if n := h.proxy.transactions.Load() - before; n != 0 {
			t.Errorf("%d transaction actions sent while one is unknown, want 0", n)
		}
		if n := h.count(`SELECT count(*) FROM confirm_actions WHERE order_id = $1 AND status = 'unknown'`, o.ID); n != 1 {
			t.Errorf("%d unknown confirmation actions, want 1", n)
		}
		// PlacetoPay's query catches up: the order is paid and the action settled.
		h.proxy.onAnswer(nil)
		h.waitStatus(g, o.ID, "paid", 10*time.Second)
		if code, _, p := act(o, "confirm"); code != http.StatusConflict {
			t.Errorf("confirm once paid = %d %+v, want 409", code, p)
		}
		if n := h.count(`SELECT count(*) FROM confirm_actions WHERE order_id = $1 AND status = 'succeeded' AND reason = 'resolved_by_query'`, o.ID); n != 1 {
			t.Errorf("the unknown confirm was not settled by the query")
		}
	})

	t.Run("confirm makes the order paid through the query", func(t *testing.T) {
		o, _ := confirmable("25.00")
		code, got, p := act(o, "confirm")
		if code != http.StatusOK || got.Status != "paid" || got.PaidAmount.Total != "25.00" {
			t.Fatalf("confirm = %d %+v %+v, want paid", code, got, p)
		}
		if code, _, p := act(o, "confirm"); code != http.StatusConflict {
			t.Errorf("second confirm = %d %+v, want 409", code, p)
		}
	})

	t.Run("cancel rejects the payment", func(t *testing.T) {
		o, _ := confirmable("26.00")
		code, got, p := act(o, "cancel")
		if code != http.StatusOK || got.Status != "failed" || got.Payments[0].Status != "REJECTED" {
			t.Fatalf("cancel = %d %+v %+v, want failed with the payment rejected", code, got, p)
		}
	})

	t.Run("confirm after the window is a clear 409", func(t *testing.T) {
		o, _ := confirmable("27.00")
		h.advance(3 * time.Minute)
		code, _, p := act(o, "confirm")
		if code != http.StatusConflict || p.Detail == "" {
			t.Fatalf("confirm after the window = %d %+v, want 409 with a reason", code, p)
		}
		t.Logf("confirm after the window: %s", p.Detail)
		if got := h.order(g, o.ID, false); got.Status == "paid" {
			t.Errorf("an expired confirmation made the order paid")
		}
	})
}
