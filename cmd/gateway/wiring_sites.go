package main

import (
	"github.com/placetopay-gateway/gateway/internal/orders"
	"github.com/placetopay-gateway/gateway/internal/placetopay"
	"github.com/placetopay-gateway/gateway/internal/placetopay/sandbox"
	"github.com/placetopay-gateway/gateway/internal/webhooks"
)

// newSites returns the PlacetoPay sites: the default one on client, and one client of its own
// per site of GATEWAY_SITES_FILE, each with its timeout and its site label on metrics.
// sandboxBase is the embedded sandbox's URL, which serves the sites without a baseUrl in
// development ("" when there is no sandbox).
func newSites(cfg *config, client *placetopay.Client, metrics *placetopay.Metrics, sandboxBase string) (*orders.Sites, error) {
	all := []orders.Site{{Name: orders.DefaultSite, Currencies: cfg.defaultCurrencies, Provider: placetopay.Provider{Client: client}}}
	for _, s := range cfg.sites {
		base := s.BaseURL
		if base == "" {
			base = sandboxBase
		}
		c, err := placetopay.New(placetopay.Config{BaseURL: base,
			Credentials: placetopay.Credentials{Login: s.Login, SecretKey: s.SecretKey},
			Timeout:     s.Timeout, Observer: metrics.ForSite(s.Name)})
		if err != nil {
			return nil, err
		}
		all = append(all, orders.Site{Name: s.Name, Currencies: s.Currencies, Provider: placetopay.Provider{Client: c}})
	}
	return orders.NewSites(all...)
}

// addSiteInboxes lets the inbox take each site's notifications, at
// /webhooks/placetopay/{site}, verified with that site's secret.
func addSiteInboxes(in *webhooks.Inbox, cfg *config) {
	for _, s := range cfg.sites {
		in.AddSite(s.Name, s.SecretKey, s.Signatures)
	}
}

// sandboxSites are the sites the embedded sandbox serves besides its own login: those without
// a baseUrl, each notifying its own endpoint.
func sandboxSites(cfg *config, publicURL string) []sandbox.Site {
	var out []sandbox.Site
	for _, s := range cfg.sites {
		if s.BaseURL == "" {
			out = append(out, sandbox.Site{Login: s.Login, SecretKey: s.SecretKey, NotifyURL: publicURL + "/webhooks/placetopay/" + s.Name})
		}
	}
	return out
}
