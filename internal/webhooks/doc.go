// Package webhooks takes PlacetoPay's notifications into the inbox and delivers the
// gateway's own order events to the merchant, signed per Standard Webhooks.
package webhooks
