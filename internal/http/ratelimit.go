package http

import (
	"fmt"
	"math"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
	"golang.org/x/time/rate"
)

// RateLimit is the per-client limit on the routes that need no API key: the return page,
// order reads with X-Client-Secret and the demo shop. PlacetoPay's notifications are not
// limited: PlacetoPay sends each once and never retries, a refused one would be lost, and a
// forged one costs a signature check and changes nothing.
type RateLimit struct {
	// PerMinute is how many requests one client address may make a minute, in bursts of up
	// to a sixth of that (ten seconds' worth); 0 turns the limit off.
	PerMinute int
	// TrustedProxies are the peers whose X-Forwarded-For is believed: the client is then the
	// nearest address in it that is not a trusted proxy. Without them the client is the TCP
	// peer, whatever the headers say.
	TrustedProxies []*net.IPNet
}

// clientLimiter holds one token bucket per client address, shared by every limited route.
type clientLimiter struct {
	store      middleware.RateLimiterStore
	clientIP   echo.IPExtractor
	limit      string // the limit in words: "at most 600 a minute"
	retryAfter int    // seconds until a refused client has one request again
}

// newClientLimiter returns the limiter for cfg, or nil when cfg limits nothing.
//
// The buckets live in memory, one per address seen, and an address unseen for as long as its
// bucket takes to refill is forgotten (forgetting a full bucket changes nothing): memory
// follows the addresses of the last few seconds, not all addresses ever seen. Each replica
// counts on its own, so a client may reach the limit once per replica.
func newClientLimiter(cfg RateLimit) *clientLimiter {
	if cfg.PerMinute <= 0 {
		return nil
	}
	return newBucketLimiter(max(1, cfg.PerMinute/6), time.Minute/time.Duration(cfg.PerMinute), cfg.TrustedProxies, fmt.Sprintf("at most %d a minute", cfg.PerMinute))
}

// newBucketLimiter returns a limiter whose buckets hold burst requests and gain one every
// every, with the client address taken as newClientLimiter says. limit says the limit in
// words, for the 429's detail.
func newBucketLimiter(burst int, every time.Duration, trusted []*net.IPNet, limit string) *clientLimiter {
	perSecond := float64(time.Second) / float64(every)
	refill := time.Duration(burst) * every
	l := &clientLimiter{
		store: middleware.NewRateLimiterMemoryStoreWithConfig(middleware.RateLimiterMemoryStoreConfig{
			Rate: rate.Limit(perSecond), Burst: burst, ExpiresIn: refill,
		}),
		clientIP:   echo.ExtractIPDirect(),
		limit:      limit,
		retryAfter: int(math.Ceil(every.Seconds())),
	}
	if len(trusted) > 0 {
		// Echo trusts loopback, link-local and private peers by default: only the configured
		// proxies are trusted here.
		opts := []echo.TrustOption{echo.TrustLoopback(false), echo.TrustLinkLocal(false), echo.TrustPrivateNet(false)}
		for _, n := range trusted {
			opts = append(opts, echo.TrustIPRange(n))
		}
		l.clientIP = echo.ExtractIPFromXFFHeader(opts...)
	}
	return l
}

// client is the bucket's key: the client's IPv4 address, or its IPv6 /64 (one host commonly
// holds a whole /64, and could otherwise take a fresh bucket per request).
func (l *clientLimiter) client(c echo.Context) (string, error) {
	ip := net.ParseIP(l.clientIP(c.Request()))
	switch {
	case ip == nil:
		return "unknown", nil
	case ip.To4() != nil:
		return ip.To4().String(), nil
	}
	return ip.Mask(net.CIDRMask(64, 128)).String() + "/64", nil
}

// perClient limits a route, whose template is route, per client address. It does nothing
// when the server has no limit.
func (s *Server) perClient(route string) echo.MiddlewareFunc {
	if s.clients == nil {
		return func(next echo.HandlerFunc) echo.HandlerFunc { return next }
	}
	return s.limitBy(s.clients, route)
}

// limitBy limits a route, whose template is route, with l: over it, 429 with Retry-After,
// counted in gateway_http_rate_limited_total on the public listener (the admin listener has
// no HTTP metrics of its own).
func (s *Server) limitBy(l *clientLimiter, route string) echo.MiddlewareFunc {
	if s.metrics != nil {
		s.metrics.rateLimited.WithLabelValues(route) // a series from the start, at 0
	}
	return middleware.RateLimiterWithConfig(middleware.RateLimiterConfig{
		Store:               l.store,
		IdentifierExtractor: l.client,
		DenyHandler: func(c echo.Context, _ string, _ error) error {
			if s.metrics != nil {
				s.metrics.rateLimited.WithLabelValues(c.Path()).Inc()
			}
			c.Response().Header().Set("Retry-After", strconv.Itoa(l.retryAfter))
			return echo.NewHTTPError(http.StatusTooManyRequests,
				fmt.Sprintf("too many requests from this address (%s); retry in %d seconds", l.limit, l.retryAfter))
		},
	})
}
