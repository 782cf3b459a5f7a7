package placetopay

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

const (
	testLogin  = "aabbccdd1234567890aabbccdd123456"
	testSecret = "SeCrEtKeY-never-logged-0123456789"
)

// testNow is the injected clock of every test client: Bogotá time, as PlacetoPay uses.
var testNow = time.Date(2026, 3, 10, 9, 30, 0, 0, time.FixedZone("COT", -5*60*60))

// nonces returns a nonce source that yields "nonce-0000000001", "nonce-0000000002", …
func nonces() func() ([]byte, error) {
	var mu sync.Mutex
	n := 0
	return func() ([]byte, error) {
		mu.Lock()
		defer mu.Unlock()
		n++
		return []byte(fmt.Sprintf("nonce-%010d", n)), nil
	}
}

// recorded is one request a test server received.
type recorded struct {
	Method string
	Path   string
	Header http.Header
	Body   []byte
}

// answer is a canned reply: an HTTP status and body, or one of the faults below.
type answer struct {
	code int
	body string
}

// Faults a fake can answer with instead of an HTTP status.
const (
	dropConnection = -1 // close the connection without answering
	hang           = -2 // never answer (until the client gives up or the test ends)
)

// fakePlacetoPay is an httptest server on loopback that records every request and replies
// with reply(path, hit number starting at 1).
type fakePlacetoPay struct {
	*httptest.Server
	mu    sync.Mutex
	reqs  []recorded
	reply func(path string, hit int) answer
}

func newFake(t *testing.T, reply func(path string, hit int) answer) *fakePlacetoPay {
	t.Helper()
	f := &fakePlacetoPay{reply: reply}
	stop := make(chan struct{})
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		f.mu.Lock()
		f.reqs = append(f.reqs, recorded{Method: r.Method, Path: r.URL.Path, Header: r.Header.Clone(), Body: body})
		hit := len(f.reqs)
		f.mu.Unlock()
		a := f.reply(r.URL.Path, hit)
		switch a.code {
		case 0:
			a.code = http.StatusOK
		case dropConnection:
			conn, _, err := w.(http.Hijacker).Hijack()
			if err != nil {
				panic(err)
			}
			conn.Close()
			return
		case hang:
			select {
			case <-r.Context().Done():
			case <-stop:
			}
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(a.code)
		_, _ = io.WriteString(w, a.body)
	}))
	t.Cleanup(f.Close)
	t.Cleanup(func() { close(stop) }) // runs first: releases hanging handlers
	return f
}

// fixed always gives the same answer.
func fixed(code int, body string) func(string, int) answer {
	return func(string, int) answer { return answer{code, body} }
}

func (f *fakePlacetoPay) requests() []recorded {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]recorded(nil), f.reqs...)
}

func (f *fakePlacetoPay) hits() int { return len(f.requests()) }

// testConfig is a deterministic client configuration against baseURL (also the autopay URL).
func testConfig(baseURL string) Config {
	return Config{
		BaseURL: baseURL, AutopayURL: baseURL,
		Credentials: Credentials{Login: testLogin, SecretKey: testSecret},
		Clock:       func() time.Time { return testNow },
		Nonce:       nonces(),
		Timeout:     5 * time.Second,
		Backoff:     time.Millisecond, MaxBackoff: 5 * time.Millisecond,
	}
}

func newTestClient(t *testing.T, cfg Config) *Client {
	t.Helper()
	c, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return c
}

// statusJSON is a status object dated by the test clock plus skew.
func statusJSON(status, reason, message string, skew time.Duration) string {
	return fmt.Sprintf(`{"status":%q,"reason":%q,"message":%q,"date":%q}`,
		status, reason, message, testNow.Add(skew).Format(time.RFC3339))
}

// okAnswers are minimal successful answers for every path the client calls.
func okAnswers(path string, _ int) answer {
	st := statusJSON("OK", "00", "The request has been processed successfully", 0)
	approved := statusJSON("APPROVED", "00", "Approved", 0)
	tx := `{"status":` + approved + `,"internalReference":640,"reference":"ORDER-1001","paymentMethod":"visa",` +
		`"amount":{"from":{"currency":"USD","total":500},"to":{"currency":"USD","total":500},"factor":1},` +
		`"authorization":"550044","receipt":"499435368733","franchise":"PS_VS","refunded":false}`
	info := `{"requestId":1,"status":` + approved + `,"request":{},"payment":[` + tx + `],"subscription":null}`
	switch {
	case path == "/api/session", path == "/autopay/session":
		return answer{200, `{"status":` + statusJSON("OK", "PC", "The request has been processed successfully", 0) +
			`,"requestId":1,"processUrl":"https://checkout-test.placetopay.com/session/1/cc9b8690b1f7228c78b759ce27d7e80a"}`}
	case strings.HasSuffix(path, "/cancel") && strings.HasPrefix(path, "/api/session/"):
		return answer{200, `{"status":` + st + `,"session":{"requestId":1,"status":` +
			statusJSON("REJECTED", "MC", "The request has been cancelled by the merchant", 0) + `,"payment":null}}`}
	case strings.HasPrefix(path, "/api/session/"), path == "/api/collect", strings.HasPrefix(path, "/autopay/session/"):
		return answer{200, info}
	case path == "/api/transaction", path == "/api/reverse":
		return answer{200, `{"status":` + approved + `,"payment":` + tx + `}`}
	case path == "/api/instrument/invalidate":
		return answer{200, `{"status":` + approved + `}`}
	case path == "/autopay/search":
		return answer{200, `{"status":` + st + `,"data":[],"pagination":{"total":1,"perPage":15,"currentPage":1,"lastPage":1}}`}
	case path == "/autopay/cancel":
		return answer{200, `{"status":` + st + `,"id":"2972c13d-6315-4da3-80d7-64c24eb232ad"}`}
	case path == "/autopay/transactions":
		return answer{200, `{"status":` + st + `,"data":[` + tx + `],"pagination":{"total":1,"perPage":15,"currentPage":1,"lastPage":1}}`}
	}
	return answer{404, `{"status":` + statusJSON("FAILED", "NA", "Page not found", 0) + `}`}
}

// recordingObserver keeps what the client observed.
type recordingObserver struct {
	mu    sync.Mutex
	calls []observedCall
	skews []time.Duration
}

type observedCall struct{ Operation, Outcome string }

func (o *recordingObserver) ObserveCall(op, outcome string, _ time.Duration) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.calls = append(o.calls, observedCall{op, outcome})
}

func (o *recordingObserver) ObserveSeedSkew(d time.Duration) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.skews = append(o.skews, d)
}

var bg = context.Background()
