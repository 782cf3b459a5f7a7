package placetopay

import "net/http"

// idleConnsPerHost is how many idle connections to PlacetoPay are kept for reuse. Go's
// default keeps 2: with a few hundred checkouts waiting on PlacetoPay at once, nearly every
// call would then open (and, over TLS, handshake) a connection of its own and close it
// after. PlacetoPay is one or two hosts, so this bounds the whole pool.
const idleConnsPerHost = 256

// sharedTransport is the transport of every client built without an HTTPClient: one pool of
// connections for the whole process.
var sharedTransport = func() *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConns = 2 * idleConnsPerHost
	t.MaxIdleConnsPerHost = idleConnsPerHost
	return t
}()
