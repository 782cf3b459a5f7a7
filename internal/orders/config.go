package orders

import "time"

// Config tunes the money path; every part takes the same.
type Config struct {
	PublicURL     string        // GATEWAY_PUBLIC_URL: sessions return to PublicURL/return/{orderId}
	ProbeInterval time.Duration // GATEWAY_PROBE_INTERVAL
	// ConfirmationWindow is how long PlacetoPay waits for a PENDING_CONFIRMATION payment to
	// be confirmed (GATEWAY_CONFIRMATION_WINDOW; 30 minutes when zero).
	ConfirmationWindow time.Duration
	// BrowserRefreshEvery is the least time between two queries of one session that a
	// browser triggers (RefreshOrderIfStale); 5 seconds when zero.
	BrowserRefreshEvery time.Duration
	// CallTimeout is how long one PlacetoPay call may take (PLACETOPAY_TIMEOUT; 15 s when
	// zero): an action still requested well after it was sent belongs to a process that died.
	CallTimeout time.Duration
	// RefundChecks is when, after payment, a paid session is queried again for refunds made
	// outside the gateway (GATEWAY_REFUND_CHECKS), in increasing order; none: never.
	RefundChecks []time.Duration
	Clock        func() time.Time // time.Now when nil
}

// defaultConfirmationWindow is PlacetoPay's window when Config does not say.
const defaultConfirmationWindow = 30 * time.Minute

// defaultBrowserRefreshEvery spaces the queries browsers trigger: a shopper reloading the
// return page, or a page polling the order with its client secret, learns of a payment within
// seconds, while nobody can make the gateway query PlacetoPay as often as they send requests.
const defaultBrowserRefreshEvery = 5 * time.Second

func (c Config) withDefaults() Config {
	if c.PublicURL == "" || c.ProbeInterval <= 0 {
		panic("orders: the money path needs a public URL and a probe interval")
	}
	if c.Clock == nil {
		c.Clock = time.Now
	}
	if c.ConfirmationWindow <= 0 {
		c.ConfirmationWindow = defaultConfirmationWindow
	}
	if c.BrowserRefreshEvery <= 0 {
		c.BrowserRefreshEvery = defaultBrowserRefreshEvery
	}
	return c
}

// sweepEvery is how often the prober looks for due sessions: a quarter of the probe
// interval, between 50 ms and 5 s.
func (c Config) sweepEvery() time.Duration {
	return min(max(c.ProbeInterval/4, 50*time.Millisecond), 5*time.Second)
}

// actionGone is how long after it was written a requested action must have been settled by
// the process that sent it (its call timed out, and its answer was written): older, that
// process died mid-call.
func (c Config) actionGone() time.Duration { return 2*c.CallTimeout + 5*time.Second }
