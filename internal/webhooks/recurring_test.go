package webhooks

import (
	"encoding/json"
	"testing"

	"github.com/placetopay-gateway/gateway/internal/orders"
	"github.com/placetopay-gateway/gateway/internal/placetopay"
)

func TestRecurringCharge(t *testing.T) {
	for _, c := range []struct {
		recurring string
		tries     int // -1: absent
		enabled   int // -1: absent, 0 false, 1 true
	}{
		{`{"tries": 2, "enabled": 0}`, 2, 0},
		{`{"tries": "3", "enabled": true}`, 3, 1},
		{`{"tries": 1, "enabled": "1"}`, 1, 1},
		{`{"tries": -1, "enabled": "maybe"}`, -1, -1},
		{`null`, -1, -1},
		{``, -1, -1},
	} {
		var rec *placetopay.Recurrence
		if c.recurring != "" {
			if err := json.Unmarshal([]byte(c.recurring), &rec); err != nil {
				t.Fatal(err)
			}
		}
		n := placetopay.Notification{
			Status:    placetopay.Status{Status: "APPROVED", Reason: "00", Message: "Approved", Date: "2026-03-02T10:00:00-05:00"},
			Recurring: rec,
		}
		got := recurringCharge(orders.Notification{InternalReference: 9}, n)
		if got.InternalReference != 9 || got.Reason != "00" || got.Message != "Approved" || got.Date.IsZero() {
			t.Errorf("%s: charge %+v lost the notification's facts", c.recurring, got)
		}
		tries := -1
		if got.Tries != nil {
			tries = *got.Tries
		}
		if tries != c.tries {
			t.Errorf("%s: tries %d, want %d", c.recurring, tries, c.tries)
		}
		enabled := -1
		if got.Enabled != nil {
			enabled = 0
			if *got.Enabled {
				enabled = 1
			}
		}
		if enabled != c.enabled {
			t.Errorf("%s: enabled %d, want %d", c.recurring, enabled, c.enabled)
		}
	}
}
