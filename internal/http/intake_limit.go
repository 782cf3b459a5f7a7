package http

import (
	"context"
	"errors"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/placetopay-gateway/gateway/internal/webhooks"
)

// IntakeLimit bounds the PlacetoPay notifications taken in at once. Past the database's
// capacity, notifications would otherwise queue for a connection without bound: each waiting
// request holds its goroutine and body, answers slow down for all, and memory grows. With the
// limit, Concurrent notifications are taken in at once and up to Queue more wait for a turn,
// at most Wait each; one more than that is answered 503 at once, and so is one whose wait runs
// out; it is stored nowhere. Only a notification whose signature verified takes a place or
// waits for one: forged and malformed ones are answered 400 first, so a flood of them cannot
// crowd PlacetoPay's out. PlacetoPay never sends a notification again,
// whatever the answer: the prober's routine query of the session (GATEWAY_PROBE_INTERVAL)
// finds the payment instead.
type IntakeLimit struct {
	// Concurrent is how many notifications are taken in at once (GATEWAY_NOTIFICATION_LIMIT);
	// 0 turns the limit off.
	Concurrent int
	// Queue is how many more may wait for a turn (0: four times Concurrent), and Wait how
	// long each may wait (0: one second).
	Queue int
	Wait  time.Duration
}

// intakeTimeout bounds the database work of one notification taken in, the wait for a
// connection included: a stalled database fails the notification (500) rather than holding
// its slot until PlacetoPay gives up.
const intakeTimeout = 5 * time.Second

// The defaults of IntakeLimit.Queue (per slot) and IntakeLimit.Wait.
const (
	defaultIntakeQueuePerSlot = 4
	defaultIntakeWait         = time.Second
)

// intakeSlots is the limit at work: a slot per notification taken in, and a count of those
// waiting for one.
type intakeSlots struct {
	slots   chan struct{}
	waiting atomic.Int64
	queue   int64
	wait    time.Duration
}

func newIntakeSlots(l IntakeLimit) *intakeSlots {
	if l.Concurrent <= 0 {
		return nil
	}
	in := &intakeSlots{slots: make(chan struct{}, l.Concurrent), queue: int64(l.Queue), wait: l.Wait}
	if in.queue <= 0 {
		in.queue = defaultIntakeQueuePerSlot * int64(l.Concurrent)
	}
	if in.wait <= 0 {
		in.wait = defaultIntakeWait
	}
	return in
}

// errOverloaded is a notification refused for want of a slot: 503 with Retry-After.
var errOverloaded = errors.New("too many notifications being taken in; retry in 1 second")

// acquire takes a slot: at once when one is free, else after waiting in the queue at most
// the limit's wait; false at once when the queue is full, or when the wait ran out.
func (l *intakeSlots) acquire(ctx context.Context) bool {
	select {
	case l.slots <- struct{}{}:
		return true
	default:
	}
	if l.waiting.Add(1) > l.queue {
		l.waiting.Add(-1)
		return false
	}
	defer l.waiting.Add(-1)
	t := time.NewTimer(l.wait)
	defer t.Stop()
	select {
	case l.slots <- struct{}{}:
		return true
	case <-t.C:
		return false
	case <-ctx.Done():
		return false
	}
}

func (l *intakeSlots) release() { <-l.slots }

// takeNotification stores a verified notification within the limit (when there is one)
// and the intake's timeout: errOverloaded, counted by the inbox (outcome "shed"), when no
// place frees up in time.
func (s *Server) takeNotification(c echo.Context, v webhooks.Verified) error {
	ctx := c.Request().Context()
	if s.intake != nil {
		if !s.intake.acquire(ctx) {
			s.inbox.CountShed()
			return errOverloaded
		}
		defer s.intake.release()
	}
	ctx, cancel := context.WithTimeout(ctx, intakeTimeout)
	defer cancel()
	return s.inbox.Take(ctx, v)
}

// overloadedProblem is errOverloaded's answer.
func overloadedProblem() problem {
	return problem{Type: "about:blank", Title: http.StatusText(http.StatusServiceUnavailable), Status: http.StatusServiceUnavailable,
		Code: "overloaded", Detail: errOverloaded.Error()}
}
