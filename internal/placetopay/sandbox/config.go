package sandbox

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/placetopay-gateway/gateway/internal/placetopay"
)

// Config configures a Sandbox. Login and SecretKey are required; every other field has a
// default.
type Config struct {
	// Login and SecretKey are the site the sandbox knows first; Sites are more, each with
	// its own secret and notification URL, as several PlacetoPay sites on one installation.
	Login     string
	SecretKey string
	Sites     []Site

	// BaseURL is the sandbox's own public URL, the prefix of every processUrl. When empty,
	// processUrl is built from the Host of each create-session request.
	BaseURL string
	// MerchantName is shown on the hosted page; "Sandbox merchant" when empty.
	MerchantName string

	// NotifyURL receives the notifications; none are sent when it is empty (they are still
	// recorded). Signature is how they are signed: placetopay.SHA256 (the default, with the
	// "sha256:" prefix) or placetopay.SHA1 (bare hex, legacy sites).
	NotifyURL string
	Signature placetopay.Algorithm
	// AutopayURL is the merchant base PlacetoPay calls for autopay: webhooks go to
	// {AutopayURL}/autopay/webhook, approved charges to {AutopayURL}/autopay/settlement, with
	// HTTP Basic AutopayUser:AutopayPassword. None are sent when it is empty (they are still
	// recorded).
	AutopayURL, AutopayUser, AutopayPassword string
	// HTTPClient posts the notifications; a client with a 10 second timeout when nil.
	HTTPClient *http.Client
	// Faults drop, duplicate, delay or corrupt notifications, to test merchants.
	Faults Faults
	// Latency is how long every PlacetoPay API call takes to answer (SANDBOX_LATENCY);
	// none when zero.
	Latency Latency
	// SkipExpiryNotification stops notifications for sessions that expire with nothing
	// approved (PlacetoPay does not document whether it sends them; by default it does).
	SkipExpiryNotification bool

	// Clock is the sandbox time; a real clock when nil.
	Clock *Clock
	// Location is the zone of every date the sandbox writes; UTC-05:00 when nil, like
	// PlacetoPay's Colombian servers.
	Location *time.Location
	// Logger logs notification deliveries and failures; a no-op logger when nil.
	Logger *zap.Logger

	// AttemptsLimit is how many rejected attempts reject a session (10).
	AttemptsLimit int
	// DefaultExpiry is a session's lifetime when the request sets none (30 minutes).
	DefaultExpiry time.Duration
	// PendingDelay is how long the pending test cards stay pending (2 minutes); the cards
	// documented as "180 s" always take 180 seconds.
	PendingDelay time.Duration
	// ConfirmWindow is how long a PENDING_CONFIRMATION transaction waits for confirm or
	// cancel before it is rejected (30 minutes).
	ConfirmWindow time.Duration
	// ExpiryReason is the reason of a session that expired with nothing approved ("EX";
	// PlacetoPay does not document it, so clients must not depend on it).
	ExpiryReason string
	// IDStart is the first requestId and internalReference. Zero means the tenths of a
	// second since 2020 (DefaultIDStart), so that a restarted sandbox does not give out ids an
	// earlier run gave out (the gateway stores them as unique keys).
	IDStart int64
	// Persister keeps the state across restarts: New restores what it loads, and every
	// change is saved before the request that made it is answered. Memory only when nil.
	Persister Persister
	// TickInterval is how often pending payments, expiries and delayed notifications are
	// processed without a request arriving (1 second).
	TickInterval time.Duration
}

// Site is one more login the sandbox takes. A session remembers the login that created it:
// only that login can query, cancel or act on it, and its notifications are signed with that
// login's secret and sent to its NotifyURL (none when empty).
type Site struct {
	Login, SecretKey, NotifyURL string
}

func (c *Config) setDefaults() error {
	if c.Login == "" || c.SecretKey == "" {
		return errors.New("sandbox: Login and SecretKey are required")
	}
	logins := map[string]bool{c.Login: true}
	for _, s := range c.Sites {
		if s.Login == "" || s.SecretKey == "" {
			return errors.New("sandbox: every site needs a login and a secret key")
		}
		if logins[s.Login] {
			return fmt.Errorf("sandbox: login %q is given twice", s.Login)
		}
		logins[s.Login] = true
		if s.NotifyURL != "" {
			if u, err := url.Parse(s.NotifyURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
				return fmt.Errorf("sandbox: the NotifyURL of login %q is not an absolute http or https URL", s.Login)
			}
		}
	}
	if c.BaseURL != "" {
		u, err := url.Parse(c.BaseURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("sandbox: BaseURL %q is not an absolute http or https URL", c.BaseURL)
		}
		c.BaseURL = strings.TrimRight(c.BaseURL, "/")
	}
	if c.AutopayURL != "" {
		u, err := url.Parse(c.AutopayURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("sandbox: AutopayURL %q is not an absolute http or https URL", c.AutopayURL)
		}
		c.AutopayURL = strings.TrimRight(c.AutopayURL, "/")
	}
	switch c.Signature {
	case "":
		c.Signature = placetopay.SHA256
	case placetopay.SHA256, placetopay.SHA1:
	default:
		return fmt.Errorf("sandbox: Signature must be sha256 or sha1, not %q", string(c.Signature))
	}
	if err := c.Faults.validate(); err != nil {
		return err
	}
	if err := c.Latency.validate(); err != nil {
		return fmt.Errorf("sandbox: Latency: %w", err)
	}
	if c.MerchantName == "" {
		c.MerchantName = "Sandbox merchant"
	}
	if c.HTTPClient == nil {
		c.HTTPClient = &http.Client{Timeout: 10 * time.Second}
	}
	if c.Clock == nil {
		c.Clock = NewClock(nil)
	}
	if c.Location == nil {
		c.Location = time.FixedZone("-05", -5*60*60)
	}
	if c.Logger == nil {
		c.Logger = zap.NewNop()
	}
	defaultInt(&c.AttemptsLimit, 10)
	defaultDuration(&c.DefaultExpiry, 30*time.Minute)
	defaultDuration(&c.PendingDelay, 2*time.Minute)
	defaultDuration(&c.ConfirmWindow, 30*time.Minute)
	defaultDuration(&c.TickInterval, time.Second)
	if c.ExpiryReason == "" {
		c.ExpiryReason = "EX"
	}
	if c.IDStart <= 0 {
		c.IDStart = DefaultIDStart(time.Now())
	}
	return nil
}

// idEpoch is where DefaultIDStart counts from.
var idEpoch = time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)

// DefaultIDStart is the first id of a sandbox started at now: the tenths of a second since
// 2020. It has 10 digits, as PlacetoPay's requestIds and internalReferences have at most,
// until 2051, and it grows faster than a sandbox that is restarted gives ids out.
func DefaultIDStart(now time.Time) int64 {
	return now.Sub(idEpoch).Milliseconds() / 100
}

// site returns the site of a session's login: Login's own (with NotifyURL) for an empty
// login or Login, else the one of Sites. A session's login is always one the sandbox takes.
func (c *Config) site(login string) Site {
	for _, s := range c.Sites {
		if s.Login == login && login != c.Login {
			return s
		}
	}
	return Site{Login: c.Login, SecretKey: c.SecretKey, NotifyURL: c.NotifyURL}
}

func defaultInt(v *int, d int) {
	if *v <= 0 {
		*v = d
	}
}

func defaultDuration(v *time.Duration, d time.Duration) {
	if *v <= 0 {
		*v = d
	}
}
