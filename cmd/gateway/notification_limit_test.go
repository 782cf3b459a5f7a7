package main

import "testing"

// GATEWAY_NOTIFICATION_LIMIT: 0 is twice the pool's size, -1 no limit, anything else as given.
func TestNotificationLimitDefaultsToTwiceThePoolSize(t *testing.T) {
	for _, tt := range []struct {
		configured int
		pool       int32
		want       int
	}{
		{0, 4, 8},
		{0, 16, 32},
		{-1, 4, 0},
		{32, 4, 32},
	} {
		if got := notificationLimit(tt.configured, tt.pool); got != tt.want {
			t.Errorf("notificationLimit(%d, pool %d) = %d, want %d", tt.configured, tt.pool, got, tt.want)
		}
	}
	for v, ok := range map[string]bool{"-2": false, "100001": false, "-1": true, "0": true, "64": true} {
		_, err := loadConfig([]string{"GATEWAY_ENV=development", "GATEWAY_NOTIFICATION_LIMIT=" + v})
		if (err == nil) != ok {
			t.Errorf("GATEWAY_NOTIFICATION_LIMIT=%s: error %v, want an error: %v", v, err, !ok)
		}
	}
}
