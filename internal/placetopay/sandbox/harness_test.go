package sandbox

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	pp "github.com/placetopay-gateway/gateway/internal/placetopay"
)

const (
	testLogin  = "0123456789abcdef0123456789abcdef"
	testSecret = "SnZP3D63n3I9dH9O"
)

// testEpoch is the sandbox clock's base in tests: it only moves when a test advances it.
var testEpoch = time.Date(2026, 3, 2, 15, 4, 5, 0, time.UTC)

// harness is a sandbox served over real HTTP, with a notification receiver.
type harness struct {
	t     *testing.T
	sb    *Sandbox
	url   string
	clock *Clock
	notes *Receiver
	alg   pp.Algorithm // of the tranKeys the harness sends
}

func newHarness(t *testing.T, edit ...func(*Config)) *harness {
	t.Helper()
	rec := NewReceiver(t)
	clock := NewClock(func() time.Time { return testEpoch })
	cfg := Config{
		Login: testLogin, SecretKey: testSecret, NotifyURL: rec.URL, Clock: clock,
		IDStart: 1000, TickInterval: 20 * time.Millisecond, ExpiryReason: "EX",
	}
	for _, e := range edit {
		e(&cfg)
	}
	sb, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	srv := httptest.NewServer(sb.Handler())
	t.Cleanup(func() {
		srv.Close()
		sb.Close()
	})
	return &harness{t: t, sb: sb, url: srv.URL, clock: clock, notes: rec, alg: pp.SHA256}
}

// auth is a fresh auth object for the sandbox's site, seeded by the sandbox clock.
func (h *harness) auth() pp.Auth {
	h.t.Helper()
	a := pp.Authenticator{
		Credentials: pp.Credentials{Login: testLogin, SecretKey: testSecret},
		Algorithm:   h.alg, Clock: h.clock.Base,
	}
	auth, err := a.Auth()
	if err != nil {
		h.t.Fatal(err)
	}
	return auth
}

// reply is an answer of the sandbox.
type reply struct {
	Code int
	Body map[string]any
	Raw  []byte
	Resp *http.Response
}

// api posts body to an API path with a fresh auth object, checks the answer against
// PlacetoPay's OpenAPI document and returns it.
func (h *harness) api(path string, body map[string]any) reply {
	h.t.Helper()
	if body == nil {
		body = map[string]any{}
	}
	body["auth"] = h.auth()
	raw, err := json.Marshal(body)
	if err != nil {
		h.t.Fatal(err)
	}
	return h.send(http.MethodPost, path, "application/json", raw)
}

// send sends raw as is; answers from the PlacetoPay APIs are checked against their spec.
func (h *harness) send(method, path, contentType string, raw []byte) reply {
	h.t.Helper()
	req, err := http.NewRequest(method, h.url+path, bytes.NewReader(raw))
	if err != nil {
		h.t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := noRedirects.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		h.t.Fatal(err)
	}
	r := reply{Code: resp.StatusCode, Raw: b, Resp: resp}
	if strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		if err := json.Unmarshal(b, &r.Body); err != nil {
			h.t.Fatalf("%s %s: answer is not a JSON object: %v: %s", method, path, err, b)
		}
	}
	// The legacy /api/reverse was removed from the document (docs/placetopay.md#legacy-reverse); its answers
	// are checked field by field by its test.
	api := strings.HasPrefix(path, "/api/") || strings.HasPrefix(path, "/autopay/")
	if method == http.MethodPost && api && path != "/api/reverse" {
		resp.Body = io.NopCloser(bytes.NewReader(b))
		checkSpec(h.t, req, resp)
	}
	return r
}

var noRedirects = &http.Client{
	Timeout:       10 * time.Second,
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
}

// control calls the control API.
func (h *harness) control(method, path string, body any) reply {
	h.t.Helper()
	raw, err := json.Marshal(body)
	if err != nil {
		h.t.Fatal(err)
	}
	if body == nil {
		raw = nil
	}
	return h.send(method, path, "application/json", raw)
}

// want fails the test unless r has the status code.
func (r reply) want(t *testing.T, code int) reply {
	t.Helper()
	if r.Code != code {
		t.Fatalf("HTTP %d, want %d: %s", r.Code, code, r.Raw)
	}
	return r
}

// get returns the value at a path of keys and indexes, or nil.
func get(v any, path ...any) any {
	for _, p := range path {
		switch k := p.(type) {
		case string:
			m, _ := v.(map[string]any)
			v = m[k]
		case int:
			l, _ := v.([]any)
			if k >= len(l) {
				return nil
			}
			v = l[k]
		}
	}
	return v
}

// str is the value at path as text ("" when missing); numbers print as written.
func str(v any, path ...any) string {
	switch x := get(v, path...).(type) {
	case nil:
		return ""
	case string:
		return x
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	default:
		return fmt.Sprint(x)
	}
}

// status is "STATUS/reason" of the status object at path.
func status(v any, path ...any) string {
	return str(v, append(path, "status")...) + "/" + str(v, append(path, "reason")...)
}

// basicSession is a create-session request for a USD 100.50 payment.
func basicSession(ref string) map[string]any {
	return map[string]any{
		"locale": "en_US",
		"payer":  map[string]any{"name": "Ada", "surname": "Lovelace", "email": "ada@example.com"},
		"payment": map[string]any{
			"reference": ref, "description": "Two notebooks",
			"amount": map[string]any{"currency": "USD", "total": 100.50},
		},
		"returnUrl": "https://shop.example/return/" + ref, "ipAddress": "127.0.0.1", "userAgent": "sandbox-test",
	}
}

// create opens a session and returns its requestId and processUrl.
func (h *harness) create(body map[string]any) (int64, string) {
	h.t.Helper()
	r := h.api("/api/session", body).want(h.t, http.StatusOK)
	id, err := strconv.ParseInt(str(r.Body, "requestId"), 10, 64)
	if err != nil {
		h.t.Fatalf("requestId %q: %v", str(r.Body, "requestId"), err)
	}
	return id, str(r.Body, "processUrl")
}

func (h *harness) query(id int64) reply {
	h.t.Helper()
	return h.api(fmt.Sprintf("/api/session/%d", id), nil).want(h.t, http.StatusOK)
}

func (h *harness) pay(id int64, card string) reply {
	h.t.Helper()
	return h.control(http.MethodPost, fmt.Sprintf("/sandbox/sessions/%d/pay", id), map[string]string{"card": card})
}

func (h *harness) advance(d time.Duration) {
	h.t.Helper()
	h.control(http.MethodPost, "/sandbox/clock", map[string]string{"advance": d.String()}).want(h.t, http.StatusOK)
}

// Test cards by what they do.
const (
	cardApprove        = "4110760000000081"
	cardDeny           = "4110760000000016"
	cardPendingApprove = "4110760000000073"
	cardPendingReject  = "4048370000000037"
	cardSlowApprove    = "4110760000000024"
)
