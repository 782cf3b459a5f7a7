package sandbox

import (
	"cmp"
	"net/http"
	"slices"
	"time"
)

// handleControlApprovals is GET /sandbox/approvals: every transaction the sandbox approved,
// in order, with what was refunded of it since, as of the sandbox's current time. Kinds: payment (a session's), collect,
// preauthorization (a hold), capture (a checkout of a hold), autopay (a charge).
func (sb *Sandbox) handleControlApprovals(w http.ResponseWriter, _ *http.Request) {
	writeRecords(sb, w, func() []*transaction { return sb.approvals }, sb.transactionRecord)
}

// handleControlTransactions is GET /sandbox/transactions: every transaction the sandbox
// made, whatever became of it, oldest first, as of the sandbox's current time. Besides the
// kinds approvals lists it has reauthorization and reversal (a refund, which no approval
// shows), and declined and pending ones; each action names the transaction it acted on
// (parentReference).
func (sb *Sandbox) handleControlTransactions(w http.ResponseWriter, _ *http.Request) {
	writeRecords(sb, w, func() []*transaction {
		// Internal references only grow, so their order is the order the transactions were made.
		list := make([]*transaction, 0, len(sb.txs))
		for _, t := range sb.txs {
			list = append(list, t)
		}
		slices.SortFunc(list, func(a, b *transaction) int { return cmp.Compare(a.Ref, b.Ref) })
		return list
	}, sb.transactionRecord)
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
