package endpoints

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"syscall"
	"time"

	"github.com/placetopay-gateway/gateway/internal/orders"
)

// resolveTimeout bounds the look-up of an endpoint's host when it is created.
const resolveTimeout = 5 * time.Second

// internalNets are the networks an endpoint may not reach unless internal addresses are
// allowed (GATEWAY_ENDPOINT_ALLOW_PRIVATE): the gateway's own host, its private networks
// and cloud metadata services, which an endpoint URL would otherwise let an admin probe
// from inside (server-side request forgery). Loopback, link-local (169.254.169.254, the
// metadata address of most clouds), private, multicast and unspecified addresses are
// refused by the netip predicates in refusedAddress; these are the rest.
var internalNets = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),     // "this network"
	netip.MustParsePrefix("100.64.0.0/10"), // carrier-grade NAT; 100.100.100.200 is a metadata address
	netip.MustParsePrefix("192.0.0.0/24"),  // IETF protocol assignments
	netip.MustParsePrefix("198.18.0.0/15"), // benchmarking
	netip.MustParsePrefix("240.0.0.0/4"),   // reserved, broadcast included
	netip.MustParsePrefix("64:ff9b::/96"),  // NAT64: an IPv4 address inside
	netip.MustParsePrefix("64:ff9b:1::/48"),
	netip.MustParsePrefix("2002::/16"), // 6to4: an IPv4 address inside
}

// refusedAddress says why a is internal, or "" when an endpoint may reach it.
func refusedAddress(a netip.Addr) string {
	a = a.Unmap() // ::ffff:127.0.0.1 is 127.0.0.1
	switch {
	case !a.IsValid():
		return "not an address"
	case a.IsLoopback():
		return "a loopback address"
	case a.IsUnspecified():
		return "an unspecified address"
	case a.IsLinkLocalUnicast(), a.IsLinkLocalMulticast():
		return "a link-local address (cloud metadata services live there)"
	case a.IsPrivate():
		return "a private address"
	case a.IsMulticast(), a.IsInterfaceLocalMulticast():
		return "a multicast address"
	}
	for _, p := range internalNets {
		if p.Contains(a) {
			return "an internal or reserved address"
		}
	}
	return ""
}

// checkHost refuses a URL host that is, or resolves to, an internal address. A host that
// does not resolve is refused too: nothing could be delivered to it.
func checkHost(ctx context.Context, host string) error {
	refuse := func(why string) error {
		return &orders.Error{Code: orders.EInvalid, Field: "url", Message: "must not reach the gateway's own networks: " + why +
			" (GATEWAY_ENDPOINT_ALLOW_PRIVATE allows it)"}
	}
	if a, err := netip.ParseAddr(host); err == nil {
		if why := refusedAddress(a); why != "" {
			return refuse(fmt.Sprintf("%s is %s", a, why))
		}
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, resolveTimeout)
	defer cancel()
	addrs, err := net.DefaultResolver.LookupNetIP(ctx, "ip", host)
	if err != nil || len(addrs) == 0 {
		return &orders.Error{Code: orders.EInvalid, Field: "url", Message: fmt.Sprintf("host %q does not resolve", host)}
	}
	for _, a := range addrs {
		if why := refusedAddress(a); why != "" {
			return refuse(fmt.Sprintf("%s resolves to %s, %s", host, a.Unmap(), why))
		}
	}
	return nil
}

// refuseInternalDial is a net.Dialer Control: it refuses to connect to an internal address,
// whatever the name resolved to when the endpoint was created (a name can be made to
// resolve elsewhere later: DNS rebinding).
func refuseInternalDial(_, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("webhook endpoint: connect to %q: %w", address, err)
	}
	if why := refusedAddress(ap.Addr()); why != "" {
		return fmt.Errorf("webhook endpoint: refused to connect to %s: %s (GATEWAY_ENDPOINT_ALLOW_PRIVATE allows it)", ap.Addr().Unmap(), why)
	}
	return nil
}

// guardTransport returns a copy of rt (nil: http.DefaultTransport) that connects only to
// addresses an endpoint may reach, directly: a proxy would connect on its behalf, unchecked,
// so none is used. It panics on a RoundTripper that is not an *http.Transport, whose
// connections it cannot check.
func guardTransport(rt http.RoundTripper) *http.Transport {
	if rt == nil {
		rt = http.DefaultTransport
	}
	base, ok := rt.(*http.Transport)
	if !ok {
		panic("endpoints: a Client whose Transport is not an *http.Transport cannot be kept off internal addresses")
	}
	t := base.Clone()
	t.Proxy = nil
	dialer := &net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second, Control: refuseInternalDial}
	t.DialContext = dialer.DialContext
	t.DialTLSContext = nil
	return t
}
