package orders

import "testing"

// TestAlreadyRefunded recognises PlacetoPay's "already refunded" answers, current and legacy,
// and nothing else.
func TestAlreadyRefunded(t *testing.T) {
	cases := []struct {
		err  ProviderError
		want bool
	}{
		{ProviderError{HTTPStatus: 400, Reason: "request_not_valid", Message: "Transaction already refunded", Refused: true}, true},
		{ProviderError{HTTPStatus: 400, Reason: "BR", Message: "The transaction has already been reversed", Refused: true}, true},
		{ProviderError{HTTPStatus: 400, Reason: "BR", Message: "La transacción ya ha sido reembolsada", Refused: true}, true},
		{ProviderError{HTTPStatus: 400, Reason: "BR", Message: "La transacción ya ha sido reversada", Refused: true}, true},
		{ProviderError{HTTPStatus: 400, Reason: "request_not_valid", Message: "The amount to refund exceeds the 5.00 USD that can be refunded", Refused: true}, false},
		{ProviderError{HTTPStatus: 500, Reason: "", Message: "Transaction already refunded", Refused: false}, false},
	}
	for _, c := range cases {
		if got := alreadyRefunded(&c.err); got != c.want {
			t.Errorf("alreadyRefunded(%q, refused %v) = %v, want %v", c.err.Message, c.err.Refused, got, c.want)
		}
	}
}
