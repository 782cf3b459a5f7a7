// Package sandbox is a stateful stand-in for PlacetoPay Web Checkout, for development and
// tests. It serves the Checkout API (/api/...) and the autopay API (/autopay/...) with
// PlacetoPay's authentication, status codes and body shapes, a hosted payment page at every
// processUrl, and one signed notification per final state of a session.
//
// Its behaviour follows docs/placetopay.md: the documented test cards approve,
// decline or stay pending before resolving; sessions expire, hit the attempts limit, go
// partially approved; tokens are issued and charged with /api/collect; transactions are
// refunded, captured, confirmed or cancelled with /api/transaction.
//
// The hosted page speaks the session's locale as PlacetoPay's does (page_texts.go): Spanish
// for es_* and for a session with no locale, English otherwise, with amounts and dates
// written for the locale (internal/locale). GET /sandbox/cards is a page of the test cards
// for browsers and JSON for tools.
//
// The sandbox keeps its own clock, real time plus an offset, so that expiry and pending
// payments can be driven without waiting. The control API under /sandbox/ (pay a session
// with a test card, advance the clock, read the sandbox's own records, switch notification
// faults on) needs no authentication at all: it is a test and demo tool, and a sandbox must
// never be reachable from the internet or run where real payments are taken. Control is its
// client, decoding the same records the handlers write.
//
// State lives in memory and is lost when the process stops, unless Config.Persister keeps
// it: then every change is saved as a JSON snapshot (snapshot.go) and a new sandbox starts
// from the last one.
package sandbox
