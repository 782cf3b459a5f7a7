package webhooks_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/placetopay-gateway/gateway/internal/orders"
	"github.com/placetopay-gateway/gateway/internal/placetopay"
)

// A notification stores its row and marks the session for a check ahead of routine ones, in
// one statement: a session due later is brought forward to now, one already marked keeps its
// place in the queue, and a duplicate is counted, not stored again.
func TestReceiveMakesTheSessionDue(t *testing.T) {
	ctx := context.Background()
	const reference, secret = "ORDER-DUE-1", "due-test-site-secret"
	pool, in := inboxWithSession(t, reference, secret, orders.Money{Minor: 5000, Currency: "USD"})
	body := func(date string) []byte {
		sig, err := placetopay.NotificationSignature(placetopay.SHA256, benchRequestID, "APPROVED", date, secret)
		if err != nil {
			t.Fatal(err)
		}
		return fmt.Appendf(nil, `{"status":{"status":"APPROVED","reason":"00","message":"ok","date":%q},"requestId":%d,"reference":%q,"signature":%q}`,
			date, benchRequestID, reference, sig)
	}
	setNext := func(sql string) {
		if _, err := pool.Exec(ctx, `UPDATE checkout_sessions SET next_check_at = `+sql+` WHERE request_id = $1`, benchRequestID); err != nil {
			t.Fatal(err)
		}
	}
	next := func() (due bool, at time.Time) {
		if err := pool.QueryRow(ctx, `SELECT next_check_at <= now(), next_check_at FROM checkout_sessions WHERE request_id = $1`,
			benchRequestID).Scan(&due, &at); err != nil {
			t.Fatal(err)
		}
		return due, at
	}
	rows := func() (n, dups int) {
		if err := pool.QueryRow(ctx, `SELECT count(*), coalesce(sum(duplicates), 0) FROM notifications`).Scan(&n, &dups); err != nil {
			t.Fatal(err)
		}
		return n, dups
	}

	setNext("now() + interval '1 hour'")
	if err := in.Receive(ctx, body("2026-03-10T09:31:12-05:00")); err != nil {
		t.Fatal(err)
	}
	if due, _ := next(); !due {
		t.Error("a session due in an hour is not due after a notification")
	}
	var notified bool
	if err := pool.QueryRow(ctx, `SELECT notified_at IS NOT NULL FROM checkout_sessions WHERE request_id = $1`, benchRequestID).Scan(&notified); err != nil || !notified {
		t.Errorf("notified_at set: %v, %v; want the session marked for the notified queue", notified, err)
	}

	setNext("now() - interval '10 seconds'")
	_, before := next()
	if err := in.Receive(ctx, body("2026-03-10T09:31:13-05:00")); err != nil {
		t.Fatal(err)
	}
	if due, after := next(); !due || !after.Equal(before) {
		t.Errorf("an already due session: next check %s -> %s (due %v), want it left where it was", before, after, due)
	}

	if err := in.Receive(ctx, body("2026-03-10T09:31:13-05:00")); err != nil {
		t.Fatal(err)
	}
	if n, dups := rows(); n != 2 || dups != 1 {
		t.Errorf("notifications: %d rows with %d duplicates, want 2 rows and 1 duplicate", n, dups)
	}
}

// TestReplaysCostNoQuery: a replayed notification (a duplicate) only counts, and one dated
// before the session's last check (an old notification of a session already settled) is
// kept but asks for no query: neither can make PlacetoPay be queried again.
func TestReplaysCostNoQuery(t *testing.T) {
	ctx := context.Background()
	const reference, secret = "ORDER-REPLAY-1", "replay-test-site-secret"
	pool, in := inboxWithSession(t, reference, secret, orders.Money{Minor: 5000, Currency: "USD"})
	body := func(date string) []byte {
		sig, err := placetopay.NotificationSignature(placetopay.SHA256, benchRequestID, "APPROVED", date, secret)
		if err != nil {
			t.Fatal(err)
		}
		return fmt.Appendf(nil, `{"status":{"status":"APPROVED","reason":"00","message":"ok","date":%q},"requestId":%d,"reference":%q,"signature":%q}`,
			date, benchRequestID, reference, sig)
	}
	// As the probe leaves a session it has just checked: not due for an hour, not marked.
	checked := func() {
		if _, err := pool.Exec(ctx, `UPDATE checkout_sessions SET next_check_at = now() + interval '1 hour',
			notified_at = NULL, last_checked_at = now() WHERE request_id = $1`, benchRequestID); err != nil {
			t.Fatal(err)
		}
	}
	marked := func() bool {
		var m bool
		if err := pool.QueryRow(ctx, `SELECT notified_at IS NOT NULL OR next_check_at <= now() FROM checkout_sessions WHERE request_id = $1`,
			benchRequestID).Scan(&m); err != nil {
			t.Fatal(err)
		}
		return m
	}

	checked()
	if err := in.Receive(ctx, body("2019-06-01T10:00:00-05:00")); err != nil {
		t.Fatal(err)
	}
	if marked() {
		t.Error("a notification dated 2019 made a session checked today due")
	}

	fresh := body(time.Now().Format(time.RFC3339))
	if err := in.Receive(ctx, fresh); err != nil {
		t.Fatal(err)
	}
	if !marked() {
		t.Fatal("a new notification did not make the session due")
	}
	checked()
	for range 50 {
		if err := in.Receive(ctx, fresh); err != nil {
			t.Fatal(err)
		}
	}
	if marked() {
		t.Error("50 replays of a notification already applied made the session due again")
	}
	var rows, dups int
	if err := pool.QueryRow(ctx, `SELECT count(*), coalesce(sum(duplicates), 0) FROM notifications`).Scan(&rows, &dups); err != nil {
		t.Fatal(err)
	}
	if rows != 2 || dups != 50 {
		t.Errorf("notifications: %d rows, %d duplicates; want 2 rows (both kept) and 50 duplicates", rows, dups)
	}
}
