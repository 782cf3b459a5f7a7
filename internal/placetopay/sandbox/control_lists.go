package sandbox

import (
	"net/http"
	"time"
)

// handleControlApprovals is GET /sandbox/approvals: every transaction the sandbox approved,
// in order, with what was refunded of it since, as of the sandbox's current time. Kinds: payment (a session's), collect,
// preauthorization (a hold), capture (a checkout of a hold), autopay (a charge).
func (sb *Sandbox) handleControlApprovals(w http.ResponseWriter, _ *http.Request) {
	writeRecords(sb, w, func() []*transaction { return sb.approvals }, sb.transactionRecord)
}

// handleControlNotifications is GET /sandbox/notifications: every notification decided,
// with its faults and what the receiver answered.
func (sb *Sandbox) handleControlNotifications(w http.ResponseWriter, _ *http.Request) {
	writeRecords(sb, w, func() []*notification { return sb.outbox }, sb.notificationRecord)
}

// writeRecords answers with the record of every item that items lists, as of the sandbox's
// current time: whatever came due is applied first. items runs under the lock.
func writeRecords[T, R any](sb *Sandbox, w http.ResponseWriter, items func() []T, record func(T) R) {
	list := listRecord[R]{Data: []R{}}
	sb.locked(func(now time.Time) {
		sb.advanceAllLocked(now)
		for _, item := range items() {
			list.Data = append(list.Data, record(item))
		}
	})
	sb.writeJSON(w, http.StatusOK, list)
}

// handleControlCards is GET /sandbox/cards: the test cards and what each does, as JSON, or
// as a page for a browser (cardsPage).
func (sb *Sandbox) handleControlCards(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Vary", "Accept, Accept-Language")
	if wantsPage(r) {
		sb.cardsPage(w, r)
		return
	}
	type cardJSON struct {
		Number    string `json:"number"`
		Brand     string `json:"brand"`
		Behaviour string `json:"behaviour"`
		Pending   string `json:"pendingFor,omitempty"`
	}
	list := make([]cardJSON, 0, len(testCards))
	for _, c := range testCards {
		v := cardJSON{Number: c.Number, Brand: c.Brand.Name, Behaviour: string(c.Behaviour)}
		if c.Behaviour == pendingApprove || c.Behaviour == pendingReject {
			v.Pending = sb.cfg.PendingDelay.String()
			if c.Delay != 0 {
				v.Pending = c.Delay.String()
			}
		}
		list = append(list, v)
	}
	sb.writeJSON(w, http.StatusOK, listRecord[cardJSON]{Data: list})
}
