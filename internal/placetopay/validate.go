package placetopay

import (
	"encoding/json"
	"fmt"
	"net/netip"
	"net/url"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"
)

// The client refuses, before sending anything, a request that breaks one of PlacetoPay's
// documented rules (docs/placetopay.md#request-validation, its OpenAPI documents and pages). The first broken
// rule is reported as a *ValidationError naming the field and the rule, never the value.

// MinExpiration is how far ahead a session's expiration must be (docs/placetopay.md#expiration-and-the-attempts-limit).
const MinExpiration = 5 * time.Minute

// MaxDispersions is PlacetoPay's default limit of dispersion destinations per payment.
const MaxDispersions = 3

var (
	localeRE   = regexp.MustCompile(`^\w{2}_[A-Z]{2}$`)
	currencyRE = regexp.MustCompile(`^[A-Z]{3}$`)
	uuidRE     = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)
	digitsRE   = regexp.MustCompile(`^[0-9]+$`)
)

// rules collects the first broken rule.
type rules struct{ err *ValidationError }

func (r *rules) check(ok bool, field, rule string) {
	if r.err == nil && !ok {
		r.err = &ValidationError{Field: field, Rule: rule}
	}
}

func (r *rules) required(s, field string) {
	r.check(strings.TrimSpace(s) != "", field, "required")
}

func (r *rules) maxLen(s string, n int, field string) {
	r.check(utf8.RuneCountInString(s) <= n, field, fmt.Sprintf("at most %d characters", n))
}

// length checks 1 to n characters.
func (r *rules) length(s string, n int, field string) {
	c := utf8.RuneCountInString(s)
	r.check(c >= 1 && c <= n, field, fmt.Sprintf("1 to %d characters", n))
}

func (r *rules) locale(s, field string) { //nolint:unparam // every rule takes the field it reports, as its siblings do
	r.check(s == "" || localeRE.MatchString(s), field, `must match ^\w{2}_[A-Z]{2}$`)
}

// absURL checks an absolute http(s) URL of at most 255 characters; optional unless required.
func (r *rules) absURL(s, field string, required bool) {
	if s == "" {
		r.check(!required, field, "required")
		return
	}
	u, err := url.Parse(s)
	r.check(err == nil && (u.Scheme == "https" || u.Scheme == "http") && u.Host != "", field, "absolute http(s) URL")
	r.maxLen(s, 255, field)
}

func (r *rules) date(s, field string) {
	_, err := time.Parse(time.DateOnly, s)
	r.check(s == "" || err == nil, field, "YYYY-MM-DD date")
}

func (r *rules) oneOf(s, field string, allowed ...string) {
	for _, a := range allowed {
		if s == a {
			return
		}
	}
	r.check(false, field, "one of "+strings.Join(allowed, ", "))
}

func (r *rules) uuid(s, field string) {
	r.required(s, field)
	r.check(s == "" || uuidRE.MatchString(s), field, "UUID")
}

// client checks the browser fields every session and collect carries.
func (r *rules) client(ip, userAgent string) {
	r.required(ip, "ipAddress")
	_, err := netip.ParseAddr(ip)
	r.check(ip == "" || err == nil, "ipAddress", "IP address")
	r.maxLen(ip, 46, "ipAddress")
	r.required(userAgent, "userAgent")
	r.maxLen(userAgent, 255, "userAgent")
}

func (r *rules) person(p *Person, field string) {
	if p == nil {
		return
	}
	r.maxLen(p.Document, 25, field+".document")
	r.maxLen(p.DocumentType, 6, field+".documentType")
	r.maxLen(p.Name, 60, field+".name")
	r.maxLen(p.Surname, 60, field+".surname")
	r.maxLen(p.Company, 60, field+".company")
	r.maxLen(p.Email, 80, field+".email")
	r.maxLen(string(p.Mobile), 30, field+".mobile")
}

func (r *rules) fields(f NameValuePairs, field string) {
	for i, kv := range f {
		at := fmt.Sprintf("%s[%d]", field, i)
		r.length(kv.Keyword, 50, at+".keyword")
		var text string
		if json.Unmarshal(kv.Value, &text) == nil {
			r.maxLen(text, 255, at+".value")
		}
		if kv.DisplayOn != "" {
			r.oneOf(kv.DisplayOn, at+".displayOn", "none", "payment", "receipt", "both", "approved")
		}
	}
}

// validateCreateSession checks a POST /api/session request at time now.
func validateCreateSession(req CreateSessionRequest, now time.Time) *ValidationError {
	var r rules
	r.session(req, now)
	if req.Type != "" {
		r.oneOf(req.Type, "type", SessionTypeCheckin, SessionTypeAutopay)
	}
	r.check(req.Payment != nil || req.Subscription != nil || req.Autopay != nil,
		"payment", "one of payment, subscription or autopay is required")
	if req.Payment != nil {
		r.payment(*req.Payment, req.Type, now, "payment")
	}
	if s := req.Subscription; s != nil {
		r.length(s.Reference, 32, "subscription.reference")
		r.maxLen(s.Description, 250, "subscription.description")
		r.fields(s.Fields, "subscription.fields")
	}
	r.check(req.Type != SessionTypeAutopay || req.Autopay != nil, "autopay", "required with type autopay")
	r.check(req.Autopay == nil || req.Type == SessionTypeAutopay, "type", "must be autopay with an autopay request")
	if req.Autopay != nil {
		r.autopay(*req.Autopay, now)
	}
	return r.err
}

// session checks what every session carries: who, where to return, when, in which language.
func (r *rules) session(req CreateSessionRequest, now time.Time) {
	r.client(req.IPAddress, req.UserAgent)
	r.absURL(req.ReturnURL, "returnUrl", true)
	r.absURL(req.CancelURL, "cancelUrl", false)
	r.locale(req.Locale, "locale")
	if req.Expiration != "" {
		exp, err := time.Parse(time.RFC3339, req.Expiration)
		r.check(err == nil && len(req.Expiration) <= 35, "expiration", "RFC 3339 date-time")
		r.check(err != nil || !exp.Before(now.Add(MinExpiration)), "expiration", "at least 5 minutes after now")
	}
	r.person(req.Payer, "payer")
	r.person(req.Buyer, "buyer")
	r.fields(req.Fields, "fields")
}
