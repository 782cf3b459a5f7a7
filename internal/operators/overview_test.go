package operators_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/placetopay-gateway/gateway/internal/operators"
	"github.com/placetopay-gateway/gateway/internal/pgtest"
	"github.com/placetopay-gateway/gateway/internal/tokens"
)

// overviewFixture writes, through SQL, an order with a session and its payments, as the
// reconciler leaves them.
type overviewFixture struct {
	t    *testing.T
	pool *pgxpool.Pool
}

func (f overviewFixture) order(status string, requestID int64) (orderID, sessionID uuid.UUID) {
	f.t.Helper()
	ctx := context.Background()
	orderID, sessionID = uuid.New(), uuid.New()
	if _, err := f.pool.Exec(ctx, `INSERT INTO orders (id, reference, currency, total_minor, status, client_secret_hash)
		VALUES ($1, $2, 'USD', 1000, $3, sha256('x'))`, orderID, orderID.String()[:8], status); err != nil {
		f.t.Fatal(err)
	}
	if _, err := f.pool.Exec(ctx, `INSERT INTO checkout_sessions (id, order_id, attempt, request_id, status, currency, total_minor, expires_at)
		VALUES ($1, $2, 'closed', $3, 'APPROVED', 'USD', 1000, now() + interval '1 hour')`, sessionID, orderID, requestID); err != nil {
		f.t.Fatal(err)
	}
	return orderID, sessionID
}

func (f overviewFixture) payment(orderID, sessionID uuid.UUID, ref int64, status string, at time.Time) {
	f.t.Helper()
	if _, err := f.pool.Exec(context.Background(), `INSERT INTO payments (id, order_id, session_id, internal_reference, status, currency, amount_minor, provider_date)
		VALUES ($1, $2, $3, $4, $5, 'USD', 1000, $6)`, uuid.New(), orderID, sessionID, ref, status, at); err != nil {
		f.t.Fatal(err)
	}
}

func (f overviewFixture) notification(requestID int64, algorithm string, at time.Time) {
	f.t.Helper()
	if _, err := f.pool.Exec(context.Background(), `INSERT INTO notifications (request_id, status, signature_algorithm, dedupe_key, body, received_at)
		VALUES ($1, 'APPROVED', $2, $3, '{}', $4)`, requestID, algorithm, []byte(uuid.NewString()), at); err != nil {
		f.t.Fatal(err)
	}
}

// TestOverviewCountsWhatTheHomePageShows: the saved searches' counts, today's approvals and
// rate, approvals found without a notification, the SHA-1 share and the approvals per hour
// each count what they say and nothing older than their window.
func TestOverviewCountsWhatTheHomePageShows(t *testing.T) {
	pool := pgtest.Pool(t)
	now := time.Date(2026, 12, 5, 15, 30, 0, 0, time.UTC)
	svc := operators.NewService(pool, tokens.Generate(), false, func() time.Time { return now })
	f := overviewFixture{t: t, pool: pool}
	today := time.Date(2026, 12, 5, 0, 0, 0, 0, time.UTC)

	// Notified, approved an hour ago.
	o1, s1 := f.order("paid", 101)
	f.payment(o1, s1, 1, "APPROVED", now.Add(-time.Hour))
	f.notification(101, "sha256", now.Add(-time.Hour))
	// Found by the probe (no notification), approved this hour; and a rejected one today.
	o2, s2 := f.order("review", 102)
	f.payment(o2, s2, 2, "APPROVED", now.Add(-10*time.Minute))
	f.payment(o2, s2, 3, "REJECTED", now.Add(-20*time.Minute))
	// Yesterday, outside today's figures but inside the last 24 hours; signed with SHA-1.
	o3, s3 := f.order("paid", 103)
	f.payment(o3, s3, 4, "APPROVED", now.Add(-20*time.Hour))
	f.notification(103, "sha1", now.Add(-20*time.Hour))
	// Two days ago: in no window, except the probe-found search (which has none).
	o4, s4 := f.order("paid", 104)
	f.payment(o4, s4, 5, "APPROVED", now.Add(-48*time.Hour))

	ov, err := svc.OverviewOf(context.Background(), today)
	if err != nil {
		t.Fatal(err)
	}
	if ov.Attention[operators.FilterReview] != 1 || ov.Attention[operators.FilterProbeFound] != 2 || ov.Attention[operators.FilterUndelivered] != 0 {
		t.Errorf("attention = %v, want review 1, probe_found 2 (o2 and o4), undelivered 0", ov.Attention)
	}
	if ov.ApprovedToday != 2 || ov.DecidedToday != 3 {
		t.Errorf("today approved %d of %d, want 2 of 3", ov.ApprovedToday, ov.DecidedToday)
	}
	if rate, ok := ov.ApprovalRate(); !ok || rate != 66 {
		t.Errorf("approval rate = %d, %t; want 66", rate, ok)
	}
	if ov.MissedNotifications != 1 {
		t.Errorf("missed notifications = %d, want 1 (o2's; o4's is older than 24 h)", ov.MissedNotifications)
	}
	if share, ok := ov.SHA1Share(); ov.Notifications != 2 || !ok || share != 50 {
		t.Errorf("notifications %d, SHA-1 share %d%%, want 2 and 50%%", ov.Notifications, share)
	}
	if len(ov.ApprovalsPerHour) != 24 || !ov.ApprovalsPerHour[0].Hour.Equal(time.Date(2026, 12, 4, 16, 0, 0, 0, time.UTC)) {
		t.Fatalf("hours = %d from %v", len(ov.ApprovalsPerHour), ov.ApprovalsPerHour[0].Hour)
	}
	want := map[int]int{23: 1, 22: 1, 3: 1} // 15:20, 14:30, and 19:30 yesterday
	for i, h := range ov.ApprovalsPerHour {
		if h.Count != want[i] {
			t.Errorf("hour %d (%s): %d approvals, want %d", i, h.Hour.Format("15:04"), h.Count, want[i])
		}
	}
}
