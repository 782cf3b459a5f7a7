// Package placetopay is the gateway's PlacetoPay Web Checkout client: wire types,
// authentication (tranKey), typed errors and notification signature verification. The
// stateful PlacetoPay stand-in used in development and tests lives in placetopay/sandbox.
package placetopay
