package placetopay

import (
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestNewFailsFast(t *testing.T) {
	good := testConfig("https://checkout-test.placetopay.com")
	tests := []struct {
		name string
		edit func(*Config)
		want string
	}{
		{"no base URL", func(c *Config) { c.BaseURL = "" }, "BaseURL is required"},
		{"relative base URL", func(c *Config) { c.BaseURL = "checkout.placetopay.com" }, "BaseURL must be an absolute http(s) URL"},
		{"ftp base URL", func(c *Config) { c.BaseURL = "ftp://checkout.placetopay.com" }, "BaseURL must be an absolute http(s) URL"},
		{"bad autopay URL", func(c *Config) { c.AutopayURL = "api.placetopay.com" }, "AutopayURL must be an absolute http(s) URL"},
		{"no login", func(c *Config) { c.Credentials.Login = " " }, "Credentials.Login is required"},
		{"no secret", func(c *Config) { c.Credentials.SecretKey = "" }, "Credentials.SecretKey is required"},
		{"unknown algorithm", func(c *Config) { c.Algorithm = "md5" }, `unknown algorithm "md5"`},
		{"negative timeout", func(c *Config) { c.Timeout = -time.Second }, "cannot be negative"},
		{"negative attempts", func(c *Config) { c.MaxAttempts = -1 }, "cannot be negative"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := good
			tt.edit(&cfg)
			c, err := New(cfg)
			if err == nil || c != nil {
				t.Fatalf("New = %v, %v; want an error", c, err)
			}
			if !strings.HasPrefix(err.Error(), "placetopay: config: ") || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not say %q", err, tt.want)
			}
			if strings.Contains(err.Error(), testSecret) {
				t.Error("error shows the secret key")
			}
		})
	}
	if _, err := New(good); err != nil {
		t.Errorf("good config refused: %v", err)
	}
}

// A base URL with a path prefix or a trailing slash is joined once.
func TestBaseURLJoin(t *testing.T) {
	for _, suffix := range []string{"", "/", "/redirection/"} {
		t.Run(suffix, func(t *testing.T) {
			fake := newFake(t, func(path string, hit int) answer {
				return okAnswers(strings.TrimPrefix(path, "/redirection"), hit)
			})
			if _, err := newTestClient(t, testConfig(fake.URL+suffix)).QuerySession(bg, 5); err != nil {
				t.Fatal(err)
			}
			want := strings.TrimSuffix(suffix, "/") + "/api/session/5"
			if got := fake.requests()[0].Path; got != want {
				t.Errorf("path = %q, want %q", got, want)
			}
		})
	}
}

func TestAutopayNeedsItsURL(t *testing.T) {
	cfg := testConfig("https://checkout-test.placetopay.com")
	cfg.AutopayURL = ""
	obs := &recordingObserver{}
	cfg.Observer = obs
	_, err := newTestClient(t, cfg).QueryAutopaySession(bg, 1)
	if err == nil || !strings.Contains(err.Error(), "placetopay: autopay query 1: Config.AutopayURL is not set") {
		t.Errorf("err = %v", err)
	}
	if diff := cmp.Diff([]observedCall{{OpAutopayQuery, "error"}}, obs.calls); diff != "" {
		t.Errorf("observed (-want +got):\n%s", diff)
	}
}

// SHA-1 is selectable for legacy sites; the tranKey is then the 28-character SHA-1 digest.
func TestSHA1Algorithm(t *testing.T) {
	fake := newFake(t, okAnswers)
	cfg := testConfig(fake.URL)
	cfg.Algorithm = SHA1
	if _, err := newTestClient(t, cfg).QuerySession(bg, 1); err != nil {
		t.Fatal(err)
	}
	got := sentAuth(t, fake.requests()[0])
	want, _ := TranKey(SHA1, []byte("nonce-0000000001"), "2026-03-10T09:30:00-05:00", testSecret)
	if got.TranKey != want || len(got.TranKey) != 28 {
		t.Errorf("tranKey = %q, want %q", got.TranKey, want)
	}
	if raw, _ := base64.StdEncoding.DecodeString(got.Nonce); string(raw) != "nonce-0000000001" {
		t.Errorf("nonce = %q", got.Nonce)
	}
}

// The Observer gets one outcome per call, and the skew between status.date and the clock.
func TestObserver(t *testing.T) {
	tests := []struct {
		name    string
		reply   answer
		call    func(*Client) error
		op      string
		outcome string
		skew    []time.Duration
	}{
		{"ok", answer{200, `{"status":` + statusJSON("OK", "PC", "ok", 90*time.Second) + `,"requestId":7,"processUrl":"https://x/session/7/a"}`},
			unsafeCalls["create session"], OpCreateSession, "ok", []time.Duration{90 * time.Second}},
		{"failed", answer{400, `{"status":` + statusJSON("FAILED", "XN", "The token used is invalid", -2*time.Minute) + `}`},
			unsafeCalls["collect"], OpCollect, "failed:XN", []time.Duration{-2 * time.Minute}},
		{"auth", answer{401, `{"status":{"status":"FAILED","reason":401,"message":"Authentication failed 102","date":"2026-03-10T14:36:00Z"}}`},
			safeCalls["query session"], OpQuerySession, "auth:102", []time.Duration{6 * time.Minute}},
		{"fractional date", answer{200, `{"status":{"status":"APPROVED","reason":"00","date":"2026-03-10T14:30:00.5Z"},"payment":{"internalReference":"9","status":{"status":"APPROVED","reason":"00"}}}`},
			unsafeCalls["reverse action"], "transaction_reverse", "ok", []time.Duration{500 * time.Millisecond}},
		{"unexpected reason", answer{400, `{"status":{"status":"FAILED","reason":"La referencia 123 no es válida","message":"x"}}`},
			unsafeCalls["collect"], OpCollect, "failed:other", nil},
		{"failed without reason", answer{200, `{"status":{"status":"FAILED","reason":null,"message":"x"}}`},
			unsafeCalls["collect"], OpCollect, "failed:none", nil},
		{"http", answer{502, "<html>Bad gateway</html>"}, unsafeCalls["invalidate token"], OpInvalidateToken, "http:502", nil},
		{"transport", answer{dropConnection, ""}, unsafeCalls["autopay cancel"], OpAutopayCancel, "transport", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := newFake(t, fixed(tt.reply.code, tt.reply.body))
			obs := &recordingObserver{}
			cfg := testConfig(fake.URL)
			cfg.Observer = obs
			_ = tt.call(newTestClient(t, cfg)) // what the observer saw is checked, not the error
			if diff := cmp.Diff([]observedCall{{tt.op, tt.outcome}}, obs.calls); diff != "" {
				t.Errorf("calls (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.skew, obs.skews); diff != "" {
				t.Errorf("skews (-want +got):\n%s", diff)
			}
		})
	}
}

// Answers are read up to MaxResponseBytes; a larger one is refused, not retried.
func TestResponseSizeLimit(t *testing.T) {
	huge := `{"status":{"status":"OK","reason":"00"},"request":{"x":"` + strings.Repeat("a", MaxResponseBytes) + `"}}`
	fake := newFake(t, fixed(200, huge))
	_, err := newTestClient(t, testConfig(fake.URL)).QuerySession(bg, 1)
	var te *TransportError
	if !errors.As(err, &te) || !strings.Contains(err.Error(), "larger than 1048576 bytes") {
		t.Fatalf("err = %v, want a *TransportError about the size", err)
	}
	if fake.hits() != 1 {
		t.Errorf("%d requests, want 1", fake.hits())
	}
}

// No secret key, tranKey, token or CVV ever appears in an error or in a printed config or
// request.
func TestSecretsStayOut(t *testing.T) {
	const token, cvv = "e07ca9986cf0ecac8a557fa11c07bf37ea35e9e3e3a4180c49", "987"
	var texts []string
	var tranKeys []string
	for _, reply := range []answer{
		{dropConnection, ""}, {500, ""}, {400, `{"status":{"status":"FAILED","reason":"XN","message":"The token used is invalid"}}`},
		{200, "not json"}, {hang, ""},
	} {
		fake := newFake(t, fixed(reply.code, reply.body))
		cfg := testConfig(fake.URL)
		cfg.Timeout = 50 * time.Millisecond
		req := collectRequest()
		req.Instrument.Token = &Token{Token: token, CVV: cvv}
		_, err := newTestClient(t, cfg).Collect(bg, req)
		if err == nil {
			t.Fatalf("%d: no error", reply.code)
		}
		texts = append(texts, err.Error(), fmt.Sprintf("%+v", err), fmt.Sprintf("%#v", err))
		for _, r := range fake.requests() {
			tranKeys = append(tranKeys, sentAuth(t, r).TranKey)
		}
	}
	_, err := newTestClient(t, testConfig("https://x.test")).Collect(bg, CollectRequest{Instrument: Instrument{Token: &Token{Token: token, CVV: "12x"}}})
	texts = append(texts, err.Error())
	req := collectRequest()
	req.Instrument.Token = &Token{Token: token, Subtoken: "8740257204881111", CVV: cvv, Franchise: "visa", LastDigits: "1111"}
	cfg := testConfig("https://x.test")
	client := newTestClient(t, cfg)
	texts = append(texts, fmt.Sprintf("%v %+v %#v %v %#v %#v", cfg, cfg, cfg, client, client, *req.Instrument.Token))
	texts = append(texts, fmt.Sprintf("%v %+v", testConfig("https://x.test"), req))
	// The CVV is three digits: it counts only as a number of its own, not inside another
	// (a loopback port like 34987 is not a leak).
	cvvAlone := regexp.MustCompile(`(^|[^0-9])` + cvv + `([^0-9]|$)`)
	for _, text := range texts {
		for _, secret := range append([]string{testSecret, token, "8740257204881111"}, tranKeys...) {
			if strings.Contains(text, secret) {
				t.Errorf("%q shows a secret", text)
			}
		}
		if cvvAlone.MatchString(text) {
			t.Errorf("%q shows the CVV", text)
		}
	}
	if !strings.Contains(texts[len(texts)-1], "visa ****1111") {
		t.Errorf("printed request %q should describe the token safely", texts[len(texts)-1])
	}
}

// The documented headers are sent on every call, also on retries.
func TestHeadersOnEveryAttempt(t *testing.T) {
	fake := newFake(t, failThen(1, unavailable))
	if _, err := newTestClient(t, testConfig(fake.URL)).QuerySession(bg, 1); err != nil {
		t.Fatal(err)
	}
	for _, r := range fake.requests() {
		if r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/json" || r.Header.Get("Accept") != "application/json" {
			t.Errorf("%s with headers %v", r.Method, r.Header)
		}
	}
}
