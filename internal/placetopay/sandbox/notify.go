package sandbox

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"time"

	"go.uber.org/zap"

	pp "github.com/placetopay-gateway/gateway/internal/placetopay"
)

// notification is one notification of a session's final state (docs/placetopay.md#notifications), from the
// moment it was decided to its delivery. The sandbox keeps every one, for GET
// /sandbox/notifications.
type notification struct {
	Seq        int
	RequestID  int64
	Status     string
	Body       json.RawMessage // exactly what is posted
	URL        string          // where it is posted; empty for the site's NotifyURL
	Faults     []string        // the faults applied: dropped, duplicated, delayed, corrupted
	DueAt      time.Time       // sandbox time it is sent at
	Outcome    string          // pending, sending, sent, failed, dropped, unsent (no NotifyURL)
	Deliveries []Delivery
	duplicate  bool // posted twice
	nowhere    bool // another site's, which has no notification URL
}

// Delivery is one POST of a notification, a webhook or a settlement: what the receiver
// answered, or why nothing came back.
type Delivery struct {
	Status int    `json:"status,omitempty"` // the receiver's HTTP status
	Error  string `json:"error,omitempty"`
}

func (d Delivery) ok() bool { return d.Error == "" && d.Status < 300 }

// notificationBody is what PlacetoPay posts (docs/placetopay.md#notification-body).
type notificationBody struct {
	Status    statusJSON `json:"status"`
	RequestID int64      `json:"requestId"`
	Reference string     `json:"reference"`
	Signature string     `json:"signature"`
}

// notifyLocked records the notification of s's final state, applying the faults drawn for
// it. It is sent by the next sweep or request once due; never retried.
func (sb *Sandbox) notifyLocked(s *session) {
	f := sb.faults.draw()
	site := sb.cfg.site(s.Login)
	secret := site.SecretKey
	if f.Corrupt {
		secret += "-corrupted"
	}
	sig, err := pp.NotificationSignature(sb.cfg.Signature, s.ID, s.State.Status, s.State.Date, secret)
	if err != nil { // the algorithm was validated by New
		panic(err)
	}
	body, err := json.Marshal(notificationBody{
		Status: statusOf(s.State), RequestID: s.ID, Reference: s.Reference, Signature: sig,
	})
	if err != nil {
		panic(err)
	}
	n := &notification{RequestID: s.ID, Status: s.State.Status, Body: body, DueAt: s.State.At}
	if s.Login != "" && s.Login != sb.cfg.Login {
		// Another site's: to its own URL, or nowhere (an empty URL would mean the first site's).
		n.URL, n.nowhere = site.NotifyURL, site.NotifyURL == ""
	}
	sb.enqueueLocked(n, f)
}

// enqueueLocked records n in the outbox with the faults f drawn for it and queues it for
// sending unless it is dropped or there is nowhere to send it (n.URL, else the notify URL).
func (sb *Sandbox) enqueueLocked(n *notification, f drawn) {
	n.Seq, n.Faults, n.Outcome, n.duplicate = len(sb.outbox)+1, f.names(), "pending", f.Duplicate
	if f.Delay {
		n.DueAt = n.DueAt.Add(sb.faults.cfg.DelayBy)
	}
	n.DueAt = n.DueAt.Add(sb.conditions.notifyDelay())
	sb.outbox = append(sb.outbox, n)
	switch {
	case f.Drop:
		n.Outcome = "dropped"
	case n.nowhere, n.URL == "" && sb.cfg.NotifyURL == "":
		n.Outcome = "unsent"
	default:
		sb.unsent = append(sb.unsent, n)
	}
}

// dueLocked takes the notifications due at now off the queue; the caller delivers them.
func (sb *Sandbox) dueLocked(now time.Time) []*notification {
	if sb.closed {
		return nil
	}
	var due []*notification
	keep := sb.unsent[:0]
	for _, n := range sb.unsent {
		if n.DueAt.After(now) {
			keep = append(keep, n)
			continue
		}
		n.Outcome = "sending"
		sb.wg.Add(1)
		due = append(due, n)
	}
	clear(sb.unsent[len(keep):])
	sb.unsent = keep
	return due
}

// deliver posts n once (twice when duplicated), and records what the receiver answered.
func (sb *Sandbox) deliver(n *notification) {
	defer sb.wg.Done()
	copies := 1
	if n.duplicate {
		copies = 2
	}
	for range copies {
		d := sb.post(n.URL, n.Body)
		sb.update(func() {
			n.Deliveries = append(n.Deliveries, d)
			if !d.ok() {
				n.Outcome = "failed"
			} else if n.Outcome == "sending" {
				n.Outcome = "sent"
			}
		})
		log := sb.cfg.Logger.With(zap.Int64("requestId", n.RequestID), zap.String("status", n.Status))
		if !d.ok() {
			log.Warn("sandbox notification not accepted; PlacetoPay does not retry", zap.Int("httpStatus", d.Status), zap.String("error", d.Error))
		} else {
			log.Info("sandbox notification delivered", zap.Int("httpStatus", d.Status))
		}
	}
}

func (sb *Sandbox) post(url string, body []byte) Delivery {
	if url == "" {
		url = sb.cfg.NotifyURL
	}
	// Sent whatever became of what triggered it, as PlacetoPay's are; the client's timeout
	// bounds it.
	req, err := http.NewRequestWithContext(context.Background(), http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return Delivery{Error: err.Error()}
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "PlacetoPay-Sandbox/1.0")
	resp, err := sb.cfg.HTTPClient.Do(req)
	if err != nil {
		return Delivery{Error: err.Error()}
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	_ = resp.Body.Close()
	return Delivery{Status: resp.StatusCode}
}
