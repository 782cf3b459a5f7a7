package main

import (
	"context"
	"errors"
	"math/rand/v2"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/placetopay-gateway/gateway/internal/loadtest"
)

// The sandbox's test cards (GET /sandbox/cards).
const (
	cardApprove        = "4110760000000081"
	cardDeny           = "4110760000000016"
	cardPendingApprove = "4110760000000073"
	cardPendingReject  = "4048370000000037"
)

// plan is what one payment does.
type plan struct {
	card     string
	mismatch bool // the order's amount is changed after checkout: an approval must go to review
	hold     bool // a preauthorization (checkin): the approval holds the amount until it is captured
	// capture is the percent of a hold to capture; 100 is all that is held, sent without an
	// amount.
	capture int
	// refunds are the percents of the paid amount that the order's refunds ask for, one
	// after the other; 100 is all that is left, sent without an amount.
	refunds []int
	// aimAfter, when not zero, is how long after the first refund or the capture is sent
	// the replica it is sent to is killed.
	aimAfter time.Duration
	label    string
}

func planFor(r *rand.Rand, aimEvery int) plan {
	var p plan
	switch x := r.Float64(); {
	case x < 0.30:
		p = plan{card: cardApprove, label: "approve"}
	case x < 0.38:
		p = plan{card: cardApprove, refunds: []int{100}, label: "approve, refund all"}
	case x < 0.45:
		p = plan{card: cardApprove, refunds: []int{40}, label: "approve, refund 40%"}
	case x < 0.50:
		p = plan{card: cardApprove, refunds: []int{40, 100}, label: "approve, refund 40%, then the rest"}
	case x < 0.55:
		p = plan{card: cardApprove, hold: true, capture: 100, label: "hold, capture all"}
	case x < 0.60:
		p = plan{card: cardApprove, hold: true, capture: 70, label: "hold, capture 70%"}
	case x < 0.75:
		p = plan{card: cardDeny, label: "deny"}
	case x < 0.85:
		p = plan{card: cardPendingApprove, label: "pending, then approve"}
	case x < 0.95:
		p = plan{card: cardPendingReject, label: "pending, then reject"}
	default:
		p = plan{card: cardApprove, mismatch: true, label: "approve, amount changed"}
	}
	// Drawn for every payment, so that aimEvery does not change the rest of the mix.
	aim, after := r.IntN(max(aimEvery, 1)), time.Duration(r.Int64N(int64(1200*time.Millisecond)))+time.Millisecond
	if aimEvery > 0 && aim == 0 && (p.hold || len(p.refunds) > 0) {
		p.aimAfter = after
	}
	return p
}

// payment is one payment's record.
type payment struct {
	plan
	reference string
	orderID   string
	minor     int64 // the order's amount
	requestID int64
	paid      bool     // the sandbox took the card
	actions   []action // the refunds and the capture asked
	err       string   // the step that failed, when one did, and how
	errBody   string
	took      time.Duration
}

// action is a refund or a capture the run asked for, and the gateway's answer.
type action struct {
	kind   string // refund or capture
	minor  int64  // the amount asked; 0: all that is left (a refund) or held (a capture)
	aimed  bool   // the replica it was sent to was killed while it was asked
	answer string // succeeded, unknown (the gateway checks it) or the failure's kind
}

func (p *payment) fail(err error) {
	p.err = loadtest.Kind(err)
	var e *loadtest.Error
	if errors.As(err, &e) {
		p.errBody = e.Body
	}
}

// flows is what every payment flow shares.
type flows struct {
	client    *loadtest.Client
	db        *pgxpool.Pool
	killer    *killer
	notifyURL string
	secret    string
	forged    *forgeries
}

// pay runs one payment: create the order, open its checkout (a preauthorization for a hold),
// optionally change the order's amount behind the gateway's back, pay with the card, and
// forge an approval for a card that is not approved. Then it refunds or captures what the
// plan says, once the gateway has seen the approval.
func (f *flows) pay(ctx context.Context, p *payment) {
	start := time.Now()
	defer func() { p.took = time.Since(start) }()
	c := f.client
	o, err := c.CreateOrder(ctx, p.reference, loadtest.Amount(p.minor), "USD")
	if err != nil {
		p.fail(err)
		return
	}
	p.orderID = o.ID
	open := c.Checkout
	if p.hold {
		open = c.CheckoutHold
	}
	s, err := open(ctx, o.ID)
	if err != nil {
		p.fail(err)
		return
	}
	p.requestID = s.RequestID
	if p.mismatch {
		// As if the merchant's order and PlacetoPay's session disagreed: the approved payment
		// no longer matches the order, which must go to review, never to paid.
		if err := retry(ctx, func() error {
			_, err := f.db.Exec(ctx, `UPDATE orders SET total_minor = total_minor + 100 WHERE id = $1`, o.ID)
			return err
		}); err != nil {
			p.err = "change amount: " + err.Error()
			return
		}
	}
	if err := c.Pay(ctx, s.RequestID, p.card); err != nil {
		p.fail(err)
		return
	}
	p.paid = true
	if p.card != cardApprove {
		// A forged approval for a payment that is declined or pending, signed with a wrong key.
		f.forged.post(ctx, c.HTTP, f.notifyURL, f.secret, s.RequestID, p.reference)
	}
	switch {
	case p.hold:
		f.capture(ctx, p, o)
	case len(p.refunds) > 0:
		f.refund(ctx, p, o)
	}
}

// refund waits for the order to be paid and asks for its refunds in turn; the next is asked
// only when the last one succeeded.
func (f *flows) refund(ctx context.Context, p *payment, o loadtest.Order) {
	if !f.wait(ctx, p, o, "paid") {
		return
	}
	for i, percent := range p.refunds {
		a := action{kind: "refund"}
		total := ""
		if percent < 100 {
			a.minor = p.minor * int64(percent) / 100
			total = loadtest.Amount(a.minor)
		}
		c := f.aim(p, i == 0, &a)
		r, err := c.Refund(ctx, o.ID, i+1, total, "USD")
		a.answer = answer(r.Status, err)
		p.actions = append(p.actions, a)
		if a.answer != "succeeded" {
			return
		}
	}
}

// capture waits for the order to be authorized and captures the plan's part of the hold.
func (f *flows) capture(ctx context.Context, p *payment, o loadtest.Order) {
	if !f.wait(ctx, p, o, "authorized") {
		return
	}
	a := action{kind: "capture"}
	total := ""
	if p.capture < 100 {
		a.minor = p.minor * int64(p.capture) / 100
		total = loadtest.Amount(a.minor)
	}
	c := f.aim(p, true, &a)
	_, err := c.Capture(ctx, o.ID, total, "USD")
	a.answer = answer("succeeded", err)
	p.actions = append(p.actions, a)
}

// aim returns the client an action is sent with: when the plan aims at it, one whose call
// goes first to a replica that is killed aimAfter later.
func (f *flows) aim(p *payment, first bool, a *action) *loadtest.Client {
	if !first || p.aimAfter == 0 {
		return f.client
	}
	a.aimed = true
	return f.client.Via(f.killer.aim(p.aimAfter))
}

// wait waits for the gateway to show the order in status: the approval reached it through
// a notification or its probe.
func (f *flows) wait(ctx context.Context, p *payment, o loadtest.Order, status string) bool {
	wctx, cancel := context.WithTimeout(ctx, 90*time.Second)
	defer cancel()
	if _, err := f.client.WaitStatus(wctx, o, 200*time.Millisecond, status); err != nil {
		p.fail(err)
		return false
	}
	return true
}

// answer is what an action's call came to.
func answer(status string, err error) string {
	if err != nil {
		return loadtest.Kind(err)
	}
	return status
}

func retry(ctx context.Context, fn func() error) error {
	var err error
	for range 60 {
		if err = fn(); err == nil || ctx.Err() != nil {
			return err
		}
		time.Sleep(500 * time.Millisecond)
	}
	return err
}
