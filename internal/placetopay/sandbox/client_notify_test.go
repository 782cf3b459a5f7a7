package sandbox_test

import (
	"bytes"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/placetopay-gateway/gateway/internal/placetopay"
	"github.com/placetopay-gateway/gateway/internal/placetopay/sandbox"
)

var (
	sha256Signature = regexp.MustCompile(`^sha256:[0-9a-f]{64}$`)
	sha1Signature   = regexp.MustCompile(`^[0-9a-f]{40}$`)
)

// finalStates drive a fresh session to each kind of final state; each returns the status
// the query must then show.
var finalStates = []struct {
	name  string
	setup func(placetopay.CreateSessionRequest) placetopay.CreateSessionRequest
	drive func(t *testing.T, e *env, id placetopay.Int64)
	want  string
}{
	{"approved", nil, func(_ *testing.T, e *env, id placetopay.Int64) { e.pay(int64(id), visaApprove) }, "APPROVED/00"},
	{"pending then approved", nil, func(_ *testing.T, e *env, id placetopay.Int64) {
		e.pay(int64(id), visaPendingApprove)
		e.advance(5 * time.Minute)
	}, "APPROVED/00"},
	{"merchant cancel", nil, func(t *testing.T, e *env, id placetopay.Int64) {
		if _, err := e.client.CancelSession(t.Context(), int64(id)); err != nil {
			t.Fatalf("CancelSession: %v", err)
		}
	}, "REJECTED/MC"},
	{"expired", nil, func(_ *testing.T, e *env, _ placetopay.Int64) { e.advance(31 * time.Minute) }, "REJECTED/EX"},
	{"partial expired", func(r placetopay.CreateSessionRequest) placetopay.CreateSessionRequest {
		r.Payment.AllowPartial = true
		return r
	}, func(_ *testing.T, e *env, id placetopay.Int64) {
		e.payPart(int64(id), visaApprove, "10.00")
		e.advance(31 * time.Minute)
	}, "PARTIAL_EXPIRED/PX"},
	{"confirmed", func(r placetopay.CreateSessionRequest) placetopay.CreateSessionRequest {
		r.Metadata = &placetopay.Metadata{RequiresConfirmation: true}
		return r
	}, func(t *testing.T, e *env, id placetopay.Int64) {
		ctl := e.pay(int64(id), visaApprove)
		_, err := e.client.TransactionAction(t.Context(), placetopay.TransactionRequest{
			InternalReference: placetopay.Int64(lastPayment(t, ctl).InternalReference), Action: placetopay.ActionConfirm,
		})
		if err != nil {
			t.Fatalf("confirm: %v", err)
		}
	}, "APPROVED/00"},
	{"confirmation cancelled", func(r placetopay.CreateSessionRequest) placetopay.CreateSessionRequest {
		r.Metadata = &placetopay.Metadata{RequiresConfirmation: true}
		return r
	}, func(t *testing.T, e *env, id placetopay.Int64) {
		ctl := e.pay(int64(id), visaApprove)
		_, err := e.client.TransactionAction(t.Context(), placetopay.TransactionRequest{
			InternalReference: placetopay.Int64(lastPayment(t, ctl).InternalReference), Action: placetopay.ActionCancel,
		})
		if err != nil {
			t.Fatalf("cancel: %v", err)
		}
	}, "REJECTED/?C"},
	{"attempts limit", nil, func(_ *testing.T, e *env, id placetopay.Int64) {
		for range 10 {
			e.pay(int64(id), visaDeny)
		}
	}, "REJECTED/XN"},
}

// TestClientNotifications: every final state produces exactly one notification that
// VerifyNotification accepts with the site's secret, in the site's algorithm, whose status
// is exactly what a query then shows.
func TestClientNotifications(t *testing.T) {
	algorithms := []struct {
		name string
		cfg  placetopay.Algorithm // sandbox Config.Signature
		want placetopay.Algorithm
		re   *regexp.Regexp
	}{
		{"sha256 by default", "", placetopay.SHA256, sha256Signature},
		{"sha1", placetopay.SHA1, placetopay.SHA1, sha1Signature},
	}
	for _, alg := range algorithms {
		t.Run(alg.name, func(t *testing.T) {
			rec := sandbox.NewReceiver(t)
			e := newEnv(t, func(c *sandbox.Config) { c.NotifyURL, c.Signature = rec.URL, alg.cfg })
			ids := map[int64]bool{}
			for i, fs := range finalStates {
				t.Run(fs.name, func(t *testing.T) {
					ref := fmt.Sprintf("NOTE-%d", i)
					req := basicRequest(ref, "50.00")
					if fs.setup != nil {
						req = fs.setup(req)
					}
					created := e.create(req)
					ids[int64(created.RequestID)] = true
					fs.drive(t, e, created.RequestID)
					body := rec.Next(t)
					n, got, err := placetopay.VerifyNotification(body, crossSecret)
					if err != nil {
						t.Fatalf("VerifyNotification(%s): %v", body, err)
					}
					if got != alg.want || !alg.re.MatchString(n.Signature) {
						t.Errorf("signature %q verified as %q, want %s", n.Signature, got, alg.want)
					}
					if n.RequestID != created.RequestID || string(n.Reference) != ref {
						t.Errorf("notification for %d %q, want %d %q", n.RequestID, n.Reference, created.RequestID, ref)
					}
					info := e.query(created.RequestID)
					wantStatus(t, "queried session", info.Status, fs.want)
					if d := cmp.Diff(info.Status, n.Status); d != "" {
						t.Errorf("notified status differs from the query (-query +notification):\n%s", d)
					}
					if _, _, err := placetopay.VerifyNotification(body, crossSecret+"x"); !errors.Is(err, placetopay.ErrBadSignature) {
						t.Errorf("VerifyNotification with another secret: %v, want ErrBadSignature", err)
					}
				})
			}
			// Close waits for every delivery: then the count is final.
			e.sb.Close()
			perSession := map[int64]int{}
			for _, b := range rec.All() {
				n, _, err := placetopay.VerifyNotification(b, crossSecret)
				if err != nil {
					t.Errorf("VerifyNotification(%s): %v", b, err)
				}
				perSession[int64(n.RequestID)]++
			}
			for id := range ids {
				if perSession[id] != 1 {
					t.Errorf("session %d: %d notifications, want exactly 1", id, perSession[id])
				}
			}
			if len(perSession) != len(ids) {
				t.Errorf("notifications for %d sessions, want %d", len(perSession), len(ids))
			}
		})
	}
}

// TestClientNotificationFaults: the sandbox's faults reach the merchant as documented.
func TestClientNotificationFaults(t *testing.T) {
	t.Run("corrupt", func(t *testing.T) {
		rec := sandbox.NewReceiver(t)
		e := newEnv(t, func(c *sandbox.Config) { c.NotifyURL, c.Faults = rec.URL, sandbox.Faults{Corrupt: 1} })
		created := e.create(basicRequest("FAULT-C", "10.00"))
		e.pay(int64(created.RequestID), visaApprove)
		body := rec.Next(t)
		n, alg, err := placetopay.VerifyNotification(body, crossSecret)
		if !errors.Is(err, placetopay.ErrBadSignature) {
			t.Fatalf("VerifyNotification of a corrupted notification: %v, want ErrBadSignature", err)
		}
		if alg != placetopay.SHA256 || n.RequestID != created.RequestID {
			t.Errorf("corrupted notification decoded as %s for %d", alg, n.RequestID)
		}
		if ctl := e.notifications(); len(ctl) != 1 || !cmp.Equal(ctl[0].Faults, []string{"corrupted"}) {
			t.Errorf("sandbox records %+v, want one corrupted notification", ctl)
		}
	})
	t.Run("duplicate", func(t *testing.T) {
		rec := sandbox.NewReceiver(t)
		e := newEnv(t, func(c *sandbox.Config) { c.NotifyURL, c.Faults = rec.URL, sandbox.Faults{Duplicate: 1} })
		created := e.create(basicRequest("FAULT-D", "10.00"))
		e.pay(int64(created.RequestID), visaApprove)
		first, second := rec.Next(t), rec.Next(t)
		if !bytes.Equal(first, second) {
			t.Errorf("duplicates differ:\n%s\n%s", first, second)
		}
		for _, b := range [][]byte{first, second} {
			if _, _, err := placetopay.VerifyNotification(b, crossSecret); err != nil {
				t.Errorf("VerifyNotification of a duplicate: %v", err)
			}
		}
		e.sb.Close()
		if n := len(rec.All()); n != 2 {
			t.Errorf("%d notifications, want 2", n)
		}
	})
	t.Run("drop", func(t *testing.T) {
		rec := sandbox.NewReceiver(t)
		e := newEnv(t, func(c *sandbox.Config) { c.NotifyURL = rec.URL })
		// Switched on through the control API this time.
		if err := e.control.SetFaults(t.Context(), sandbox.Faults{Drop: 1}); err != nil {
			t.Fatal(err)
		}
		created := e.create(basicRequest("FAULT-X", "10.00"))
		e.pay(int64(created.RequestID), visaApprove)
		wantStatus(t, "session", e.query(created.RequestID).Status, "APPROVED/00")
		ctl := e.notifications()
		if len(ctl) != 1 || ctl[0].Outcome != "dropped" || ctl[0].RequestID != int64(created.RequestID) {
			t.Errorf("sandbox records %+v, want one dropped notification", ctl)
		}
		e.sb.Close()
		if got := rec.All(); len(got) != 0 {
			t.Errorf("a dropped notification arrived: %s", got)
		}
	})
	t.Run("delay", func(t *testing.T) {
		rec := sandbox.NewReceiver(t)
		e := newEnv(t, func(c *sandbox.Config) {
			c.NotifyURL, c.Faults = rec.URL, sandbox.Faults{Delay: 1, DelayBy: 10 * time.Minute}
		})
		created := e.create(basicRequest("FAULT-L", "10.00"))
		e.pay(int64(created.RequestID), visaApprove)
		if ctl := e.notifications(); len(ctl) != 1 || ctl[0].Outcome != "pending" {
			t.Fatalf("sandbox records %+v, want one pending notification", ctl)
		}
		e.advance(10 * time.Minute)
		body := rec.Next(t)
		n, _, err := placetopay.VerifyNotification(body, crossSecret)
		if err != nil {
			t.Fatalf("VerifyNotification of a delayed notification: %v", err)
		}
		// The status is still the one of the moment the session ended, as a query shows it.
		if d := cmp.Diff(e.query(created.RequestID).Status, n.Status); d != "" {
			t.Errorf("delayed notification status (-query +notification):\n%s", d)
		}
	})
}

// A sandbox whose dates are in UTC writes them with Z (2026-03-10T14:31:12Z); its
// notifications still verify.
func TestClientNotificationsInUTC(t *testing.T) {
	rec := sandbox.NewReceiver(t)
	e := newEnv(t, func(c *sandbox.Config) { c.NotifyURL, c.Location = rec.URL, time.UTC })
	created := e.create(basicRequest("NOTE-UTC", "10.00"))
	e.pay(int64(created.RequestID), visaApprove)
	body := rec.Next(t)
	n, _, err := placetopay.VerifyNotification(body, crossSecret)
	if err != nil {
		t.Fatalf("VerifyNotification(%s): %v", body, err)
	}
	if !strings.HasSuffix(n.Status.Date, "Z") {
		t.Errorf("date %q, want one in UTC, ending in Z", n.Status.Date)
	}
}
