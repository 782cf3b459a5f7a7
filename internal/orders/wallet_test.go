package orders

import (
	"errors"
	"strings"
	"testing"
)

func TestCheckoutParamsStoredCard(t *testing.T) {
	cases := []struct {
		name  string
		p     CheckoutParams
		field string // "" for valid
	}{
		{"subscription", CheckoutParams{Type: "subscription", CustomerReference: "cust-1"}, ""},
		{"subscribe", CheckoutParams{Subscribe: true, CustomerReference: "shop:42_a.b"}, ""},
		{"subscription without customer", CheckoutParams{Type: "subscription"}, "customerReference"},
		{"subscribe without customer", CheckoutParams{Subscribe: true}, "customerReference"},
		{"customer without a card to store", CheckoutParams{CustomerReference: "cust-1"}, "customerReference"},
		{"email as customer", CheckoutParams{Subscribe: true, CustomerReference: "a@b.co"}, "customerReference"},
		{"too long", CheckoutParams{Subscribe: true, CustomerReference: strings.Repeat("x", 65)}, "customerReference"},
		{"subscribe on a preauthorization", CheckoutParams{Type: "checkin", Subscribe: true, CustomerReference: "c"}, "subscribe"},
		{"subscribe on a subscription", CheckoutParams{Type: "subscription", Subscribe: true, CustomerReference: "c"}, "subscribe"},
		{"unknown type", CheckoutParams{Type: "autopay"}, "type"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			c.p.IPAddress = "127.0.0.1"
			err := c.p.validate()
			var field string
			var e *Error
			if errors.As(err, &e) {
				field = e.Field
			} else if err != nil {
				t.Fatalf("validate = %v", err)
			}
			if field != c.field {
				t.Fatalf("validate = %v, want a problem with %q", err, c.field)
			}
		})
	}
}
