// Package endpoints keeps the merchant's webhook endpoints: several URLs, each with the
// event types it wants, its own signing secrets and its own delivery queue. Every event is
// queued once for every enabled endpoint whose filter takes it (the fan-out), and each
// endpoint's queue is delivered on its own, so one endpoint failing never delays another.
// MERCHANT_WEBHOOK_URL, the default endpoint, keeps its own delivery (internal/webhooks).
package endpoints
