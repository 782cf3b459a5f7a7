package http

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"
)

// IntakeLimit bounds the PlacetoPay notifications taken in at once. Past the database's
// capacity, notifications would otherwise queue for a connection without bound: each waiting
// request holds its goroutine and body, answers slow down for all, and memory grows. With the
// limit, a notification waits at most Wait for a slot and is otherwise answered 503 at once,
// stored nowhere. PlacetoPay never sends a notification again, whatever the answer: the
// prober's routine query of the session (GATEWAY_PROBE_INTERVAL) finds the payment instead.
type IntakeLimit struct {
	// Concurrent is how many notifications are taken in at once (GATEWAY_NOTIFICATION_LIMIT);
	// 0 turns the limit off.
	Concurrent int
	// Wait is how long a notification waits for a slot before it is refused (0: 50 ms).
	Wait time.Duration
}

// intakeTimeout bounds the database work of one notification taken in, the wait for a
// connection included: a stalled database fails the notification (500) rather than holding
// its slot until PlacetoPay gives up.
const intakeTimeout = 5 * time.Second

// defaultIntakeWait is IntakeLimit.Wait's default.
const defaultIntakeWait = 50 * time.Millisecond

// intakeSlots is the limit at work: a slot per notification taken in.
type intakeSlots struct {
	slots chan struct{}
	wait  time.Duration
}

func newIntakeSlots(l IntakeLimit) *intakeSlots {
	if l.Concurrent <= 0 {
		return nil
	}
	wait := l.Wait
	if wait <= 0 {
		wait = defaultIntakeWait
	}
	return &intakeSlots{slots: make(chan struct{}, l.Concurrent), wait: wait}
}

// errOverloaded is a notification refused for want of a slot: 503 with Retry-After.
var errOverloaded = errors.New("too many notifications being taken in; retry in 1 second")

// acquire takes a slot, waiting at most the limit's wait; false when none came free.
func (l *intakeSlots) acquire(ctx context.Context) bool {
	select {
	case l.slots <- struct{}{}:
		return true
	default:
	}
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

// limitIntake wraps the notification handler with the limit (when there is one) and the
// intake's timeout. A refused notification is counted by the inbox (outcome "shed").
func (s *Server) limitIntake(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if s.intake != nil {
			if !s.intake.acquire(c.Request().Context()) {
				s.inbox.CountShed()
				c.Response().Header().Set("Retry-After", "1")
				return errOverloaded
			}
			defer s.intake.release()
		}
		ctx, cancel := context.WithTimeout(c.Request().Context(), intakeTimeout)
		defer cancel()
		c.SetRequest(c.Request().WithContext(ctx))
		return next(c)
	}
}

// overloadedProblem is errOverloaded's answer.
func overloadedProblem() problem {
	return problem{Type: "about:blank", Title: http.StatusText(http.StatusServiceUnavailable), Status: http.StatusServiceUnavailable,
		Code: "overloaded", Detail: errOverloaded.Error()}
}
