package sandbox

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"time"
)

// store is the sandbox's memory. Every field is guarded by Sandbox.mu.
type store struct {
	nextID   int64                  // the next requestId and internalReference
	sessions map[int64]*session     // by requestId
	open     map[int64]*session     // sessions not yet in a final state
	txs      map[int64]*transaction // by internalReference
	tokens   map[string]*token      // by token and by subtoken
	collects map[collectKey]collectRecord
	autopays map[string]*autopay // by id
	// autopayOrder lists autopays oldest first, for search.
	autopayOrder []*autopay
	// approvals lists every transaction that was approved, in the order it happened.
	approvals []*transaction
	outbox    []*notification // every notification, in the order they were decided
	unsent    []*notification // those waiting to be sent
	// autopayCalls lists every autopay webhook and settlement decided; autopayUnsent the
	// webhooks waiting to be posted.
	autopayCalls  []*AutopayCall
	autopayUnsent []*AutopayCall
}

func newStore(idStart int64) store {
	return store{
		nextID:   idStart,
		sessions: map[int64]*session{},
		open:     map[int64]*session{},
		txs:      map[int64]*transaction{},
		tokens:   map[string]*token{},
		collects: map[collectKey]collectRecord{},
		autopays: map[string]*autopay{},
	}
}

// collectKey is what /api/collect is idempotent on for 24 hours (docs/placetopay.md#collect).
type collectKey struct {
	Reference string
	Amount    money
}

type collectRecord struct {
	SessionID int64
	At        time.Time
}

func (st *store) newID() int64 {
	id := st.nextID
	st.nextID++
	return id
}

// sessionLocked returns session id brought up to now, or nil.
func (sb *Sandbox) sessionLocked(id int64, now time.Time) *session {
	s := sb.sessions[id]
	if s != nil {
		sb.advanceLocked(s, now)
	}
	return s
}

// txLocked returns transaction ref with its session brought up to now, or nil.
func (sb *Sandbox) txLocked(ref int64, now time.Time) *transaction {
	t := sb.txs[ref]
	if t != nil && t.Session != nil {
		sb.advanceLocked(t.Session, now)
	}
	return t
}

// newTxLocked records a new transaction of s (nil for autopay charges).
func (sb *Sandbox) newTxLocked(s *session, kind txKind, amount money, c card) *transaction {
	t := &transaction{
		Ref: sb.newID(), Session: s, Kind: kind, Amount: amount, Card: c,
		Receipt: randomDigits(12),
	}
	sb.txs[t.Ref] = t
	return t
}

// newTokenLocked tokenizes card c, paid on session s.
func (sb *Sandbox) newTokenLocked(s *session, c card, now time.Time) *token {
	tok := &token{
		Token: randomHex(32), Subtoken: randomDigits(16), Card: c, ReturnURL: s.ReturnURL,
		ValidUntil: fmt.Sprintf("%d-12-31", now.Year()+4), Login: s.Login,
	}
	sb.tokens[tok.Token] = tok
	sb.tokens[tok.Subtoken] = tok
	return tok
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read never fails
	return hex.EncodeToString(b)
}

func randomDigits(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	for i := range b {
		b[i] = '0' + b[i]%10
	}
	if b[0] == '0' {
		b[0] = '1'
	}
	return string(b)
}

// randomUUID returns a version 4 UUID.
func randomUUID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b)
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}
