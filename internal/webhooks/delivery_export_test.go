package webhooks

import (
	"context"
	"time"

	"github.com/placetopay-gateway/gateway/internal/webhooks/webhooksdb"
)

// Delivery constants, for tests that reason about them.
const (
	BatchSizeForTest   = batchSize
	RetryWindowForTest = retryWindow
	ClaimLeaseForTest  = claimLease
	MaxBackoffForTest  = maxBackoff
	BaseBackoffForTest = baseBackoff
)

// BackoffForTest is the production backoff.
var BackoffForTest = Backoff

// SetTimingForTest replaces the deliverer's POST timeout, pause between passes and backoff;
// a zero or nil value keeps the current one.
func (d *Deliverer) SetTimingForTest(timeout, poll time.Duration, backoff func(attempt int) time.Duration) {
	if timeout > 0 {
		d.timeout = timeout
	}
	if poll > 0 {
		d.poll = poll
	}
	if backoff != nil {
		d.backoff = backoff
	}
}

// TimeoutForTest is the deliverer's POST timeout.
func (d *Deliverer) TimeoutForTest() time.Duration { return d.timeout }

// ClaimOnlyForTest claims due events like a pass and then does nothing with them, as a
// replica that crashes right after its claim would.
func (d *Deliverer) ClaimOnlyForTest(ctx context.Context) (int, error) {
	now := d.now()
	rows, err := d.q.ClaimEvents(ctx, d.pool, webhooksdb.ClaimEventsParams{Now: now, LeaseUntil: now.Add(d.lease), MaxRows: batchSize})
	return len(rows), err
}
