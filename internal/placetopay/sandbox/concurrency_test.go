package sandbox

import (
	"fmt"
	"net/http"
	"net/url"
	"sync"
	"testing"

	pp "github.com/placetopay-gateway/gateway/internal/placetopay"
)

// Fifty payers at once: all on one shared session (exactly one payment may win), each on
// its own session too, reading all along. Run with -race.
func TestConcurrentPayers(t *testing.T) {
	h := newHarness(t)
	shared, sharedURL := h.create(basicSession("SHARED"))
	const n = 50
	own := make([]int64, n)
	for i := range own {
		own[i], _ = h.create(basicSession(fmt.Sprintf("OWN-%d", i)))
	}

	var (
		wg     sync.WaitGroup
		mu     sync.Mutex
		codes  = map[int]int{}
		errors []string
	)
	fail := func(format string, args ...any) {
		mu.Lock()
		errors = append(errors, fmt.Sprintf(format, args...))
		mu.Unlock()
	}
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// The shared session, through the control API or the page.
			var code int
			if i%2 == 0 {
				code = h.pay(shared, cardApprove).Code
			} else {
				code = h.page(sharedURL).post("pay", url.Values{"card": {cardApprove}}).Code
			}
			mu.Lock()
			codes[code]++
			mu.Unlock()
			card := cardApprove
			if i%3 == 0 {
				card = cardDeny
			}
			if c := h.pay(own[i], card).Code; c != http.StatusOK {
				fail("own session %d: HTTP %d", own[i], c)
			}
			for _, id := range []int64{shared, own[i], own[(i+1)%n]} {
				if c := h.api(fmt.Sprintf("/api/session/%d", id), nil).Code; c != http.StatusOK {
					fail("query %d: HTTP %d", id, c)
				}
			}
		}()
	}
	wg.Wait()
	for _, e := range errors {
		t.Error(e)
	}
	// One winner: 200 from the control API or 303 from the page; everyone else 409.
	if wins := codes[http.StatusOK] + codes[http.StatusSeeOther]; wins != 1 || codes[http.StatusConflict] != n-1 {
		t.Errorf("paying the shared session: %v, want one success and %d conflicts", codes, n-1)
	}
	q := h.query(shared)
	if got := status(q.Body, "status"); got != "APPROVED/00" || len(get(q.Body, "payment").([]any)) != 1 {
		t.Errorf("shared session %s with %d payments, want APPROVED with one", got, len(get(q.Body, "payment").([]any)))
	}
	approved := 1
	for i, id := range own {
		want := "APPROVED/00"
		if i%3 == 0 {
			want = "PENDING/PT"
		} else {
			approved++
		}
		if got := status(h.query(id).Body, "status"); got != want {
			t.Errorf("own session %d: %s, want %s", id, got, want)
		}
	}
	r := h.control(http.MethodGet, "/sandbox/approvals", nil).want(t, http.StatusOK)
	if got := len(get(r.Body, "data").([]any)); got != approved {
		t.Errorf("%d approvals recorded, want %d", got, approved)
	}
	h.sb.Close()
	seen := map[int64]bool{}
	for _, body := range h.notes.All() {
		note, _, err := pp.VerifyNotification(body, testSecret)
		if err != nil || seen[int64(note.RequestID)] {
			t.Errorf("notification %s: %v (seen before: %v)", body, err, seen[int64(note.RequestID)])
		}
		seen[int64(note.RequestID)] = true
	}
	if len(seen) != approved {
		t.Errorf("%d sessions notified, want the %d approved", len(seen), approved)
	}
}
