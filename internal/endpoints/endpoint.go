package endpoints

import (
	"crypto/rand"
	"encoding/base64"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/placetopay-gateway/gateway/internal/orders"
)

// DefaultID is the id under which lists show the default endpoint, MERCHANT_WEBHOOK_URL:
// read-only, since its URL and secret are configuration.
const DefaultID = "default"

// Endpoint is a webhook endpoint as anyone may see it: never its secrets.
type Endpoint struct {
	ID             string // a UUID, or DefaultID
	URL            string // as displayed: the query, which may carry a token, is hidden
	EventTypes     []string
	CreatedAt      time.Time
	CreatedBy      string
	DisabledAt     *time.Time
	DisabledReason string
	DisabledAuto   bool // disabled by the gateway after failing for the configured span
	FailingSince   *time.Time
	Secrets        int // signing secrets in use (two during a rotation's overlap)
	Pending        int64
	Default        bool // MERCHANT_WEBHOOK_URL: read-only
}

// Enabled reports whether events are posted to e.
func (e Endpoint) Enabled() bool { return e.DisabledAt == nil }

// Created is a new endpoint, or a rotation, with the secret that is shown this once.
type Created struct {
	Endpoint
	Secret string
}

// secretPrefix starts every Standard Webhooks secret.
const secretPrefix = "whsec_"

// newSecret returns a Standard Webhooks secret: whsec_ and the standard base64 of 32
// random bytes.
func newSecret() string {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("endpoints: no randomness: " + err.Error())
	}
	return secretPrefix + base64.StdEncoding.EncodeToString(b[:])
}

// checkURL accepts an absolute http or https URL with a host and no user information.
func checkURL(raw string) (string, error) {
	raw = strings.TrimSpace(raw)
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil || u.Fragment != "" || len(raw) > 2000 {
		return "", &orders.Error{Code: orders.EInvalid, Field: "url", Message: "must be an absolute http or https URL, with no user, no fragment, at most 2000 characters"}
	}
	return raw, nil
}

// hostOf is the host of a URL checkURL accepted, without its port or brackets.
func hostOf(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return ""
	}
	return u.Hostname()
}

// displayURL is raw without its query, which may carry a token: what lists and logs show.
func displayURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return ""
	}
	hidden := u.RawQuery != ""
	u.RawQuery, u.Fragment = "", ""
	s := u.String()
	if hidden {
		s += "?…"
	}
	return s
}

// checkTypes validates a filter against the types the gateway writes; none is every type.
func checkTypes(types, known []string) ([]string, error) {
	out := []string{}
	for _, t := range types {
		t = strings.TrimSpace(t)
		if t == "" {
			continue
		}
		if !slices.Contains(known, t) {
			return nil, &orders.Error{Code: orders.EInvalid, Field: "events",
				Message: "must be event types the gateway writes: " + strings.Join(known, ", ")}
		}
		if !slices.Contains(out, t) {
			out = append(out, t)
		}
	}
	return out, nil
}

// secretAAD binds a sealed secret to its endpoint: a sealed value copied to another
// endpoint's row does not open.
func secretAAD(id uuid.UUID) []byte { return []byte("webhook_endpoint_secret:" + id.String()) }
