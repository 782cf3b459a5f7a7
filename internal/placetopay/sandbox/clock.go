package sandbox

import (
	"fmt"
	"sync"
	"time"
)

// Clock is the sandbox's time: a base clock (the real time unless a test injects another)
// plus an offset that only moves forward, through Advance or POST /sandbox/clock. Session
// expiry, pending payments, the confirmation window and collect idempotency read it. The
// seed check of authentication reads the base: clients keep real clocks, and moving the
// sandbox's time to see a session expire must not lock every client out with code 103.
type Clock struct {
	mu     sync.Mutex
	base   func() time.Time
	offset time.Duration
}

// NewClock returns a clock reading base plus an offset that starts at zero; a nil base is
// time.Now.
func NewClock(base func() time.Time) *Clock {
	if base == nil {
		base = time.Now
	}
	return &Clock{base: base}
}

// Now returns the sandbox time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.base().Add(c.offset)
}

// Base returns the time the clock is moved from: the real time unless tests injected one.
func (c *Clock) Base() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.base()
}

// Offset returns how far the clock has been moved ahead of its base.
func (c *Clock) Offset() time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.offset
}

// Advance moves the clock forward by d and returns the new time. Moving backwards is
// refused: the sandbox's records assume time never goes back.
func (c *Clock) Advance(d time.Duration) (time.Time, error) {
	if d < 0 {
		return time.Time{}, fmt.Errorf("sandbox: the clock only moves forward, not by %s", d)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.offset += d
	return c.base().Add(c.offset), nil
}
