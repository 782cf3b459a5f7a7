package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/placetopay-gateway/gateway/internal/loadtest"
	"github.com/placetopay-gateway/gateway/internal/placetopay/sandbox"
)

// outage is a PlacetoPay outage in the middle of the run (-outage): for its length every
// PlacetoPay call fails (503) or hangs, set through the sandbox's POST /sandbox/faults. While
// it lasts, checkouts of orders of its own are tried once each, every 250 ms, and timed; once
// it is over each of those orders is checked out again, twice. The run's own payments go on
// through it, retrying, and the usual checks then say whether every approval got paid.
type outage struct {
	mode    string        // error or hang
	length  time.Duration // by the sandbox clock, which runs at the real pace meanwhile
	timeout time.Duration // the gateways' PLACETOPAY_TIMEOUT
	client  *loadtest.Client
	db      *pgxpool.Pool
	prefix  string // of the tried orders' references

	mu     sync.Mutex
	tries  []outageTry
	result outageResult
}

// outageTry is one checkout tried during the outage.
type outageTry struct {
	order loadtest.Order
	kind  string // what the gateway answered: "http 502", or why nothing came ("reset", …)
	took  time.Duration
}

// outageResult is what the outage checks found.
type outageResult struct {
	mode                  string
	length, limit         time.Duration
	tried, fast, answered int
	kinds                 map[string]int
	opened                int
	violations            []string
}

func (o *outage) run(ctx context.Context, stdout io.Writer) {
	start := time.Now()
	say(stdout, "PlacetoPay outage: every call %s for %s", map[string]string{"error": "fails (503)", "hang": "hangs"}[o.mode], o.length)
	if err := o.client.Sandbox.SetConditions(ctx, sandbox.Conditions{Outage: o.length, OutageMode: o.mode}); err != nil {
		o.violate("set the outage: %v", err)
		return
	}
	once := o.client.Via(o.client.Bases[0]) // a client of its own, which tries each call once
	once.Retry = 0
	limit := 2 * o.timeout
	// Tries end early enough that their answers come while PlacetoPay is still down.
	last := start.Add(o.length - limit - time.Second)
	for i := 0; time.Now().Before(last) && ctx.Err() == nil; i++ {
		ord, err := o.client.CreateOrder(ctx, fmt.Sprintf("%s-%d", o.prefix, i), "10.00", "USD")
		if err != nil {
			o.violate("create order %d during the outage: %v", i, err)
		} else {
			t := time.Now()
			_, err := once.Checkout(ctx, ord.ID)
			try := outageTry{order: ord, kind: "http 201", took: time.Since(t)}
			var e *loadtest.Error
			if errors.As(err, &e) {
				try.kind = e.Kind
			} else if err != nil {
				try.kind = err.Error()
			}
			o.mu.Lock()
			o.tries = append(o.tries, try)
			o.mu.Unlock()
		}
		time.Sleep(250 * time.Millisecond) // the pace of the tries, not a measurement
	}
	if wait := time.Until(start.Add(o.length + time.Second)); wait > 0 {
		time.Sleep(wait) // until PlacetoPay is back
	}
	say(stdout, "PlacetoPay is back after %s", time.Since(start).Round(time.Second))
	o.afterwards(ctx, limit)
}

// afterwards checks out each tried order twice now that PlacetoPay answers, and sums up.
func (o *outage) afterwards(ctx context.Context, limit time.Duration) {
	o.mu.Lock()
	defer o.mu.Unlock()
	r := &o.result
	r.mode, r.length, r.limit, r.kinds = o.mode, o.length, limit, map[string]int{}
	for _, t := range o.tries {
		r.tried++
		r.kinds[t.kind]++
		switch t.kind {
		case "http 502":
			r.answered++
			if t.took <= limit {
				r.fast++
			} else {
				r.violations = append(r.violations, fmt.Sprintf("checkout of %s answered 502 after %s, over %s", t.order.Reference, t.took.Round(time.Millisecond), limit))
			}
		case "refused", "reset", "eof", "transport":
			// The replica it was sent to was killed meanwhile: no answer to judge.
		default:
			r.answered++
			r.violations = append(r.violations, fmt.Sprintf("checkout of %s answered %s during the outage, want 502", t.order.Reference, t.kind))
		}
		first, err := o.client.Checkout(ctx, t.order.ID)
		if err != nil {
			r.violations = append(r.violations, fmt.Sprintf("checkout of %s after the outage: %v", t.order.Reference, err))
			continue
		}
		again, err := o.client.Checkout(ctx, t.order.ID)
		if err != nil || again.RequestID != first.RequestID {
			r.violations = append(r.violations, fmt.Sprintf("checkout of %s again: session %d (%v), want the open session %d", t.order.Reference, again.RequestID, err, first.RequestID))
		}
		var sessions int
		if err := o.db.QueryRow(ctx, `SELECT count(*) FROM checkout_sessions s JOIN orders o ON o.id = s.order_id
			WHERE o.reference = $1 AND s.request_id IS NOT NULL`, t.order.Reference).Scan(&sessions); err != nil {
			r.violations = append(r.violations, fmt.Sprintf("count the sessions of %s: %v", t.order.Reference, err))
			continue
		}
		if sessions != 1 {
			r.violations = append(r.violations, fmt.Sprintf("order %s has %d sessions PlacetoPay opened, want 1", t.order.Reference, sessions))
			continue
		}
		r.opened++
	}
	if r.answered == 0 {
		r.violations = append(r.violations, "no checkout was answered during the outage: nothing was checked")
	}
}

func (o *outage) violate(format string, args ...any) {
	o.mu.Lock()
	o.result.violations = append(o.result.violations, fmt.Sprintf(format, args...))
	o.mu.Unlock()
}

func (r *outageResult) passed() bool { return len(r.violations) == 0 }

func (r *outageResult) print(w io.Writer) {
	say(w, "outage (%s, %s): checkouts tried during it: %d; answered: %s; 502 within %s (twice PLACETOPAY_TIMEOUT): %d of %d answered; opened once PlacetoPay was back, each once: %d",
		r.mode, r.length, r.tried, counts(r.kinds), r.limit, r.fast, r.answered, r.opened)
	if r.passed() {
		say(w, "ok    during a PlacetoPay outage checkouts answer 502 in time, and each order gets one session once it is back")
		return
	}
	say(w, "FAIL  during a PlacetoPay outage checkouts answer 502 in time, and each order gets one session once it is back: %d violation(s)", len(r.violations))
	for i, v := range r.violations {
		if i == 20 {
			say(w, "        ... and %d more", len(r.violations)-20)
			break
		}
		say(w, "        %s", v)
	}
}
