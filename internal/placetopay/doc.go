// Package placetopay is the gateway's PlacetoPay Web Checkout client: wire types,
// authentication (tranKey), typed errors, notification signature verification, and a Client
// for every Checkout operation a merchant uses (sessions, collect, transaction actions,
// legacy reverse, token invalidation) and for the autopay API.
//
// The Client validates each request against PlacetoPay's documented rules before sending it
// (*ValidationError), turns every non-2xx answer and FAILED status into an *APIError, and
// reports calls whose outcome is unknown as *TransportError. Only the operations that are
// safe to repeat (session and autopay queries, autopay search and transactions) are retried.
//
// The stateful PlacetoPay stand-in used in development and tests lives in
// placetopay/sandbox.
package placetopay
