package sandbox

import (
	"net/http"
	"regexp"
	"strconv"
	"testing"
)

func autopaySession(action, id, description string) map[string]any {
	a := map[string]any{
		"action": action, "reference": "ACC-1", "description": description, "dueDay": 15,
		"recurring": map[string]any{"type": "FIXED", "periodicity": "M", "interval": 1, "nextPayment": "2026-04-01"},
		"amount":    map[string]any{"currency": "USD", "total": 20},
	}
	if id != "" {
		a["id"] = id
	}
	return map[string]any{
		"type": "autopay", "autopay": a, "locale": "en_US",
		"payer":     map[string]any{"name": "Ada", "surname": "Lovelace", "email": "ada@example.com"},
		"returnUrl": "https://shop.example/autopay", "ipAddress": "127.0.0.1", "userAgent": "sandbox-test",
	}
}

// enroll creates or edits an autopay through its session and returns the autopay's id.
func (h *harness) enroll(body map[string]any) string {
	h.t.Helper()
	r := h.api("/autopay/session", body).want(h.t, http.StatusOK)
	if got := status(r.Body, "status"); got != "OK/PC" {
		h.t.Fatalf("autopay session = %s, want OK/PC", got)
	}
	id := mustInt(h.t, str(r.Body, "requestId"))
	q := h.api("/autopay/session/"+itoa(id), nil).want(h.t, http.StatusOK)
	if got := status(q.Body, "status"); got != "PENDING/PT" {
		h.t.Fatalf("before authorizing: %s", got)
	}
	if _, isString := get(q.Body, "requestId").(string); !isString {
		h.t.Errorf("autopay query requestId %#v, want a string as the autopay document types it", get(q.Body, "requestId"))
	}
	h.pay(id, "5367680000000005").want(h.t, http.StatusOK)
	q = h.api("/autopay/session/"+itoa(id), nil).want(h.t, http.StatusOK)
	if got := status(q.Body, "status") + " " + status(q.Body, "autopay", 0, "status"); got != "APPROVED/00 APPROVED/00" {
		h.t.Fatalf("after authorizing: session and autopay %s", got)
	}
	if got := str(q.Body, "autopay", 0, "instrument", "token", "lastDigits"); got != "0005" {
		h.t.Errorf("autopay instrument lastDigits = %q", got)
	}
	return str(q.Body, "autopay", 0, "id")
}

func TestAutopay(t *testing.T) {
	h := newHarness(t)
	id := h.enroll(autopaySession("CREATE", "", "Water bill"))
	if !regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`).MatchString(id) {
		t.Fatalf("autopay id %q is not a UUID", id)
	}
	search := func(filters map[string]any) reply {
		return h.api("/autopay/search", map[string]any{"filters": filters, "pagination": map[string]any{"perPage": 10, "currentPage": 1}}).want(t, http.StatusOK)
	}
	r := search(map[string]any{"reference": "ACC-1"})
	if got := str(r.Body, "data", 0, "id") + " " + str(r.Body, "data", 0, "subscription", "recurring", "interval") + " " + str(r.Body, "pagination", "total"); got != id+" 1 1" {
		t.Errorf("search = %s", r.Raw)
	}
	if n := len(get(search(map[string]any{"status": []string{"REJECTED"}}).Body, "data").([]any)); n != 0 {
		t.Errorf("search for cancelled autopays found %d", n)
	}

	h.control(http.MethodPost, "/sandbox/autopay/"+id+"/charge", nil).want(t, http.StatusOK)
	h.control(http.MethodPost, "/sandbox/autopay/"+id+"/charge", map[string]any{"amount": usd(35.5)}).want(t, http.StatusOK)
	tx := h.api("/autopay/transactions", map[string]any{"id": id}).want(t, http.StatusOK)
	if got := str(tx.Body, "data", 0, "amount", "from", "total") + " " + str(tx.Body, "data", 1, "amount", "from", "total") + " " + status(tx.Body, "data", 0, "status"); got != "35.5 20 APPROVED/00" {
		t.Errorf("transactions = %s", tx.Raw)
	}

	t.Run("edit", func(t *testing.T) {
		edited := h.enroll(autopaySession("EDIT", id, "Water and sewage"))
		r := search(map[string]any{"id": id})
		if edited != id || str(r.Body, "data", 0, "subscription", "description") != "Water and sewage" {
			t.Errorf("edit made %s: %s", edited, r.Raw)
		}
	})

	t.Run("cancel", func(t *testing.T) {
		editing := mustInt(t, str(h.api("/autopay/session", autopaySession("EDIT", id, "late edit")).want(t, http.StatusOK).Body, "requestId"))
		r := h.api("/autopay/cancel", map[string]any{"id": id}).want(t, http.StatusOK)
		if got := status(r.Body, "status") + " " + str(r.Body, "id"); got != "OK/00 "+id {
			t.Errorf("cancel = %s", got)
		}
		if got := status(search(map[string]any{"id": id}).Body, "data", 0, "status"); got != "REJECTED/?C" {
			t.Errorf("cancelled autopay = %s, want REJECTED/?C", got)
		}
		wantFailed(t, h.api("/autopay/cancel", map[string]any{"id": id}), http.StatusBadRequest, "BR", "")
		wantFailed(t, h.api("/autopay/cancel", map[string]any{"id": "2972c13d-6315-4da3-80d7-64c24eb232ad"}), http.StatusBadRequest, "BR", "")
		wantFailed(t, h.api("/autopay/cancel", nil), http.StatusBadRequest, "BR", "The id field is required.")
		h.control(http.MethodPost, "/sandbox/autopay/"+id+"/charge", nil).want(t, http.StatusConflict)
		h.pay(editing, cardApprove).want(t, http.StatusConflict) // an edit of a cancelled autopay
		wantFailed(t, h.api("/autopay/session", autopaySession("EDIT", id, "again")), http.StatusBadRequest, "BR", "")
	})
}

func TestAutopaySessionValidation(t *testing.T) {
	h := newHarness(t)
	noType := autopaySession("CREATE", "", "x")
	delete(noType, "type")
	fixedWithoutAmount := autopaySession("CREATE", "", "x")
	delete(fixedWithoutAmount["autopay"].(map[string]any), "amount")
	badAction := autopaySession("DELETE", "", "x")
	for name, body := range map[string]map[string]any{"no type": noType, "FIXED without amount": fixedWithoutAmount, "bad action": badAction} {
		t.Run(name, func(t *testing.T) {
			wantFailed(t, h.api("/autopay/session", body), http.StatusBadRequest, "BR", "")
		})
	}
	t.Run("through /api/session", func(t *testing.T) {
		id, _ := h.create(autopaySession("CREATE", "", "Gym"))
		h.pay(id, cardApprove).want(t, http.StatusOK)
		if got := str(h.query(id).Body, "autopay", 0, "subscription", "reference"); got != "ACC-1" {
			t.Errorf("the checkout query shows autopay %q", got)
		}
		if _, err := strconv.ParseInt(str(h.query(id).Body, "requestId"), 10, 64); err != nil {
			t.Error(err)
		}
	})
}
