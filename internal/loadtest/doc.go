// Package loadtest drives the gateway from outside, as storefronts and PlacetoPay do: it
// starts the gateway and the sandbox as separate processes on loopback, runs complete
// storefront flows against them (create order, open checkout, pay through the sandbox's
// control API, wait for the notification and the query to make the order paid), and records
// what each step cost. cmd/loadgen (make bench) and cmd/chaos (make chaos) are built on it.
package loadtest
