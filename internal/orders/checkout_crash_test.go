package orders_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/placetopay-gateway/gateway/internal/orders"
)

// TestCheckoutCrashBetweenPlacetoPayAndDatabase: the process dies after PlacetoPay opened
// a session and before the gateway wrote it down. The attempt stays 'creating'; nobody got
// the orphan's processUrl; no second session opens while the first might still be in
// flight; after the stale window the next checkout abandons the dead attempt and opens
// exactly one new session, and paying that one pays the order.
func TestCheckoutCrashBetweenPlacetoPayAndDatabase(t *testing.T) {
	t.Parallel()
	for _, how := range []string{"next checkout abandons it", "probe abandons it"} {
		t.Run(how, func(t *testing.T) {
			t.Parallel()
			e := newCrashEnv(t)
			ctx := context.Background()
			var orphan *orders.CreatedSession
			orders.SetAfterCreate(e.money.checkouts, func(cs orders.CreatedSession) error {
				if orphan == nil { // Checkout calls run one at a time here
					orphan = &cs
					return errCrash
				}
				return nil
			})
			o := e.newOrder()

			s, created, err := e.money.checkouts.Checkout(ctx, o.ID, shopper)
			if !errors.Is(err, errCrash) {
				t.Fatalf("checkout with the injected crash = %+v, %v, %v; want the crash", s, created, err)
			}
			if orphan == nil || orphan.RequestID == 0 || orphan.ProcessURL == "" {
				t.Fatalf("PlacetoPay did not open the session the crash orphans: %+v", orphan)
			}
			if s.ProcessURL != "" || s.RequestID != nil {
				t.Errorf("the crashed checkout returned a session %+v", s)
			}
			rows := e.sessions(o.ID)
			if len(rows) != 1 || rows[0].attempt != "creating" || rows[0].requestID != nil || rows[0].processURL != nil {
				t.Fatalf("after the crash: sessions %+v, want one 'creating' attempt with no requestId or processUrl", rows)
			}

			// Right away: the attempt might still be in flight, so no second session.
			s, _, err = e.money.checkouts.Checkout(ctx, o.ID, shopper)
			if orders.ErrorCode(err) != orders.EConflict {
				t.Fatalf("checkout right after the crash = %+v, %v; want a conflict", s, err)
			}
			if s.ProcessURL != "" {
				t.Errorf("the refused checkout returned processUrl %q", s.ProcessURL)
			}
			e.money.prober.ProbeDue(ctx) // the probe does not abandon a fresh attempt either
			if rows := e.sessions(o.ID); len(rows) != 1 || rows[0].attempt != "creating" {
				t.Fatalf("before the stale window: sessions %+v, want the one 'creating' attempt", rows)
			}

			// Past the stale window (2 minutes, well over the PlacetoPay client's timeout).
			e.clock.Advance(2*time.Minute + time.Second)
			if how == "probe abandons it" {
				e.money.prober.ProbeDue(ctx)
				if rows := e.sessions(o.ID); len(rows) != 1 || rows[0].attempt != "abandoned" {
					t.Fatalf("after the probe: sessions %+v, want the attempt abandoned", rows)
				}
			}
			s, created, err = e.money.checkouts.Checkout(ctx, o.ID, shopper)
			if err != nil || !created {
				t.Fatalf("checkout after the stale window = %+v, created %v, %v; want a new session", s, created, err)
			}
			if s.RequestID == nil || *s.RequestID == orphan.RequestID || s.ProcessURL == orphan.ProcessURL {
				t.Fatalf("checkout after the stale window returned %+v; the orphan was %+v", s, *orphan)
			}
			rows = e.sessions(o.ID)
			if len(rows) != 2 || rows[0].attempt != "abandoned" || rows[1].attempt != "open" || *rows[1].requestID != *s.RequestID {
				t.Fatalf("sessions %+v, want the abandoned attempt and one open session %d", rows, *s.RequestID)
			}
			// Asking again returns that session: exactly one open.
			again, created, err := e.money.checkouts.Checkout(ctx, o.ID, shopper)
			if err != nil || created || *again.RequestID != *s.RequestID {
				t.Fatalf("checkout again = %+v, created %v, %v; want the open session %d", again, created, err, *s.RequestID)
			}
			if n := e.count(`SELECT count(*) FROM checkout_sessions WHERE order_id = $1 AND attempt = 'open'`, o.ID); n != 1 {
				t.Fatalf("%d open sessions, want 1", n)
			}

			// The orphan's processUrl never reached anyone: the gateway holds no trace of it.
			if n := e.count(`SELECT count(*) FROM checkout_sessions WHERE request_id = $1 OR process_url = $2`,
				orphan.RequestID, orphan.ProcessURL); n != 0 {
				t.Errorf("the orphan session is stored %d time(s)", n)
			}
			got, err := e.svc.Get(ctx, o.ID)
			if err != nil {
				t.Fatal(err)
			}
			for _, gs := range got.Sessions {
				if gs.ProcessURL == orphan.ProcessURL || (gs.RequestID != nil && *gs.RequestID == orphan.RequestID) {
					t.Errorf("the order shows the orphan session %+v", gs)
				}
			}

			// Paying the new session pays the order.
			e.pay(*s.RequestID)
			if err := e.money.reconciler.RefreshOrder(ctx, o.ID); err != nil {
				t.Fatalf("refresh: %v", err)
			}
			got, err = e.svc.Get(ctx, o.ID)
			if err != nil {
				t.Fatal(err)
			}
			if got.Status != orders.StatusPaid || got.PaidMinor != 15_00 {
				t.Errorf("order is %s with %d paid, want paid 1500", got.Status, got.PaidMinor)
			}
			if n := e.count(`SELECT count(*) FROM events WHERE order_id = $1 AND type = 'order.paid'`, o.ID); n != 1 {
				t.Errorf("%d order.paid events, want 1", n)
			}
			e.sessions(o.ID) // the invariant, once more

			// At PlacetoPay the orphan is still there, unpaid: nobody could reach it.
			view := e.sandboxSession(orphan.RequestID)
			if view.Status.Status != "PENDING" {
				t.Errorf("orphan session at PlacetoPay: %v, want PENDING", view.Status)
			}
			if len(view.Payments) != 0 {
				t.Errorf("orphan session has payments: %v", view.Payments)
			}
		})
	}
}

// TestCheckoutAfterExpiryKeepsOrderPending: a session that expired unpaid is replaced by a
// new checkout; when PlacetoPay then reports the old one REJECTED (expired), the order must
// stay pending: its last session is open and payable. The contract's failed is "the last
// session was rejected or expired with no approved payment".
func TestCheckoutAfterExpiryKeepsOrderPending(t *testing.T) {
	t.Parallel()
	e := newCrashEnv(t)
	ctx := context.Background()
	o := e.newOrder()
	old, _, err := e.money.checkouts.Checkout(ctx, o.ID, shopper) // 30 minutes
	if err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(31 * time.Minute) // the gateway's, the client's and PlacetoPay's clocks

	cur, created, err := e.money.checkouts.Checkout(ctx, o.ID, shopper)
	if err != nil || !created || *cur.RequestID == *old.RequestID {
		t.Fatalf("checkout after the first session expired = %+v, created %v, %v; want a new session", cur, created, err)
	}
	if rows := e.sessions(o.ID); len(rows) != 2 || rows[0].attempt != "closed" || rows[1].attempt != "open" {
		t.Fatalf("sessions %+v, want the expired one closed and the new one open", rows)
	}
	if view := e.sandboxSession(*old.RequestID); view.Status.Status != "REJECTED" {
		t.Fatalf("the expired session at PlacetoPay: %v, want REJECTED", view.Status)
	}

	// The probe (or the expiry notification) queries the old session.
	if err := e.money.reconciler.Reconcile(ctx, *old.RequestID); err != nil {
		t.Fatal(err)
	}
	got, err := e.svc.Get(ctx, o.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != orders.StatusPending {
		t.Errorf("order is %s after its replaced, expired session was reported REJECTED while session %d is open; want pending",
			got.Status, *cur.RequestID)
	}
	if n := e.count(`SELECT count(*) FROM events WHERE order_id = $1 AND type = 'order.failed'`, o.ID); n != 0 {
		t.Errorf("%d order.failed events sent to the merchant while the shopper can still pay", n)
	}

	// Whatever happened, paying the open session pays the order.
	e.pay(*cur.RequestID)
	if err := e.money.reconciler.Reconcile(ctx, *cur.RequestID); err != nil {
		t.Fatal(err)
	}
	if got, err = e.svc.Get(ctx, o.ID); err != nil || got.Status != orders.StatusPaid {
		t.Errorf("after paying the open session the order is %s (%v), want paid", got.Status, err)
	}
}

// TestCheckoutRacingCancel: the merchant cancels the order while its checkout waits for
// PlacetoPay. The checkout must not then hand out a processUrl for a cancelled order, nor
// leave a session open on it.
func TestCheckoutRacingCancel(t *testing.T) {
	t.Parallel()
	e := newCrashEnv(t)
	ctx := context.Background()
	o := e.newOrder()
	orders.SetAfterCreate(e.money.checkouts, func(orders.CreatedSession) error {
		// PlacetoPay has answered; the merchant's cancel lands before the write.
		if _, err := e.svc.Cancel(ctx, o.ID); err != nil {
			t.Errorf("cancel during the checkout: %v", err)
		}
		return nil
	})
	s, created, err := e.money.checkouts.Checkout(ctx, o.ID, shopper)
	got, gerr := e.svc.Get(ctx, o.ID)
	if gerr != nil {
		t.Fatal(gerr)
	}
	if got.Status != orders.StatusCancelled {
		t.Fatalf("order is %s, want cancelled", got.Status)
	}
	if err == nil || s.ProcessURL != "" {
		t.Errorf("checkout racing a cancel = %+v (created %v), %v; want a conflict and no processUrl for a cancelled order", s, created, err)
	}
	if n := e.count(`SELECT count(*) FROM checkout_sessions WHERE order_id = $1 AND attempt IN ('creating', 'open')`, o.ID); n != 0 {
		t.Errorf("%d payable sessions left on the cancelled order", n)
	}
}
