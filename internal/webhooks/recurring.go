package webhooks

import (
	"bytes"
	"encoding/json"
	"strconv"

	"github.com/placetopay-gateway/gateway/internal/orders"
	"github.com/placetopay-gateway/gateway/internal/placetopay"
)

// recurringCharge reads what a verified recurring-charge notification says of the charge and
// of its recurrence ({"tries": 2, "enabled": 0}, docs/placetopay.md#recurring-charge-notifications). Unreadable recurrence
// fields are left out, never guessed.
func recurringCharge(note orders.Notification, n placetopay.Notification) orders.RecurringNotification {
	out := orders.RecurringNotification{Notification: note, Reason: string(n.Status.Reason), Message: string(n.Status.Message)}
	if t, err := n.Status.Time(); err == nil {
		out.Date = t
	}
	rec := n.Recurring
	if rec == nil {
		return out
	}
	if v, ok := flexInt(rec.Tries); ok {
		out.Tries = &v
	}
	switch e := string(bytes.TrimSpace(rec.Enabled)); e {
	case "true", "1", `"1"`, `"true"`:
		out.Enabled = ptr(true)
	case "false", "0", `"0"`, `"false"`:
		out.Enabled = ptr(false)
	}
	return out
}

// flexInt reads a whole number sent as a JSON number or a numeric string.
func flexInt(raw json.RawMessage) (int, bool) {
	s := string(bytes.Trim(bytes.TrimSpace(raw), `"`))
	v, err := strconv.Atoi(s)
	return v, err == nil && v >= 0
}

func ptr[T any](v T) *T { return &v }
