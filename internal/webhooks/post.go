package webhooks

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
)

const (
	maxResponseBody = 64 << 10 // read (and discarded) of a merchant's answer
	maxErrorText    = 500      // of an attempt's error, as stored
	baseBackoff     = 5 * time.Second
	maxBackoff      = time.Hour
)

// Attempt is the outcome of one POST of an event to a merchant: MERCHANT_WEBHOOK_URL's
// deliverer and each webhook endpoint's (internal/endpoints) post through Post.
type Attempt struct {
	Status      int    // the merchant's HTTP status; 0 when there was no response
	Err         string // what went wrong when there was no response
	Interrupted bool   // cut short by the gateway shutting down, not the merchant's doing
	Duration    time.Duration
}

// OK reports a 2xx answer.
func (a Attempt) OK() bool { return a.Status >= 200 && a.Status < 300 }

// Post sends body to target with the Standard Webhooks headers: message id, timestamp at,
// and signature (one "v1,…" per secret, space-separated). The call ends after timeout; an
// error says what went wrong without the URL, which could carry a token in its query.
func Post(ctx context.Context, client *http.Client, timeout time.Duration, target, id string, at time.Time, body []byte, signature string) Attempt {
	pctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(pctx, http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		return Attempt{Err: "request: " + describe(err)}
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "placetopay-gateway-webhooks/1")
	req.Header.Set(standardwebhooks.HeaderWebhookID, id)
	req.Header.Set(standardwebhooks.HeaderWebhookTimestamp, strconv.FormatInt(at.Unix(), 10))
	req.Header.Set(standardwebhooks.HeaderWebhookSignature, signature)
	start := time.Now()
	res, err := client.Do(req)
	if err != nil {
		a := Attempt{Err: describe(err), Duration: time.Since(start)}
		switch {
		case ctx.Err() != nil:
			a.Err, a.Interrupted = "interrupted: the gateway is shutting down", true
		case errors.Is(err, context.DeadlineExceeded):
			a.Err = fmt.Sprintf("no response within %s", timeout)
		}
		return a
	}
	// The answer's body means nothing to the gateway, but reading it lets the connection be
	// reused; the limit and the timeout keep a merchant from making that cost anything.
	_, _ = io.Copy(io.Discard, io.LimitReader(res.Body, maxResponseBody))
	_ = res.Body.Close()
	return Attempt{Status: res.StatusCode, Duration: time.Since(start)}
}

// Backoff is the wait after the attempt-th failed attempt (1-based): 5s doubling each time,
// capped at an hour, less up to a fifth at random.
func Backoff(attempt int) time.Duration {
	d := maxBackoff
	if attempt >= 1 && attempt < 20 {
		d = min(baseBackoff<<(attempt-1), maxBackoff)
	}
	return d - rand.N(d/5+1)
}

// describe is an HTTP client error without the URL, which could carry a token in its query.
func describe(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	s := err.Error()
	if len(s) > maxErrorText {
		s = strings.ToValidUTF8(s[:maxErrorText], "")
	}
	return s
}
