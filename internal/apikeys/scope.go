package apikeys

import "github.com/placetopay-gateway/gateway/internal/orders"

// Scope is what a key may do.
type Scope string

// The scopes, from least to most.
const (
	Read     Scope = "read"     // reads orders, events, refunds; changes nothing
	Checkout Scope = "checkout" // also creates orders and opens their checkouts: what a storefront needs
	Full     Scope = "full"     // everything the merchant API offers, refunds and captures included
)

// ParseScope returns the scope named s.
func ParseScope(s string) (Scope, error) {
	switch sc := Scope(s); sc {
	case Read, Checkout, Full:
		return sc, nil
	}
	return "", &orders.Error{Code: orders.EInvalid, Field: "scope", Message: "must be full, read or checkout"}
}

// Access is what a merchant API request does, as far as scopes care.
type Access int

// The kinds of request. Anything that is neither a read nor one of the checkout
// requests is a write: a route added later needs a full key until it is classed otherwise.
const (
	AccessWrite    Access = iota // changes something: full keys only
	AccessRead                   // reads: every scope
	AccessCheckout               // creates an order or opens its checkout: checkout and full
)

// Allows reports whether a key of scope s may make a request of kind a.
func (s Scope) Allows(a Access) bool {
	switch s {
	case Full:
		return true
	case Checkout:
		return a == AccessRead || a == AccessCheckout
	case Read:
		return a == AccessRead
	}
	return false
}
