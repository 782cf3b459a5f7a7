package webhooks

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/placetopay-gateway/gateway/internal/webhooks/webhooksdb"
)

// Event is an event as the merchant sees it, in GET /v1/events and as the body of a
// delivery: the same JSON in both. It is about an order (orderId) or, for the autopay.*
// types, about an autopay enrolment (enrolmentId): exactly one of the two is set.
type Event struct {
	ID          uuid.UUID       `json:"id"`
	Type        string          `json:"type"`
	OrderID     uuid.UUID       `json:"orderId,omitzero"`
	EnrolmentID uuid.UUID       `json:"enrolmentId,omitzero"`
	Data        json.RawMessage `json:"data"`
	CreatedAt   time.Time       `json:"createdAt"`
}

// newEvent is the Event of an outbox row; orderID or autopayID is nil.
func newEvent(id uuid.UUID, typ string, orderID, autopayID *uuid.UUID, data []byte, createdAt time.Time) Event {
	ev := Event{ID: id, Type: typ, Data: data, CreatedAt: createdAt.UTC()}
	if orderID != nil {
		ev.OrderID = *orderID
	}
	if autopayID != nil {
		ev.EnrolmentID = *autopayID
	}
	return ev
}

// Page sizes of the events feed.
const (
	DefaultListLimit = 50
	MaxListLimit     = 100
)

// ErrInvalidCursor is returned by EventLog.List for an after cursor this API did not return.
var ErrInvalidCursor = errors.New("webhooks: not a cursor of the events feed")

// ErrCursorExpired is returned by EventLog.List for an after cursor behind an event that the
// retention has deleted since: the reader would miss it, so it is told instead.
var ErrCursorExpired = errors.New("webhooks: the cursor is behind events deleted by the retention")

// EventPage is one page of the events feed.
//
// Next is never empty: it is the cursor of the last event in Events or, when Events is
// empty, the cursor the page was read after (for a first read, the start of the feed: just
// after the events the retention deleted, if any). A
// client that always passes Next as the next read's after therefore sees every event exactly
// once, however short the pages, without ever special-casing the end of the feed. A page
// shorter than the limit means the client has caught up for now.
type EventPage struct {
	Events []Event
	Next   string
}

// EventFilter narrows the feed: to one order's events, and to some types (none: every
// type). The cursors are the feed's: a filtered read may continue an unfiltered one, and an
// empty filtered page keeps the cursor it was read after.
type EventFilter struct {
	OrderID *uuid.UUID
	Types   []string
}

// EventLog reads the events outbox.
type EventLog struct {
	pool *pgxpool.Pool
	q    *webhooksdb.Queries
}

// NewEventLog returns an EventLog on pool.
func NewEventLog(pool *pgxpool.Pool) *EventLog {
	if pool == nil {
		panic("webhooks: NewEventLog needs a pool")
	}
	return &EventLog{pool: pool, q: webhooksdb.New()}
}

// List returns up to limit events after the cursor after ("" for the start of the feed),
// oldest first. An event is listed only once every transaction that could still commit an
// event sorting before it has ended (see ListEvents in queries.sql), so a cursor is never
// passed by a late commit: no event is skipped, none repeated. The price is that one long
// write transaction anywhere on the database server holds back events committed after it
// began, until it ends.
//
// The retention deletes events from the start of the feed only (internal/retention): a
// cursor behind an event it deleted is ErrCursorExpired, since reading on after it would
// skip that event without a word. Reading from the start ("") reads after the deleted
// events, and is never refused.
func (l *EventLog) List(ctx context.Context, after string, limit int, f EventFilter) (EventPage, error) {
	if limit < 1 || limit > MaxListLimit {
		return EventPage{}, fmt.Errorf("webhooks: list events: limit %d is not between 1 and %d", limit, MaxListLimit)
	}
	pos, err := decodeCursor(after)
	if err != nil {
		return EventPage{}, err
	}
	var deleted position // the last event the retention deleted; the zero position for none
	switch row, err := l.q.DeletedUpTo(ctx, l.pool); {
	case err == nil:
		deleted = position{tx: row.Tx, seq: row.Seq}
	case !errors.Is(err, pgx.ErrNoRows):
		return EventPage{}, fmt.Errorf("webhooks: list events: retention: %w", err)
	}
	switch {
	case after == "":
		pos = deleted
	case pos.before(deleted):
		return EventPage{}, ErrCursorExpired
	}
	rows, err := l.q.ListEvents(ctx, l.pool, webhooksdb.ListEventsParams{
		AfterTx: pos.tx, AfterSeq: pos.seq, MaxRows: int32(limit), OrderID: f.OrderID, Types: f.Types,
	})
	if err != nil {
		return EventPage{}, fmt.Errorf("webhooks: list events: %w", err)
	}
	page := EventPage{Events: make([]Event, 0, len(rows)), Next: encodeCursor(pos)}
	for _, r := range rows {
		page.Events = append(page.Events, newEvent(r.ID, r.Type, r.OrderID, r.AutopayID, r.Data, r.CreatedAt))
	}
	if n := len(rows); n > 0 {
		page.Next = encodeCursor(position{tx: rows[n-1].Tx, seq: rows[n-1].Seq})
	}
	return page, nil
}

// position is a place in the feed: the last event read, by writing transaction and seq.
type position struct {
	tx, seq int64
}

// before reports whether p comes before q in the feed's (tx_id, seq) order.
func (p position) before(q position) bool {
	return p.tx < q.tx || (p.tx == q.tx && p.seq < q.seq)
}

// cursorPrefix versions the cursor format.
const cursorPrefix = "e1:"

func encodeCursor(p position) string {
	return base64.RawURLEncoding.EncodeToString([]byte(cursorPrefix + strconv.FormatInt(p.tx, 10) + "." + strconv.FormatInt(p.seq, 10)))
}

func decodeCursor(c string) (position, error) {
	if c == "" {
		return position{}, nil
	}
	raw, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil {
		return position{}, ErrInvalidCursor
	}
	rest, ok := strings.CutPrefix(string(raw), cursorPrefix)
	if !ok {
		return position{}, ErrInvalidCursor
	}
	txText, seqText, ok := strings.Cut(rest, ".")
	if !ok {
		return position{}, ErrInvalidCursor
	}
	tx, err1 := strconv.ParseInt(txText, 10, 64)
	seq, err2 := strconv.ParseInt(seqText, 10, 64)
	if err1 != nil || err2 != nil || tx < 0 || seq < 0 {
		return position{}, ErrInvalidCursor
	}
	return position{tx: tx, seq: seq}, nil
}
