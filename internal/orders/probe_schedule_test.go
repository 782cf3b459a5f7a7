package orders

import (
	"testing"
	"time"
)

// TestScheduleGivesUpAfterTheTail: a session whose transaction PlacetoPay still reports
// pending is checked on a tail that slows to hourly after its expiry, and not for ever: a
// week after its expiry the probe stops and says so.
func TestScheduleGivesUpAfterTheTail(t *testing.T) {
	cfg := Config{PublicURL: "http://gw.test", ProbeInterval: time.Minute}.withDefaults()
	expires := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	sess := Session{Attempt: AttemptClosed, ExpiresAt: expires}
	info := ProviderSession{Status: ProviderPending, Payments: []ProviderPayment{{Status: ProviderPending}}}
	for _, c := range []struct {
		after      time.Duration
		wantNext   time.Duration // 0: none
		wantGaveUp bool
	}{
		{time.Minute, time.Minute - cfg.sweepEvery(), false},
		{2 * time.Hour, 30 * time.Minute, false},
		{3 * 24 * time.Hour, time.Hour, false},
		{8 * 24 * time.Hour, 0, true},
	} {
		now := expires.Add(c.after)
		_, next, gaveUp := schedule(cfg, sess, info, now)
		var got time.Duration
		if next != nil {
			got = next.Sub(now)
		}
		if got != c.wantNext || gaveUp != c.wantGaveUp {
			t.Errorf("%s after expiry: next in %s, gave up %v; want %s, %v", c.after, got, gaveUp, c.wantNext, c.wantGaveUp)
		}
	}
}

// TestAbandonedSessionCostsAtMostTenQueriesAndEveryApprovalIsSeenInTime simulates the probe
// on a payment session nobody pays, for sessions of 5 minutes to a day, with checks running
// on time or a whole sweep late, and PlacetoPay rejecting the session at its expiry or 30 s
// after it (its clock behind ours): the session costs at most 10 queries, and an approval at
// any second of its life would be seen by the next check no later than max(interval, k·age)
// after it, k being no more than the table in docs/benchmarks.md says.
func TestAbandonedSessionCostsAtMostTenQueriesAndEveryApprovalIsSeenInTime(t *testing.T) {
	cfg := Config{PublicURL: "http://gw.test", ProbeInterval: time.Minute}.withDefaults()
	created := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		life    time.Duration
		maxK    float64
		queries int // when every check runs on time and PlacetoPay rejects at the expiry
	}{
		{5 * time.Minute, 0, 6},
		{30 * time.Minute, 0.51, 9},
		{2 * time.Hour, 0.84, 9},
		{24 * time.Hour, 1.53, 9},
	} {
		plan := PlanAbandoned(cfg.ProbeInterval, tc.life)
		if plan.Factor > tc.maxK || len(plan.Checks) != tc.queries {
			t.Errorf("%s: k = %.2f over %d queries, want k ≤ %.2f over %d", tc.life, plan.Factor, len(plan.Checks), tc.maxK, tc.queries)
		}
		for _, lag := range []time.Duration{0, cfg.sweepEvery()} {
			for _, skew := range []time.Duration{0, 30 * time.Second} {
				sess := Session{Kind: KindPayment, Attempt: AttemptOpen, Status: ProviderPending, CreatedAt: created, ExpiresAt: created.Add(tc.life)}
				var checks []time.Time
				for now := created.Add(cfg.firstCheck() + lag); ; {
					checks = append(checks, now)
					info := ProviderSession{Status: ProviderPending}
					if !now.Before(sess.ExpiresAt.Add(skew)) {
						info.Status = ProviderRejected
					}
					_, next, _ := schedule(cfg, sess, info, now)
					if next == nil || len(checks) > 50 {
						break
					}
					if !next.After(now) {
						t.Fatalf("%s: a check at %s is next due at %s", tc.life, now, next)
					}
					now = next.Add(lag)
				}
				if len(checks) > abandonedBudget {
					t.Errorf("%s, checks %s late, PlacetoPay %s late: %d queries, want at most %d", tc.life, lag, skew, len(checks), abandonedBudget)
				}
				i := 0
				for at := created.Add(time.Second); !at.After(sess.ExpiresAt); at = at.Add(time.Second) {
					for i < len(checks) && checks[i].Before(at) {
						i++
					}
					bound := detectionBound(cfg, plan.Factor, at.Sub(created))
					if i == len(checks) || checks[i].Sub(at) > bound {
						t.Fatalf("%s, checks %s late: an approval at age %s is not seen within %s", tc.life, lag, at.Sub(created), bound)
					}
				}
			}
		}
	}
}

// TestPendingTransactionKeepsTheProbeInterval: a session with a transaction pending is
// checked every interval before its expiry too, however old it is.
func TestPendingTransactionKeepsTheProbeInterval(t *testing.T) {
	cfg := Config{PublicURL: "http://gw.test", ProbeInterval: time.Minute}.withDefaults()
	created := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	sess := Session{Kind: KindPayment, Attempt: AttemptOpen, Status: ProviderPending, CreatedAt: created, ExpiresAt: created.Add(24 * time.Hour)}
	now := created.Add(10 * time.Hour)
	info := ProviderSession{Status: ProviderPending, Payments: []ProviderPayment{{Status: ProviderPending}}}
	if _, next, _ := schedule(cfg, sess, info, now); next == nil || next.Sub(now) != cfg.firstCheck() {
		t.Errorf("pending transaction: next check %v after 10h, want in %s", next, cfg.firstCheck())
	}
	info.Payments = nil
	if _, next, _ := schedule(cfg, sess, info, now); next == nil || next.Sub(now) < 10*time.Hour {
		t.Errorf("nothing pending: next check %v after 10h, want at least 10h later (k·age)", next)
	}
}
