package main

import (
	"fmt"
	"strings"
	"time"
)

// refundChecks is GATEWAY_REFUND_CHECKS: when, after payment, a paid session is queried
// again for refunds made outside the gateway. "off" is none.
type refundChecks []time.Duration

// Bounds of the refund checks: a check at least a minute after payment (the payment's own
// queries come first), at most a year after it, and a handful of them.
const (
	minRefundCheck  = time.Minute
	maxRefundCheck  = 366 * 24 * time.Hour
	maxRefundChecks = 20
)

// UnmarshalText reads comma-separated Go durations in increasing order, or "off".
func (r *refundChecks) UnmarshalText(b []byte) error {
	s := strings.TrimSpace(string(b))
	if s == "off" {
		*r = refundChecks{}
		return nil
	}
	parts := strings.Split(s, ",")
	if len(parts) > maxRefundChecks {
		return fmt.Errorf("at most %d checks, not %d", maxRefundChecks, len(parts))
	}
	out := make(refundChecks, 0, len(parts))
	for _, p := range parts {
		d, err := time.ParseDuration(strings.TrimSpace(p))
		switch {
		case err != nil:
			return fmt.Errorf("%q is not a Go duration (1h, 72h); the list is comma-separated durations after payment, or off", strings.TrimSpace(p))
		case d < minRefundCheck || d > maxRefundCheck:
			return fmt.Errorf("%s is not between %s and %s after payment", d, minRefundCheck, maxRefundCheck)
		case len(out) > 0 && d <= out[len(out)-1]:
			return fmt.Errorf("%s comes after %s: the checks must be in increasing order", d, out[len(out)-1])
		}
		out = append(out, d)
	}
	*r = out
	return nil
}

// String is the list as GATEWAY_REFUND_CHECKS takes it.
func (r refundChecks) String() string {
	if len(r) == 0 {
		return "off"
	}
	parts := make([]string, len(r))
	for i, d := range r {
		parts[i] = d.String()
	}
	return strings.Join(parts, ",")
}
