package orders

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// DefaultSite is the site the PLACETOPAY_* settings configure (in development, the embedded
// sandbox): every order made before there were several sites belongs to it.
const DefaultSite = "default"

var siteNameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,30}$`)

// ValidSiteName reports whether name can name a site: it goes into a URL path and a metric
// label, so it is short and plain.
func ValidSiteName(name string) bool { return siteNameRE.MatchString(name) }

// Site is one PlacetoPay site as the orders domain sees it.
type Site struct {
	Name string
	// Currencies are the ISO 4217 codes it takes. Empty for the default site means every
	// currency no other site takes.
	Currencies []string
	// Provider reaches the site; it is also a TokenProvider when the site can charge stored
	// cards.
	Provider Provider
}

// Sites are the gateway's PlacetoPay sites by name. Every PlacetoPay call about an order goes
// to the provider of the order's site.
//
// Sites is itself a Provider and a TokenProvider, the default site's, so that the money
// path's constructors take it where they took one provider: a caller that knows the site
// asks providerOf for that site's.
type Sites struct {
	byName     map[string]Site
	byCurrency map[string]string // the currencies named by a site
	def        Site
}

// NewSites returns the sites. One of them is DefaultSite; names are unique and valid; a
// currency is taken by one site at most, so that choosing a site by currency is never
// ambiguous.
func NewSites(sites ...Site) (*Sites, error) {
	s := &Sites{byName: map[string]Site{}, byCurrency: map[string]string{}}
	for _, site := range sites {
		switch {
		case !ValidSiteName(site.Name):
			return nil, fmt.Errorf("orders: site name %q must match %s", site.Name, siteNameRE)
		case site.Provider == nil:
			return nil, fmt.Errorf("orders: site %q has no provider", site.Name)
		}
		if _, dup := s.byName[site.Name]; dup {
			return nil, fmt.Errorf("orders: site %q is named twice", site.Name)
		}
		if site.Name != DefaultSite && len(site.Currencies) == 0 {
			return nil, fmt.Errorf("orders: site %q takes no currency", site.Name)
		}
		for _, c := range site.Currencies {
			if _, ok := CurrencyExponent(c); !ok {
				return nil, fmt.Errorf("orders: site %q: currency %q is not supported", site.Name, c)
			}
			if other, taken := s.byCurrency[c]; taken {
				return nil, fmt.Errorf("orders: currency %s is taken by both site %q and site %q", c, other, site.Name)
			}
			s.byCurrency[c] = site.Name
		}
		s.byName[site.Name] = site
	}
	def, ok := s.byName[DefaultSite]
	if !ok {
		return nil, fmt.Errorf("orders: no %q site", DefaultSite)
	}
	s.def = def
	return s, nil
}

// Names returns the sites' names, sorted.
func (s *Sites) Names() []string {
	out := make([]string, 0, len(s.byName))
	for name := range s.byName {
		out = append(out, name)
	}
	slices.Sort(out)
	return out
}

// Has reports whether name is a configured site.
func (s *Sites) Has(name string) bool {
	_, ok := s.byName[name]
	return ok
}

// Choose returns the site of a new order: named, when the merchant names one (it must take
// the order's currency), else the site that takes currency. Either failure names the field
// at fault.
func (s *Sites) Choose(named, currency string) (string, error) {
	if named != "" {
		site, ok := s.byName[named]
		if !ok {
			return "", invalidField("site", "%q is not a site of this gateway (sites: %s)", named, strings.Join(s.Names(), ", "))
		}
		if !site.takes(currency, s.byCurrency) {
			return "", invalidField("amount.currency", "site %q does not take %s", named, currency)
		}
		return named, nil
	}
	if name, ok := s.byCurrency[currency]; ok {
		return name, nil
	}
	if len(s.def.Currencies) == 0 {
		return DefaultSite, nil
	}
	return "", invalidField("amount.currency", "no site of this gateway takes %s", currency)
}

// takes reports whether the site takes currency, given the currencies each site names.
func (site Site) takes(currency string, byCurrency map[string]string) bool {
	if len(site.Currencies) == 0 { // the default site: whatever no other site takes
		_, other := byCurrency[currency]
		return !other
	}
	return slices.Contains(site.Currencies, currency)
}

// provider returns the named site's provider; a site that is no longer configured gets one
// that refuses every call, so its orders wait (and are flagged by the probe) until it is back.
func (s *Sites) provider(name string) Provider {
	if name == "" {
		name = DefaultSite
	}
	if site, ok := s.byName[name]; ok {
		return site.Provider
	}
	return missingSite(name)
}

// providerOf returns the provider of site: p's own when p holds several sites, else p, which
// is then the only site, the default one.
func providerOf(p Provider, site string) Provider {
	if s, ok := p.(*Sites); ok {
		return s.provider(site)
	}
	if site == "" || site == DefaultSite {
		return p
	}
	return missingSite(site)
}

// tokensOf is providerOf for stored cards.
func tokensOf(p TokenProvider, site string) TokenProvider {
	if s, ok := p.(*Sites); ok {
		if tp, ok := s.provider(site).(TokenProvider); ok {
			return tp
		}
		return missingSite(site)
	}
	if site == "" || site == DefaultSite {
		return p
	}
	return missingSite(site)
}

// The Sites are the default site's Provider and TokenProvider.

// CreateSession opens a session at the default site.
func (s *Sites) CreateSession(ctx context.Context, p SessionRequest) (CreatedSession, error) {
	return s.def.Provider.CreateSession(ctx, p)
}

// QuerySession queries a session of the default site.
func (s *Sites) QuerySession(ctx context.Context, requestID int64) (ProviderSession, error) {
	return s.def.Provider.QuerySession(ctx, requestID)
}

// CancelSession cancels a session of the default site.
func (s *Sites) CancelSession(ctx context.Context, requestID int64) error {
	return s.def.Provider.CancelSession(ctx, requestID)
}

// TransactionAction runs an action on a transaction of the default site.
func (s *Sites) TransactionAction(ctx context.Context, ref int64, action string, amount *Money) (ProviderPayment, error) {
	return s.def.Provider.TransactionAction(ctx, ref, action, amount)
}

// Collect charges a token of the default site.
func (s *Sites) Collect(ctx context.Context, c CollectRequest) (CollectResult, error) {
	return tokensOf(s, DefaultSite).Collect(ctx, c)
}

// InvalidateToken retires a token of the default site.
func (s *Sites) InvalidateToken(ctx context.Context, token string) error {
	return tokensOf(s, DefaultSite).InvalidateToken(ctx, token)
}

// missingSite is the provider of a site that is not configured (one removed while orders of
// it remained): a query fails as PlacetoPay out of reach does, so the probe keeps asking and
// nothing is decided on it; a request that would change something is refused, as nothing
// was done.
type missingSite string

func (m missingSite) refused() error {
	return &ProviderError{Reason: "site", Message: fmt.Sprintf("PlacetoPay site %q is not configured", string(m)), Refused: true}
}

func (m missingSite) CreateSession(context.Context, SessionRequest) (CreatedSession, error) {
	return CreatedSession{}, m.refused()
}

func (m missingSite) QuerySession(context.Context, int64) (ProviderSession, error) {
	return ProviderSession{}, fmt.Errorf("orders: PlacetoPay site %q is not configured", string(m))
}

func (m missingSite) CancelSession(context.Context, int64) error { return m.refused() }

func (m missingSite) TransactionAction(context.Context, int64, string, *Money) (ProviderPayment, error) {
	return ProviderPayment{}, m.refused()
}

func (m missingSite) Collect(context.Context, CollectRequest) (CollectResult, error) {
	return CollectResult{}, m.refused()
}

func (m missingSite) InvalidateToken(context.Context, string) error { return m.refused() }
