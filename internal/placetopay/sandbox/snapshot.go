package sandbox

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"slices"
	"time"
)

// snapshotVersion is the version of the snapshot format this sandbox writes and reads.
const snapshotVersion = 1

// snapshot is the sandbox's whole state as JSON: what a restarted sandbox needs to answer
// every query as before, take payments on its open sessions and never give out an id twice.
// The records point at each other by id (requestId, internalReference, token, autopay id)
// where the memory holds pointers.
type snapshot struct {
	Version       int                `json:"version"`
	NextID        int64              `json:"nextId"`
	ClockOffset   time.Duration      `json:"clockOffset"` // nanoseconds the clock was moved ahead
	Sessions      []sessionSnap      `json:"sessions"`    // by requestId
	Open          []int64            `json:"open"`        // requestIds of the sessions not yet final
	Transactions  []transactionSnap  `json:"transactions"`
	Tokens        []*token           `json:"tokens"`
	Collects      []collectSnap      `json:"collects"`
	Autopays      []autopaySnap      `json:"autopays"`  // oldest first
	Approvals     []int64            `json:"approvals"` // internalReferences, in order
	Notifications []notificationSnap `json:"notifications"`
	AutopayCalls  []*AutopayCall     `json:"autopayCalls"`
	Faults        Faults             `json:"faults"`
	FaultsState   []byte             `json:"faultsState"` // the fault generator's state
}

type sessionSnap struct {
	session
	PaymentRefs   []int64 `json:"paymentRefs,omitempty"`
	RecurringRefs []int64 `json:"recurringRefs,omitempty"`
	TokenRef      string  `json:"tokenRef,omitempty"`
	EnrolledID    string  `json:"enrolledId,omitempty"`
}

type transactionSnap struct {
	transaction
	SessionID int64 `json:"sessionId,omitempty"`
	ParentRef int64 `json:"parentRef,omitempty"`
}

type autopaySnap struct {
	autopay
	TokenRef   string  `json:"tokenRef,omitempty"`
	ChargeRefs []int64 `json:"chargeRefs,omitempty"`
}

type collectSnap struct {
	collectKey
	collectRecord
}

type notificationSnap struct {
	notification
	Duplicate bool `json:"duplicate,omitempty"`
}

func refs(ts []*transaction) []int64 {
	out := make([]int64, len(ts))
	for i, t := range ts {
		out[i] = t.Ref
	}
	return out
}

// snapshotLocked writes the state as JSON. The same state always gives the same bytes.
func (sb *Sandbox) snapshotLocked() ([]byte, error) {
	st := sb.store
	snap := snapshot{Version: snapshotVersion, NextID: st.nextID, ClockOffset: sb.clock.Offset(), Faults: sb.faults.cfg}
	for _, s := range st.sessions {
		ss := sessionSnap{session: *s, PaymentRefs: refs(s.Payments), RecurringRefs: refs(s.RecurringCharges)}
		if s.Token != nil {
			ss.TokenRef = s.Token.Token
		}
		if s.Enrolled != nil {
			ss.EnrolledID = s.Enrolled.ID
		}
		snap.Sessions = append(snap.Sessions, ss)
	}
	slices.SortFunc(snap.Sessions, func(a, b sessionSnap) int { return cmp.Compare(a.ID, b.ID) })
	for id := range st.open {
		snap.Open = append(snap.Open, id)
	}
	slices.Sort(snap.Open)
	for _, t := range st.txs {
		ts := transactionSnap{transaction: *t}
		if t.Session != nil {
			ts.SessionID = t.Session.ID
		}
		if t.Parent != nil {
			ts.ParentRef = t.Parent.Ref
		}
		snap.Transactions = append(snap.Transactions, ts)
	}
	slices.SortFunc(snap.Transactions, func(a, b transactionSnap) int { return cmp.Compare(a.Ref, b.Ref) })
	for key, tok := range st.tokens {
		if key == tok.Token { // each token is also kept under its subtoken
			snap.Tokens = append(snap.Tokens, tok)
		}
	}
	slices.SortFunc(snap.Tokens, func(a, b *token) int { return cmp.Compare(a.Token, b.Token) })
	for k, c := range st.collects {
		snap.Collects = append(snap.Collects, collectSnap{k, c})
	}
	slices.SortFunc(snap.Collects, func(a, b collectSnap) int {
		return cmp.Or(cmp.Compare(a.SessionID, b.SessionID), cmp.Compare(a.Reference, b.Reference), cmp.Compare(a.Amount.Cents, b.Amount.Cents))
	})
	for _, a := range st.autopayOrder {
		as := autopaySnap{autopay: *a, ChargeRefs: refs(a.Charges)}
		if a.Token != nil {
			as.TokenRef = a.Token.Token
		}
		snap.Autopays = append(snap.Autopays, as)
	}
	snap.Approvals = refs(st.approvals)
	for _, n := range st.outbox {
		snap.Notifications = append(snap.Notifications, notificationSnap{notification: *n, Duplicate: n.duplicate})
	}
	snap.AutopayCalls = st.autopayCalls
	state, err := sb.faults.src.MarshalBinary()
	if err != nil {
		return nil, fmt.Errorf("sandbox: snapshot: %w", err)
	}
	snap.FaultsState = state
	b, err := json.Marshal(snap)
	if err != nil {
		return nil, fmt.Errorf("sandbox: snapshot: %w", err)
	}
	return b, nil
}

// restoreLocked replaces the state with the snapshot b. A notification or autopay call that
// was being sent when the snapshot was taken, with no answer recorded, is queued again:
// the process that was sending it may have died before it got out.
func (sb *Sandbox) restoreLocked(b []byte) error {
	var snap snapshot
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber() // the echoed requests keep their numbers as they came
	if err := dec.Decode(&snap); err != nil {
		return fmt.Errorf("sandbox: restore: %w", err)
	}
	if snap.Version != snapshotVersion {
		return fmt.Errorf("sandbox: restore: snapshot version %d, this sandbox reads version %d", snap.Version, snapshotVersion)
	}
	st := newStore(max(snap.NextID, sb.nextID))
	for _, tok := range snap.Tokens {
		st.tokens[tok.Token], st.tokens[tok.Subtoken] = tok, tok
	}
	for i := range snap.Sessions {
		s := snap.Sessions[i].session
		st.sessions[s.ID] = &s
	}
	for i := range snap.Transactions {
		t := snap.Transactions[i].transaction
		st.txs[t.Ref] = &t
	}
	tx := func(ref int64) (*transaction, error) {
		if t := st.txs[ref]; t != nil {
			return t, nil
		}
		return nil, fmt.Errorf("sandbox: restore: no transaction %d", ref)
	}
	txs := func(refs []int64) ([]*transaction, error) {
		var out []*transaction
		for _, ref := range refs {
			t, err := tx(ref)
			if err != nil {
				return nil, err
			}
			out = append(out, t)
		}
		return out, nil
	}
	var err error
	for _, ts := range snap.Transactions {
		t := st.txs[ts.Ref]
		if ts.SessionID != 0 {
			if t.Session = st.sessions[ts.SessionID]; t.Session == nil {
				return fmt.Errorf("sandbox: restore: transaction %d of no session %d", ts.Ref, ts.SessionID)
			}
		}
		if ts.ParentRef != 0 {
			if t.Parent, err = tx(ts.ParentRef); err != nil {
				return err
			}
		}
	}
	for _, as := range snap.Autopays {
		a := as.autopay
		if a.Token = st.tokens[as.TokenRef]; as.TokenRef != "" && a.Token == nil {
			return fmt.Errorf("sandbox: restore: autopay %s of no token", a.ID)
		}
		if a.Charges, err = txs(as.ChargeRefs); err != nil {
			return err
		}
		st.autopays[a.ID] = &a
		st.autopayOrder = append(st.autopayOrder, &a)
	}
	for _, ss := range snap.Sessions {
		s := st.sessions[ss.ID]
		if s.Payments, err = txs(ss.PaymentRefs); err != nil {
			return err
		}
		if s.RecurringCharges, err = txs(ss.RecurringRefs); err != nil {
			return err
		}
		if s.Token = st.tokens[ss.TokenRef]; ss.TokenRef != "" && s.Token == nil {
			return fmt.Errorf("sandbox: restore: session %d of no token", s.ID)
		}
		if s.Enrolled = st.autopays[ss.EnrolledID]; ss.EnrolledID != "" && s.Enrolled == nil {
			return fmt.Errorf("sandbox: restore: session %d of no autopay %s", s.ID, ss.EnrolledID)
		}
	}
	for _, id := range snap.Open {
		if st.open[id] = st.sessions[id]; st.open[id] == nil {
			return fmt.Errorf("sandbox: restore: no open session %d", id)
		}
	}
	for _, c := range snap.Collects {
		st.collects[c.collectKey] = c.collectRecord
	}
	if st.approvals, err = txs(snap.Approvals); err != nil {
		return err
	}
	for i := range snap.Notifications {
		n := snap.Notifications[i].notification
		n.duplicate = snap.Notifications[i].Duplicate
		st.outbox = append(st.outbox, &n)
		if n.Outcome == "pending" || (n.Outcome == "sending" && len(n.Deliveries) == 0) {
			n.Outcome = "pending"
			st.unsent = append(st.unsent, &n)
		}
	}
	st.autopayCalls = snap.AutopayCalls
	for _, c := range st.autopayCalls {
		if c.Outcome == "pending" && len(c.Deliveries) == 0 && c.Kind == "webhook" {
			st.autopayUnsent = append(st.autopayUnsent, c)
		}
	}
	faults := newFaultState(snap.Faults)
	if len(snap.FaultsState) > 0 {
		if err := faults.src.UnmarshalBinary(snap.FaultsState); err != nil {
			return fmt.Errorf("sandbox: restore: faults: %w", err)
		}
	}
	if d := snap.ClockOffset - sb.clock.Offset(); d > 0 {
		if _, err := sb.clock.Advance(d); err != nil {
			return err
		}
	}
	sb.store, sb.faults = st, faults
	return nil
}
