package placetopay

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// failThen answers with first for the first n hits, then as okAnswers.
func failThen(n int, first answer) func(string, int) answer {
	return func(path string, hit int) answer {
		if hit <= n {
			return first
		}
		return okAnswers(path, hit)
	}
}

var unavailable = answer{503, `{"status":{"status":"FAILED","reason":"503","message":"Service unavailable","date":"2026-03-10T09:30:00-05:00"}}`}

func sentAuth(t *testing.T, r recorded) Auth {
	t.Helper()
	var msg struct{ Auth Auth }
	if err := json.Unmarshal(r.Body, &msg); err != nil {
		t.Fatal(err)
	}
	return msg.Auth
}

// safeCalls are the operations that may be repeated, so the client retries them.
var safeCalls = map[string]func(*Client) error{
	"query session": func(c *Client) error { _, err := c.QuerySession(bg, 1); return err },
	"autopay query": func(c *Client) error { _, err := c.QueryAutopaySession(bg, 1); return err },
	"autopay search": func(c *Client) error {
		_, err := c.SearchAutopay(bg, AutopaySearchRequest{Filters: &AutopaySearchFilters{Reference: "ACC1"}})
		return err
	},
	"autopay transactions": func(c *Client) error {
		_, err := c.AutopayTransactions(bg, AutopayTransactionsRequest{ID: "2972c13d-6315-4da3-80d7-64c24eb232ad"})
		return err
	},
}

// unsafeCalls move money or change state: never repeated.
var unsafeCalls = map[string]func(*Client) error{
	"create session": func(c *Client) error { _, err := c.CreateSession(bg, sessionBasic()); return err },
	"cancel session": func(c *Client) error { _, err := c.CancelSession(bg, 1); return err },
	"collect":        func(c *Client) error { _, err := c.Collect(bg, collectRequest()); return err },
	"checkout": func(c *Client) error {
		_, err := c.TransactionAction(bg, TransactionRequest{InternalReference: 1, Action: ActionCheckout, Amount: &Amount{Currency: "USD", Total: "10"}})
		return err
	},
	"reauthorization": func(c *Client) error {
		_, err := c.TransactionAction(bg, TransactionRequest{InternalReference: 1, Action: ActionReauthorization, Amount: &Amount{Currency: "USD", Total: "10"}})
		return err
	},
	"reverse action": func(c *Client) error {
		_, err := c.TransactionAction(bg, TransactionRequest{InternalReference: 1, Action: ActionReverse})
		return err
	},
	"confirm": func(c *Client) error {
		_, err := c.TransactionAction(bg, TransactionRequest{InternalReference: 1, Action: ActionConfirm})
		return err
	},
	"cancel transaction": func(c *Client) error {
		_, err := c.TransactionAction(bg, TransactionRequest{InternalReference: 1, Action: ActionCancel})
		return err
	},
	"legacy reverse": func(c *Client) error { _, err := c.Reverse(bg, ReverseRequest{InternalReference: 1}); return err },
	"invalidate token": func(c *Client) error {
		_, err := c.InvalidateToken(bg, InvalidateTokenRequest{Instrument: Instrument{Token: &Token{Subtoken: "8740257204881112"}}})
		return err
	},
	"autopay session": func(c *Client) error { _, err := c.CreateAutopaySession(bg, sessionAutopay()); return err },
	"autopay cancel": func(c *Client) error {
		_, err := c.CancelAutopay(bg, AutopayCancelRequest{ID: "2972c13d-6315-4da3-80d7-64c24eb232ad"})
		return err
	},
}

// Safe operations are retried on 5xx, 429 and transport errors, each attempt with a fresh
// nonce and tranKey, and succeed once PlacetoPay answers.
func TestSafeOperationsRetry(t *testing.T) {
	failures := map[string]answer{
		"503":     unavailable,
		"500":     {500, ""},
		"502":     {502, "<html>bad gateway</html>"},
		"429":     {429, `{"status":{"status":"FAILED","reason":"429","message":"Too many requests"}}`},
		"dropped": {dropConnection, ""},
	}
	for name, call := range safeCalls {
		for fname, fail := range failures {
			t.Run(name+" after "+fname, func(t *testing.T) {
				fake := newFake(t, failThen(2, fail))
				if err := call(newTestClient(t, testConfig(fake.URL))); err != nil {
					t.Fatalf("call: %v", err)
				}
				reqs := fake.requests()
				if len(reqs) != 3 {
					t.Fatalf("%d attempts, want 3", len(reqs))
				}
				seen := map[string]bool{}
				for _, r := range reqs {
					a := sentAuth(t, r)
					if seen[a.Nonce] || seen[a.TranKey] {
						t.Errorf("nonce or tranKey reused across attempts: %+v", a)
					}
					seen[a.Nonce], seen[a.TranKey] = true, true
				}
			})
		}
	}
}

// The default nonce source (crypto/rand) is also fresh per attempt.
func TestRetryDefaultNonceIsFresh(t *testing.T) {
	fake := newFake(t, failThen(1, unavailable))
	cfg := testConfig(fake.URL)
	cfg.Nonce = nil
	if _, err := newTestClient(t, cfg).QuerySession(bg, 1); err != nil {
		t.Fatal(err)
	}
	reqs := fake.requests()
	if len(reqs) != 2 {
		t.Fatalf("%d attempts, want 2", len(reqs))
	}
	if a, b := sentAuth(t, reqs[0]), sentAuth(t, reqs[1]); a.Nonce == b.Nonce || a.TranKey == b.TranKey {
		t.Errorf("attempts share a nonce: %+v %+v", a, b)
	}
}

// Retries stop at MaxAttempts, with the last answer as the error, and never follow an
// answer PlacetoPay gave on purpose (4xx, FAILED).
func TestRetryLimits(t *testing.T) {
	tests := []struct {
		name        string
		maxAttempts int
		fail        answer
		wantHits    int
	}{
		{"default three attempts", 0, unavailable, 3},
		{"five attempts", 5, unavailable, 5},
		{"retries disabled", 1, unavailable, 1},
		{"400 not retried", 0, answer{400, `{"status":{"status":"FAILED","reason":"request_not_valid","message":"x"}}`}, 1},
		{"401 not retried", 0, answer{401, `{"status":{"status":"FAILED","reason":401,"message":"Authentication failed 103"}}`}, 1},
		{"FAILED on 200 not retried", 0, answer{200, `{"status":{"status":"FAILED","reason":0,"message":"No existe la sesión que busca"}}`}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := newFake(t, fixed(tt.fail.code, tt.fail.body))
			cfg := testConfig(fake.URL)
			cfg.MaxAttempts = tt.maxAttempts
			_, err := newTestClient(t, cfg).QuerySession(bg, 1)
			if apiErr, ok := IsAPIError(err); !ok || apiErr.HTTPStatus != tt.fail.code {
				t.Errorf("err = %v, want *APIError with HTTP %d", err, tt.fail.code)
			}
			if fake.hits() != tt.wantHits {
				t.Errorf("%d attempts, want %d", fake.hits(), tt.wantHits)
			}
		})
	}
}

// Operations that are not safe to repeat are sent exactly once: a 503 is an *APIError, a
// dropped connection a *TransportError for the caller to resolve by querying.
func TestUnsafeOperationsAreNotRetried(t *testing.T) {
	for name, call := range unsafeCalls {
		t.Run(name+" on 503", func(t *testing.T) {
			fake := newFake(t, fixed(unavailable.code, unavailable.body))
			err := call(newTestClient(t, testConfig(fake.URL)))
			if apiErr, ok := IsAPIError(err); !ok || apiErr.HTTPStatus != 503 {
				t.Errorf("err = %v, want *APIError 503", err)
			}
			if fake.hits() != 1 {
				t.Errorf("%d requests, want exactly 1", fake.hits())
			}
		})
		t.Run(name+" on dropped connection", func(t *testing.T) {
			fake := newFake(t, fixed(dropConnection, ""))
			err := call(newTestClient(t, testConfig(fake.URL)))
			var te *TransportError
			if !errors.As(err, &te) {
				t.Errorf("err = %v, want *TransportError", err)
			}
			if fake.hits() != 1 {
				t.Errorf("%d requests, want exactly 1", fake.hits())
			}
		})
	}
}

// A call that gets no answer within Config.Timeout is a *TransportError wrapping
// context.DeadlineExceeded; a safe one is retried, an unsafe one is not.
func TestTimeouts(t *testing.T) {
	tests := []struct {
		name     string
		call     func(*Client) error
		op       string
		wantHits int
	}{
		{"create session", unsafeCalls["create session"], OpCreateSession, 1},
		{"collect", unsafeCalls["collect"], OpCollect, 1},
		{"query session", safeCalls["query session"], OpQuerySession, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := newFake(t, fixed(hang, ""))
			obs := &recordingObserver{}
			cfg := testConfig(fake.URL)
			cfg.Timeout = 50 * time.Millisecond
			cfg.Observer = obs
			// Attempts are counted where the client sends them: on a loaded machine the
			// fake may not have read the last request before the client gave up on it.
			sent := &countingTransport{next: http.DefaultTransport}
			cfg.HTTPClient = &http.Client{Transport: sent}
			start := time.Now()
			err := tt.call(newTestClient(t, cfg))
			var te *TransportError
			if !errors.As(err, &te) || !errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("err = %v, want *TransportError wrapping DeadlineExceeded", err)
			}
			if d := time.Since(start); d > 2*time.Second {
				t.Errorf("took %v", d)
			}
			if n := sent.n.Load(); n != int64(tt.wantHits) {
				t.Errorf("%d requests sent, want %d", n, tt.wantHits)
			}
			if diff := cmp.Diff([]observedCall{{tt.op, "timeout"}}, obs.calls); diff != "" {
				t.Errorf("observed (-want +got):\n%s", diff)
			}
		})
	}
}

// The caller's context bounds every call: cancellation or its deadline end the call at once,
// while waiting for an answer or between attempts, and stop the retries.
func TestContextIsHonoured(t *testing.T) {
	tests := []struct {
		name    string
		reply   answer
		backoff time.Duration
		ctx     func() (context.Context, context.CancelFunc)
		wantErr error
		outcome string
	}{
		{"canceled while waiting for the answer", answer{hang, ""}, time.Millisecond, func() (context.Context, context.CancelFunc) {
			ctx, cancel := context.WithCancel(bg)
			time.AfterFunc(50*time.Millisecond, cancel)
			return ctx, cancel
		}, context.Canceled, "canceled"},
		{"deadline while waiting for the answer", answer{hang, ""}, time.Millisecond, func() (context.Context, context.CancelFunc) {
			return context.WithTimeout(bg, 50*time.Millisecond)
		}, context.DeadlineExceeded, "timeout"},
		{"canceled during backoff", unavailable, time.Hour, func() (context.Context, context.CancelFunc) {
			ctx, cancel := context.WithCancel(bg)
			time.AfterFunc(50*time.Millisecond, cancel)
			return ctx, cancel
		}, context.Canceled, "canceled"},
		{"already canceled", answer{200, ""}, time.Millisecond, func() (context.Context, context.CancelFunc) {
			ctx, cancel := context.WithCancel(bg)
			cancel()
			return ctx, cancel
		}, context.Canceled, "canceled"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := newFake(t, fixed(tt.reply.code, tt.reply.body))
			obs := &recordingObserver{}
			cfg := testConfig(fake.URL)
			cfg.Backoff, cfg.MaxBackoff, cfg.Observer = tt.backoff, tt.backoff, obs
			ctx, cancel := tt.ctx()
			defer cancel()
			start := time.Now()
			_, err := newTestClient(t, cfg).QuerySession(ctx, 1)
			var te *TransportError
			if !errors.As(err, &te) || !errors.Is(err, tt.wantErr) {
				t.Fatalf("err = %v, want *TransportError wrapping %v", err, tt.wantErr)
			}
			if d := time.Since(start); d > 2*time.Second {
				t.Errorf("took %v", d)
			}
			if fake.hits() > 1 {
				t.Errorf("%d requests after the context ended, want at most 1", fake.hits())
			}
			if diff := cmp.Diff([]observedCall{{OpQuerySession, tt.outcome}}, obs.calls); diff != "" {
				t.Errorf("observed (-want +got):\n%s", diff)
			}
		})
	}
}

// countingTransport counts the requests a client sends.
type countingTransport struct {
	next http.RoundTripper
	n    atomic.Int64
}

func (c *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	c.n.Add(1)
	return c.next.RoundTrip(r)
}
