package placetopay

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Defaults of Config.
const (
	DefaultTimeout     = 15 * time.Second // per HTTP attempt, as the official PHP library
	DefaultMaxAttempts = 3                // for operations that are safe to repeat
	DefaultBackoff     = 200 * time.Millisecond
	DefaultMaxBackoff  = 2 * time.Second
	// MaxResponseBytes bounds every response body read from PlacetoPay.
	MaxResponseBytes = 1 << 20
)

// Config is everything a Client needs. BaseURL, Credentials.Login and Credentials.SecretKey
// are required; every other field has a default.
type Config struct {
	// BaseURL is the Checkout base URL, e.g. https://checkout-test.placetopay.com.
	BaseURL string
	// AutopayURL is the autopay API base URL, e.g. https://api-test.placetopay.com. The
	// autopay methods fail without it; the Checkout methods do not need it.
	AutopayURL string
	// Credentials are the site's login and secret key.
	Credentials Credentials
	// Algorithm digests tranKeys: SHA256 (the default) or SHA1 for legacy sites.
	Algorithm Algorithm
	// HTTPClient sends the requests; a copy is used that never follows redirects. When nil,
	// a client whose transport keeps enough idle connections for many calls at once
	// (sharedTransport).
	HTTPClient *http.Client
	// Timeout bounds each HTTP attempt, reading the answer included (DefaultTimeout when
	// zero). The caller's context bounds the whole call, retries included.
	Timeout time.Duration
	// Clock is the time used for seeds, expiration checks and seed skew (time.Now when nil).
	Clock func() time.Time
	// Nonce returns a fresh raw nonce for every attempt (16 random bytes when nil).
	Nonce func() ([]byte, error)
	// MaxAttempts bounds the attempts of the operations that are safe to repeat (query
	// session, autopay query, search and transactions): DefaultMaxAttempts when zero, 1 to
	// disable retries. Other operations are always attempted once.
	MaxAttempts int
	// Backoff is the base of the jittered exponential backoff between attempts and
	// MaxBackoff its ceiling (DefaultBackoff and DefaultMaxBackoff when zero).
	Backoff, MaxBackoff time.Duration
	// Observer receives one observation per call and the seed skew of every answer; nil
	// observes nothing.
	Observer Observer
}

// Client calls PlacetoPay's Checkout and autopay APIs. It is safe for concurrent use.
type Client struct {
	base, autopayBase string
	auth              Authenticator
	http              *http.Client
	timeout           time.Duration
	now               func() time.Time
	maxAttempts       int
	backoff, maxWait  time.Duration
	observer          Observer
}

// New checks cfg and returns a Client. It fails fast on a missing or malformed BaseURL,
// Login or SecretKey, an unknown algorithm, or negative limits.
func New(cfg Config) (*Client, error) {
	base, err := baseURL("BaseURL", cfg.BaseURL)
	if err != nil {
		return nil, err
	}
	var autopay string
	if cfg.AutopayURL != "" {
		if autopay, err = baseURL("AutopayURL", cfg.AutopayURL); err != nil {
			return nil, err
		}
	}
	switch {
	case strings.TrimSpace(cfg.Credentials.Login) == "":
		return nil, errors.New("placetopay: config: Credentials.Login is required")
	case cfg.Credentials.SecretKey == "":
		return nil, errors.New("placetopay: config: Credentials.SecretKey is required")
	case cfg.Algorithm != "" && cfg.Algorithm != SHA256 && cfg.Algorithm != SHA1:
		return nil, fmt.Errorf("placetopay: config: unknown algorithm %q", string(cfg.Algorithm))
	case cfg.Timeout < 0, cfg.MaxAttempts < 0, cfg.Backoff < 0, cfg.MaxBackoff < 0:
		return nil, errors.New("placetopay: config: Timeout, MaxAttempts, Backoff and MaxBackoff cannot be negative")
	}
	c := &Client{
		base: base, autopayBase: autopay,
		auth: Authenticator{
			Credentials: cfg.Credentials, Algorithm: cfg.Algorithm,
			Clock: cfg.Clock, Nonce: cfg.Nonce,
		},
		timeout: orDefault(cfg.Timeout, DefaultTimeout), now: cfg.Clock,
		maxAttempts: cfg.MaxAttempts, backoff: orDefault(cfg.Backoff, DefaultBackoff),
		maxWait: orDefault(cfg.MaxBackoff, DefaultMaxBackoff), observer: cfg.Observer,
	}
	if c.auth.Algorithm == "" {
		c.auth.Algorithm = SHA256
	}
	if c.now == nil {
		c.now = time.Now
	}
	if c.maxAttempts == 0 {
		c.maxAttempts = DefaultMaxAttempts
	}
	if c.observer == nil {
		c.observer = nopObserver{}
	}
	hc := http.Client{Transport: sharedTransport}
	if cfg.HTTPClient != nil {
		hc = *cfg.HTTPClient
	}
	// A redirected POST becomes a GET without its body: never follow one, report it.
	hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	c.http = &hc
	return c, nil
}

// String describes the client without its credentials' secret, for logs and fmt.
func (c *Client) String() string {
	return fmt.Sprintf("placetopay.Client{BaseURL: %s, AutopayURL: %s, %v, Algorithm: %s}",
		c.base, c.autopayBase, c.auth.Credentials, c.auth.Algorithm)
}

// GoString hides the secret from %#v too.
func (c *Client) GoString() string { return c.String() }

func baseURL(name, raw string) (string, error) {
	if strings.TrimSpace(raw) == "" {
		return "", fmt.Errorf("placetopay: config: %s is required", name)
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return "", fmt.Errorf("placetopay: config: %s must be an absolute http(s) URL without query", name)
	}
	return strings.TrimRight(raw, "/"), nil
}

func orDefault(d, def time.Duration) time.Duration {
	if d == 0 {
		return def
	}
	return d
}
