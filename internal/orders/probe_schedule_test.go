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
