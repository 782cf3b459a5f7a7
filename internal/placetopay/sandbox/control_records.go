package sandbox

import (
	"encoding/json"
	"net/http"
	"time"

	pp "github.com/placetopay-gateway/gateway/internal/placetopay"
)

// controlTx is the sandbox's own view of a transaction.
type controlTx struct {
	InternalReference int64       `json:"internalReference"`
	RequestID         int64       `json:"requestId,omitempty"`
	Kind              string      `json:"kind"`
	Reference         string      `json:"reference"`
	Status            statusJSON  `json:"status"`
	Amount            amountBase  `json:"amount"`
	Card              string      `json:"card"`
	Refunded          bool        `json:"refunded"`
	RefundedTotal     json.Number `json:"refundedTotal"`
	ResolvesAt        string      `json:"resolvesAt,omitempty"`
	ConfirmBy         string      `json:"confirmBy,omitempty"`
}

func (sb *Sandbox) controlTxView(t *transaction) controlTx {
	v := controlTx{
		InternalReference: t.Ref, Kind: string(t.Kind), Reference: t.Reference, Status: statusOf(t.State),
		Amount: amountBase{Currency: t.Amount.Currency, Total: t.Amount.total()}, Card: t.Card.masked(),
		Refunded: t.Refunded, RefundedTotal: json.Number(formatCents(t.RefundedCents)),
	}
	if s := t.Session; s != nil {
		v.RequestID = s.ID
		if s.Kind == kindCollect && t.Kind == txPayment {
			v.Kind = "collect"
		}
	}
	switch t.status() {
	case pp.StatusPending:
		v.ResolvesAt = sb.date(t.ResolveAt)
	case pp.StatusPendingConfirmation:
		v.ConfirmBy = sb.date(t.ConfirmBy)
	}
	return v
}

// handleControlApprovals is GET /sandbox/approvals: every transaction the sandbox approved,
// in order, with what was refunded of it since, as of the sandbox's current time. Kinds: payment (a session's), collect,
// preauthorization (a hold), capture (a checkout of a hold), autopay (a charge).
func (sb *Sandbox) handleControlApprovals(w http.ResponseWriter, _ *http.Request) {
	list := []controlTx{}
	sb.locked(func(now time.Time) {
		sb.advanceAllLocked(now)
		for _, t := range sb.approvals {
			list = append(list, sb.controlTxView(t))
		}
	})
	sb.writeJSON(w, http.StatusOK, map[string]any{"data": list})
}

type notificationJSON struct {
	Seq        int             `json:"seq"`
	RequestID  int64           `json:"requestId"`
	Status     string          `json:"status"`
	Body       json.RawMessage `json:"body"`
	Faults     []string        `json:"faults"`
	DueAt      string          `json:"dueAt"`
	Outcome    string          `json:"outcome"`
	Deliveries []delivery      `json:"deliveries"`
}

func (sb *Sandbox) notificationView(n *notification) notificationJSON {
	return notificationJSON{
		Seq: n.Seq, RequestID: n.RequestID, Status: n.Status, Body: n.Body, Faults: append([]string{}, n.Faults...),
		DueAt: sb.date(n.DueAt), Outcome: n.Outcome, Deliveries: append([]delivery{}, n.Deliveries...),
	}
}

// handleControlNotifications is GET /sandbox/notifications: every notification decided,
// with its faults and what the receiver answered.
func (sb *Sandbox) handleControlNotifications(w http.ResponseWriter, _ *http.Request) {
	list := []notificationJSON{}
	sb.locked(func(now time.Time) {
		sb.advanceAllLocked(now)
		for _, n := range sb.outbox {
			list = append(list, sb.notificationView(n))
		}
	})
	sb.writeJSON(w, http.StatusOK, map[string]any{"data": list})
}

type faultsJSON struct {
	Drop      float64 `json:"drop"`
	Duplicate float64 `json:"duplicate"`
	Corrupt   float64 `json:"corrupt"`
	Delay     float64 `json:"delay"`
	DelayBy   string  `json:"delayBy"`
	Seed      uint64  `json:"seed"`
}

// handleControlFaults is GET and PUT /sandbox/notifications/faults: PUT replaces the
// notification faults and reseeds their generator.
func (sb *Sandbox) handleControlFaults(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodPut {
		var req faultsJSON
		if err := decodeControl(w, r, &req); err != nil {
			sb.controlError(w, http.StatusBadRequest, "malformed body: "+err.Error())
			return
		}
		f := Faults{Drop: req.Drop, Duplicate: req.Duplicate, Corrupt: req.Corrupt, Delay: req.Delay, Seed: req.Seed}
		if req.DelayBy != "" {
			d, err := time.ParseDuration(req.DelayBy)
			if err != nil {
				sb.controlError(w, http.StatusUnprocessableEntity, "delayBy must be a Go duration")
				return
			}
			f.DelayBy = d
		}
		if err := f.validate(); err != nil {
			sb.controlError(w, http.StatusUnprocessableEntity, err.Error())
			return
		}
		sb.locked(func(time.Time) { sb.faults = newFaultState(f) })
	}
	var f Faults
	sb.locked(func(time.Time) { f = sb.faults.cfg })
	sb.writeJSON(w, http.StatusOK, faultsJSON{
		Drop: f.Drop, Duplicate: f.Duplicate, Corrupt: f.Corrupt, Delay: f.Delay, DelayBy: f.DelayBy.String(), Seed: f.Seed,
	})
}

// handleControlCards is GET /sandbox/cards: the test cards and what each does.
func (sb *Sandbox) handleControlCards(w http.ResponseWriter, _ *http.Request) {
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
	sb.writeJSON(w, http.StatusOK, map[string]any{"data": list})
}
