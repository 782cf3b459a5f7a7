package sandbox

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// memPersister keeps the snapshots in memory and counts the saves.
type memPersister struct {
	mu    sync.Mutex
	data  []byte
	saves int
}

func (m *memPersister) Load(context.Context) ([]byte, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.data, nil
}

func (m *memPersister) Save(_ context.Context, b []byte) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.data = append([]byte(nil), b...)
	m.saves++
	return nil
}

// copy is a new persister holding the snapshot last saved: what a restarted process finds.
func (m *memPersister) copy() *memPersister {
	m.mu.Lock()
	defer m.mu.Unlock()
	return &memPersister{data: append([]byte(nil), m.data...)}
}

func withPersister(p Persister) func(*Config) { return func(c *Config) { c.Persister = p } }

// TestRestoredSandboxAnswersAsBefore: a sandbox started from the snapshot another saved
// answers every session query byte for byte as the first did, keeps the clock, the
// notifications, the transactions and the autopays, takes payments on the sessions left
// open, resolves the pending ones, charges the saved token, and gives out new ids only.
func TestRestoredSandboxAnswersAsBefore(t *testing.T) {
	saved := &memPersister{}
	h := newHarness(t, withPersister(saved))

	open, processURL := h.create(basicSession("OPEN"))
	paid, payRef := h.paidSession(basicSession("PAID"), cardApprove)
	h.action(payRef, "reverse", nil).want(t, http.StatusOK)
	pending, _ := h.create(basicSession("PENDING"))
	h.pay(pending, cardPendingApprove).want(t, http.StatusOK)
	declined, _ := h.create(basicSession("DECLINED"))
	h.pay(declined, cardDeny).want(t, http.StatusOK)
	tok, _ := h.tokenize(cardApprove)
	collect := h.api("/api/collect", collectBody("RENEW-1", map[string]any{"token": tok}, 25)).want(t, http.StatusOK)
	autopayID := h.enroll(autopaySession("CREATE", "", "Monthly plan"))
	h.control(http.MethodPost, "/sandbox/autopay/"+autopayID+"/charge", nil).want(t, http.StatusOK)
	h.advance(10 * time.Second)
	ids := []int64{open, paid, pending, declined, mustInt(t, str(collect.Body, "requestId"))}

	before := map[int64]string{}
	for _, id := range ids {
		before[id] = string(h.query(id).Raw)
	}
	controls := []string{"/sandbox/clock", "/sandbox/transactions", "/sandbox/approvals", "/sandbox/autopay/calls"}
	beforeControl := map[string]string{}
	for _, path := range controls {
		beforeControl[path] = string(h.control(http.MethodGet, path, nil).want(t, http.StatusOK).Raw)
	}
	search := map[string]any{"filters": map[string]any{"reference": "ACC-1"}, "pagination": map[string]any{"perPage": 10, "currentPage": 1}}
	beforeAutopay := h.api("/autopay/search", search).want(t, http.StatusOK).Raw

	// The answers just given are saved already: a process killed now loses nothing.
	r := newHarness(t, withPersister(saved.copy()))
	for _, id := range ids {
		if got := string(r.query(id).Raw); got != before[id] {
			t.Errorf("session %d after the restore:\n%s\nwant\n%s", id, got, before[id])
		}
	}
	for _, path := range controls {
		if got := string(r.control(http.MethodGet, path, nil).want(t, http.StatusOK).Raw); got != beforeControl[path] {
			t.Errorf("%s after the restore:\n%s\nwant\n%s", path, got, beforeControl[path])
		}
	}
	if got := r.api("/autopay/search", search).want(t, http.StatusOK).Raw; string(got) != string(beforeAutopay) {
		t.Errorf("autopay after the restore:\n%s\nwant\n%s", got, beforeAutopay)
	}
	if all, stillOpen := r.sb.Sessions(); all != 7 || stillOpen != 3 {
		t.Errorf("restored %d sessions, %d open; want 7, 3 (the open, the pending and the declined one)", all, stillOpen)
	}

	// The hosted page of the open session still opens, and the session takes a payment.
	page := r.send(http.MethodGet, strings.TrimPrefix(processURL, h.url), "", nil).want(t, http.StatusOK)
	if !strings.Contains(string(page.Raw), "OPEN") {
		t.Errorf("the restored page does not show the session's reference:\n%s", page.Raw)
	}
	r.pay(open, cardApprove).want(t, http.StatusOK)
	if got := status(r.query(open).Body, "status"); got != "APPROVED/00" {
		t.Errorf("the open session paid after the restore is %s, want APPROVED/00", got)
	}
	r.advance(3 * time.Minute)
	if got := status(r.query(pending).Body, "status"); got != "APPROVED/00" {
		t.Errorf("the pending session after the restore and 3 minutes is %s, want APPROVED/00", got)
	}
	again := r.api("/api/collect", collectBody("RENEW-2", map[string]any{"token": tok}, 30)).want(t, http.StatusOK)
	if got := status(again.Body, "status"); got != "APPROVED/00" {
		t.Errorf("the saved token charged after the restore: %s, want APPROVED/00", got)
	}
	newID := mustInt(t, str(again.Body, "requestId"))
	for _, id := range ids {
		if newID <= id {
			t.Errorf("new requestId %d after the restore, want above every earlier one (%d)", newID, id)
		}
	}
	if got := string(r.notes.Next(t)); !strings.Contains(got, `"requestId":`) {
		t.Errorf("notification after the restore %s, want one of a session that became final", got)
	}
}

// TestSandboxSavesOnlyChanges: a request that changes nothing does not save, and a sandbox
// refuses a snapshot of a version it does not read rather than start empty.
func TestSandboxSavesOnlyChanges(t *testing.T) {
	saved := &memPersister{}
	h := newHarness(t, withPersister(saved))
	id, _ := h.create(basicSession("ONE"))
	h.query(id)
	saved.mu.Lock()
	n := saved.saves
	saved.mu.Unlock()
	h.query(id)
	h.control(http.MethodGet, "/sandbox/transactions", nil).want(t, http.StatusOK)
	saved.mu.Lock()
	after := saved.saves
	saved.mu.Unlock()
	if n == 0 || after != n {
		t.Errorf("saves: %d after a create, %d after two reads; want at least 1, then no more", n, after)
	}

	_, err := New(Config{Login: testLogin, SecretKey: testSecret, Persister: &memPersister{data: []byte(`{"version":99}`)}})
	if err == nil || !strings.Contains(err.Error(), "version 99") {
		t.Errorf("New with a version 99 snapshot = %v, want an error naming the version", err)
	}
}
