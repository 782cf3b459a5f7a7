package sandbox

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	pp "github.com/placetopay-gateway/gateway/internal/placetopay"
)

func TestNotificationSignature(t *testing.T) {
	for _, alg := range []pp.Algorithm{pp.SHA256, pp.SHA1} {
		t.Run(string(alg), func(t *testing.T) {
			h := newHarness(t, func(c *Config) { c.Signature = alg })
			id, _ := h.create(basicSession("ORDER-N"))
			h.pay(id, cardApprove).want(t, http.StatusOK)
			body := h.notes.Next(t)
			n, got, err := pp.VerifyNotification(body, testSecret)
			if err != nil {
				t.Fatalf("VerifyNotification(%s): %v", body, err)
			}
			if got != alg {
				t.Errorf("signed with %s, want %s", got, alg)
			}
			q := h.query(id)
			if int64(n.RequestID) != id || string(n.Reference) != "ORDER-N" || n.Status.Status != "APPROVED" || string(n.Status.Reason) != "00" {
				t.Errorf("notification %s, want request %d ORDER-N APPROVED/00", body, id)
			}
			if n.Status.Date != str(q.Body, "status", "date") {
				t.Errorf("notified date %q, query date %q: they must be the same text", n.Status.Date, str(q.Body, "status", "date"))
			}
			if _, _, err := pp.VerifyNotification(body, "another secret"); !errors.Is(err, pp.ErrBadSignature) {
				t.Errorf("verified with another secret: %v", err)
			}
		})
	}
}

// Every final state is notified once, and nothing else is.
func TestOneNotificationPerFinalState(t *testing.T) {
	h := newHarness(t)
	want := map[int64]string{}
	type step func(id int64, processURL string)
	final := func(body map[string]any, wantStatus string, steps ...step) {
		id, processURL := h.create(body)
		for _, s := range steps {
			s(id, processURL)
		}
		want[id] = wantStatus
	}
	pay := func(card string) step {
		return func(id int64, _ string) { h.pay(id, card).want(t, http.StatusOK) }
	}
	payPart := func(amount string) step {
		return func(id int64, _ string) { h.payPart(id, cardApprove, amount).want(t, http.StatusOK) }
	}
	cancel := func(id int64, _ string) { h.api(fmt.Sprintf("/api/session/%d/cancel", id), nil).want(t, http.StatusOK) }
	payerCancel := func(_ int64, processURL string) { h.page(processURL).post("cancel", nil).want(t, http.StatusSeeOther) }
	transaction := func(action string) step {
		return func(id int64, _ string) {
			h.action(mustInt(t, str(h.query(id).Body, "payment", 0, "internalReference")), action, nil).want(t, http.StatusOK)
		}
	}
	attempts := make([]step, 10)
	for i := range attempts {
		attempts[i] = pay(cardDeny)
	}

	final(basicSession("N-APPROVED"), "APPROVED/00", pay(cardDeny), pay(cardApprove))
	final(basicSession("N-PENDING"), "APPROVED/00", pay(cardPendingApprove))
	final(basicSession("N-CANCELLED"), "REJECTED/MC", pay(cardDeny), cancel)
	final(basicSession("N-PAYER-CANCEL"), "REJECTED/?C", payerCancel)
	final(partialSession("N-PARTIAL"), "APPROVED/00", payPart("50"), payPart("50.50"))
	final(partialSession("N-PX"), "PARTIAL_EXPIRED/PX", payPart("10"))
	final(basicSession("N-EXPIRED"), "REJECTED/EX")
	final(basicSession("N-ATTEMPTS"), "REJECTED/XN", attempts...)
	final(confirmSession("N-CONFIRMED"), "APPROVED/00", pay(cardApprove), transaction("confirm"))
	final(confirmSession("N-CONFIRM-CANCEL"), "REJECTED/?C", pay(cardApprove), transaction("cancel"))
	final(confirmSession("N-CONFIRM-LATE"), "REJECTED/EX", pay(cardApprove))
	h.advance(2 * time.Minute) // resolves the pending card
	h.advance(time.Hour)       // expires what is left open
	for id := range want {     // reading again changes nothing
		h.query(id)
	}
	h.advance(time.Hour)
	h.sb.Close() // waits for every delivery in flight

	got := map[int64]string{}
	for _, body := range h.notes.All() {
		n, _, err := pp.VerifyNotification(body, testSecret)
		if err != nil {
			t.Fatalf("%s: %v", body, err)
		}
		if prev, dup := got[int64(n.RequestID)]; dup {
			t.Errorf("session %d notified twice: %s and %s", n.RequestID, prev, n.Status.Status)
		}
		got[int64(n.RequestID)] = n.Status.Status + "/" + string(n.Status.Reason)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("notifications per session (-want +got):\n%s", diff)
	}
}

func TestSkipExpiryNotification(t *testing.T) {
	h := newHarness(t, func(c *Config) { c.SkipExpiryNotification = true })
	expired, _ := h.create(basicSession("N-EXPIRED"))
	partial, _ := h.create(partialSession("N-PX"))
	h.payPart(partial, cardApprove, "1").want(t, http.StatusOK)
	h.advance(time.Hour)
	h.sb.Close()
	var ids []int64
	for _, body := range h.notes.All() {
		n, _, _ := pp.VerifyNotification(body, testSecret)
		ids = append(ids, int64(n.RequestID))
	}
	if !slices.Equal(ids, []int64{partial}) || status(h.query(expired).Body, "status") != "REJECTED/EX" {
		t.Errorf("notified %v, want only the partially paid session %d (a plain expiry is silent)", ids, partial)
	}
}

// notifications returns the sandbox's record of its notifications.
func (h *harness) notifications() []any {
	h.t.Helper()
	return get(h.control(http.MethodGet, "/sandbox/notifications", nil).want(h.t, http.StatusOK).Body, "data").([]any)
}

func TestNotificationFaults(t *testing.T) {
	t.Run("drop", func(t *testing.T) {
		h := newHarness(t, func(c *Config) { c.Faults.Drop = 1 })
		id, _ := h.create(basicSession("F-DROP"))
		h.pay(id, cardApprove).want(t, http.StatusOK)
		h.sb.Close()
		if n := len(h.notes.All()); n != 0 {
			t.Errorf("%d notifications arrived, want none", n)
		}
		if got := str(h.notifications(), 0, "outcome"); got != "dropped" {
			t.Errorf("recorded outcome %q, want dropped", got)
		}
	})
	t.Run("duplicate", func(t *testing.T) {
		h := newHarness(t, func(c *Config) { c.Faults.Duplicate = 1 })
		id, _ := h.create(basicSession("F-DUP"))
		h.pay(id, cardApprove).want(t, http.StatusOK)
		h.sb.Close()
		all := h.notes.All()
		if len(all) != 2 || string(all[0]) != string(all[1]) {
			t.Fatalf("received %q, want the same notification twice", all)
		}
		if _, _, err := pp.VerifyNotification(all[1], testSecret); err != nil {
			t.Errorf("the duplicate does not verify: %v", err)
		}
	})
	t.Run("corrupt", func(t *testing.T) {
		h := newHarness(t, func(c *Config) { c.Faults.Corrupt = 1 })
		id, _ := h.create(basicSession("F-BAD"))
		h.pay(id, cardApprove).want(t, http.StatusOK)
		n, _, err := pp.VerifyNotification(h.notes.Next(t), testSecret)
		if !errors.Is(err, pp.ErrBadSignature) || int64(n.RequestID) != id {
			t.Errorf("corrupted notification of %d: %v, want ErrBadSignature", n.RequestID, err)
		}
	})
	t.Run("delay", func(t *testing.T) {
		h := newHarness(t, func(c *Config) { c.Faults = Faults{Delay: 1, DelayBy: 5 * time.Minute} })
		id, _ := h.create(basicSession("F-LATE"))
		h.pay(id, cardApprove).want(t, http.StatusOK)
		rec := h.notifications()
		if got := str(rec, 0, "outcome") + " " + str(rec, 0, "dueAt"); got != "pending 2026-03-02T10:09:05-05:00" {
			t.Fatalf("recorded %s, want pending until 10:09:05", got)
		}
		h.advance(5 * time.Minute)
		if _, _, err := pp.VerifyNotification(h.notes.Next(t), testSecret); err != nil {
			t.Errorf("delayed notification: %v", err)
		}
	})
	t.Run("seeded rates repeat", func(t *testing.T) {
		pattern := func() string {
			h := newHarness(t, func(c *Config) { c.Faults = Faults{Drop: 0.5, Seed: 7} })
			for i := range 20 {
				id, _ := h.create(basicSession(fmt.Sprintf("F-%d", i)))
				h.pay(id, cardApprove).want(t, http.StatusOK)
			}
			var b strings.Builder
			for _, n := range h.notifications() {
				if str(n, "outcome") == "dropped" {
					b.WriteByte('x')
				} else {
					b.WriteByte('.')
				}
			}
			return b.String()
		}
		first, second := pattern(), pattern()
		if first != second {
			t.Errorf("the same seed dropped %s, then %s", first, second)
		}
		if !strings.Contains(first, "x") || !strings.Contains(first, ".") {
			t.Errorf("a rate of 0.5 dropped %s: want some, not all", first)
		}
	})
}

func TestNotificationIsNeverRetried(t *testing.T) {
	h := newHarness(t)
	h.notes.AnswerWith(http.StatusInternalServerError)
	id, _ := h.create(basicSession("F-500"))
	h.pay(id, cardApprove).want(t, http.StatusOK)
	h.notes.Next(t)
	h.advance(time.Hour)
	h.query(id)
	h.sb.Close()
	if n := len(h.notes.All()); n != 1 {
		t.Errorf("%d deliveries, want 1: PlacetoPay never retries", n)
	}
	if got := str(h.notifications(), 0, "outcome") + " " + str(h.notifications(), 0, "deliveries", 0, "status"); got != "failed 500" {
		t.Errorf("recorded %q, want failed 500", got)
	}
}

func TestNoNotifyURL(t *testing.T) {
	h := newHarness(t, func(c *Config) { c.NotifyURL = "" })
	id, _ := h.create(basicSession("F-NONE"))
	h.pay(id, cardApprove).want(t, http.StatusOK)
	if got := str(h.notifications(), 0, "outcome"); got != "unsent" {
		t.Errorf("outcome %q, want unsent", got)
	}
}
