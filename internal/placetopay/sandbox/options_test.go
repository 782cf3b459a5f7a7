package sandbox

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"testing"

	pp "github.com/placetopay-gateway/gateway/internal/placetopay"
)

func TestDispersion(t *testing.T) {
	h := newHarness(t)
	dispersed := func(parts ...map[string]any) map[string]any {
		body := basicSession("DISP")
		body["payment"].(map[string]any)["dispersion"] = parts
		return body
	}
	part := func(agreement any, typ string, total float64) map[string]any {
		p := map[string]any{"agreementType": typ, "amount": map[string]any{"currency": "USD", "total": total}}
		if agreement != nil {
			p["agreement"] = agreement
		}
		return p
	}

	t.Run("refused", func(t *testing.T) {
		for name, body := range map[string]map[string]any{
			"not adding up":     dispersed(part("1299", "MERCHANT", 60), part(nil, "MERCHANT", 40)),
			"another currency":  dispersed(map[string]any{"agreementType": "MERCHANT", "amount": map[string]any{"currency": "COP", "total": 100.50}}),
			"no agreement type": dispersed(map[string]any{"amount": map[string]any{"currency": "USD", "total": 100.50}}),
			"partial": func() map[string]any {
				b := dispersed(part(nil, "MERCHANT", 100.50))
				b["payment"].(map[string]any)["allowPartial"] = true
				return b
			}(),
			"checkin": func() map[string]any {
				b := dispersed(part(nil, "MERCHANT", 100.50))
				b["type"] = "checkin"
				return b
			}(),
		} {
			r := h.api("/api/session", body).want(t, http.StatusBadRequest)
			if got := status(r.Body, "status"); got != "FAILED/request_not_valid" {
				t.Errorf("%s: %s, want FAILED/request_not_valid", name, got)
			}
		}
	})

	t.Run("echoed and paid in parts per destination", func(t *testing.T) {
		id, _ := h.create(dispersed(part(1299, "MERCHANT", 60.25), part(30, "AIRLINE", 40.25)))
		h.pay(id, cardApprove).want(t, http.StatusOK)
		q := h.query(id) // checked against the OpenAPI document
		if got := status(q.Body, "status"); got != "APPROVED/00" {
			t.Fatalf("session %s", got)
		}
		if got := str(q.Body, "request", "payment", "dispersion", 1, "agreementType"); got != "AIRLINE" {
			t.Errorf("echoed dispersion[1].agreementType = %q", got)
		}
		parent := str(q.Body, "payment", 0, "internalReference")
		for i, want := range []struct{ agreement, typ, total string }{{"1299", "MERCHANT", "60.25"}, {"30", "AIRLINE", "40.25"}} {
			d := get(q.Body, "payment", 0, "dispersion", i)
			if got := fmt.Sprintf("%s %s %s %s", str(d, "agreement"), str(d, "agreementType"), str(d, "amount", "from", "total"), status(d, "status")); got != fmt.Sprintf("%s %s %s APPROVED/00", want.agreement, want.typ, want.total) {
				t.Errorf("dispersion part %d = %s", i, got)
			}
			if ref := str(d, "internalReference"); ref == "" || ref == parent {
				t.Errorf("dispersion part %d internalReference %q, want its own (payment's is %s)", i, ref, parent)
			}
		}
	})
}

func TestRecurringCharge(t *testing.T) {
	h := newHarness(t)
	own := NewReceiver(t)
	body := basicSession("REC-1")
	body["payment"].(map[string]any)["recurring"] = map[string]any{
		"periodicity": "M", "interval": 1, "maxPeriods": 12, "nextPayment": "2026-04-02", "notificationUrl": own.URL}
	id, _ := h.create(body)

	// Not before the first payment is approved.
	h.control(http.MethodPost, fmt.Sprintf("/sandbox/sessions/%d/recurring-charge", id), nil).want(t, http.StatusConflict)
	h.pay(id, cardApprove).want(t, http.StatusOK)
	h.notes.Next(t) // the session's own notification goes to the site's URL

	for _, st := range []string{pp.StatusApproved, pp.StatusRejected} {
		r := h.control(http.MethodPost, fmt.Sprintf("/sandbox/sessions/%d/recurring-charge", id), map[string]string{"status": st}).want(t, http.StatusOK)
		ref := str(r.Body, "internalReference")
		raw := own.Next(t) // to the recurrence's notificationUrl
		var n struct {
			Status            pp.Status `json:"status"`
			RequestID         *int64    `json:"requestId"`
			InternalReference int64     `json:"internalReference"`
			Reference         string    `json:"reference"`
			Signature         string    `json:"signature"`
			Recurring         struct {
				Tries   int `json:"tries"`
				Enabled int `json:"enabled"`
			} `json:"recurring"`
		}
		if err := json.Unmarshal(raw, &n); err != nil {
			t.Fatal(err)
		}
		if n.RequestID != nil || strconv.FormatInt(n.InternalReference, 10) != ref || n.Reference != "REC-1" || n.Status.Status != st ||
			n.Recurring.Tries != 1 || n.Recurring.Enabled != 1 {
			t.Errorf("recurring notification %s, want the charge %s of REC-1 %s with no requestId", raw, ref, st)
		}
		if _, _, err := pp.VerifyNotification(raw, testSecret); err != nil {
			t.Errorf("recurring notification signature: %v", err)
		}
		if _, _, err := pp.VerifyNotification(raw, testSecret+"x"); err == nil {
			t.Error("recurring notification verifies with another secret")
		}
	}
	// The session query still shows only the session's own payment.
	q := h.query(id)
	if n := len(get(q.Body, "payment").([]any)); n != 1 {
		t.Errorf("the session query lists %d payments, want only the first", n)
	}
	// A session with no recurrence has no charges.
	plain, _ := h.create(basicSession("PLAIN"))
	h.pay(plain, cardApprove).want(t, http.StatusOK)
	h.control(http.MethodPost, fmt.Sprintf("/sandbox/sessions/%d/recurring-charge", plain), nil).want(t, http.StatusConflict)
}

func TestRecurringValidation(t *testing.T) {
	h := newHarness(t)
	for name, rec := range map[string]map[string]any{
		"weekly":         {"periodicity": "W", "interval": 1, "maxPeriods": 1},
		"no interval":    {"periodicity": "D", "interval": 0, "maxPeriods": 1},
		"no maxPeriods":  {"periodicity": "D", "interval": 1},
		"maxPeriods 0":   {"periodicity": "D", "interval": 1, "maxPeriods": 0},
		"past":           {"periodicity": "D", "interval": 1, "maxPeriods": 1, "nextPayment": "2026-03-01"},
		"bad notify URL": {"periodicity": "D", "interval": 1, "maxPeriods": 1, "notificationUrl": "ftp://x"},
	} {
		body := basicSession("REC-BAD")
		body["payment"].(map[string]any)["recurring"] = rec
		r := h.api("/api/session", body).want(t, http.StatusBadRequest)
		if got := status(r.Body, "status"); got != "FAILED/request_not_valid" {
			t.Errorf("%s: %s, want FAILED/request_not_valid", name, got)
		}
	}
}
