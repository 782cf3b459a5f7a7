package sandbox

import (
	"encoding/json"
	"fmt"
	"net/http"
	"testing"
	"time"
)

// TestControlPayAgain: "again" pays an approved session a second time, in full: the query
// shows two approved payments of the same amount and reference, and the session's approval
// is notified again with the new date, so that it is not a replay of the first.
func TestControlPayAgain(t *testing.T) {
	h := newHarness(t)
	id, _ := h.create(basicSession("ORDER-PA"))
	again := func(body map[string]any) reply {
		return h.control(http.MethodPost, fmt.Sprintf("/sandbox/sessions/%d/pay", id), body)
	}
	again(map[string]any{"card": cardApprove, "again": true}).want(t, http.StatusConflict) // not approved yet
	h.pay(id, cardApprove).want(t, http.StatusOK)
	first := h.notes.Next(t)
	// In the same second as the approval the new notification would read as the first.
	again(map[string]any{"card": cardApprove, "again": true}).want(t, http.StatusConflict)
	h.advance(2 * time.Second)
	again(map[string]any{"card": cardDeny, "again": true}).want(t, http.StatusUnprocessableEntity)
	again(map[string]any{"card": cardApprove, "again": true, "amount": "10.00"}).want(t, http.StatusUnprocessableEntity)
	r := again(map[string]any{"card": cardApprove, "again": true}).want(t, http.StatusOK)
	if got := str(r.Body, "status", "status"); got != "APPROVED" {
		t.Errorf("the answer shows the session %s, want APPROVED", got)
	}

	q := h.query(id)
	if got := status(q.Body, "status"); got != "APPROVED/00" {
		t.Errorf("session %s after the second payment, want APPROVED/00", got)
	}
	for i := range 2 {
		if got := status(q.Body, "payment", i, "status") + " " + str(q.Body, "payment", i, "amount", "from", "total") + " " +
			str(q.Body, "payment", i, "reference"); got != "APPROVED/00 100.5 ORDER-PA" {
			t.Errorf("payment %d = %s, want APPROVED/00 100.5 ORDER-PA", i, got)
		}
	}
	if a, b := str(q.Body, "payment", 0, "internalReference"), str(q.Body, "payment", 1, "internalReference"); a == b || a == "" {
		t.Errorf("the two payments are %s and %s, want two transactions", a, b)
	}
	if get(q.Body, "payment", 2) != nil {
		t.Errorf("more than two payments: %s", q.Raw)
	}

	second := h.notes.Next(t)
	var n1, n2 struct {
		Status struct {
			Status, Date string
		}
		RequestID int64
		Signature string
	}
	if err := json.Unmarshal(first, &n1); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(second, &n2); err != nil {
		t.Fatal(err)
	}
	if n2.RequestID != id || n2.Status.Status != "APPROVED" || n2.Status.Date == n1.Status.Date || n2.Signature == n1.Signature {
		t.Errorf("second notification %s after %s: want the session APPROVED again, with a new date and signature", second, first)
	}
	if n2.Status.Date != str(q.Body, "status", "date") {
		t.Errorf("the notification's date %s is not the session's %s", n2.Status.Date, str(q.Body, "status", "date"))
	}
}
