// Package webhooks takes PlacetoPay's notifications into the inbox and delivers the
// gateway's own events (about orders and autopay enrolments) to the merchant, signed per
// Standard Webhooks.
package webhooks
