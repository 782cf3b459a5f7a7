package http

import (
	"testing"

	"github.com/google/uuid"

	"github.com/placetopay-gateway/gateway/internal/orders"
)

// TestReturnTargetFillsThePlaceholders: {orderId} and {reference} in a returnUrl are the
// order's, escaped for the path or the query they stand in; a URL without them is kept.
func TestReturnTargetFillsThePlaceholders(t *testing.T) {
	id := uuid.MustParse("0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b")
	for _, c := range []struct{ returnURL, reference, want string }{
		{"https://shop.example/gracias", "R-1", "https://shop.example/gracias"},
		{"https://shop.example/pedidos/{orderId}", "R-1", "https://shop.example/pedidos/0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"},
		{"https://shop.example/gracias?pedido={reference}&id={orderId}", "Pedido 7/8&x", "https://shop.example/gracias?pedido=Pedido+7%2F8%26x&id=0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"},
		{"https://shop.example/r/{reference}/ok", "A B/C", "https://shop.example/r/A%20B%2FC/ok"},
	} {
		got := returnTarget(orders.Order{ID: id, Reference: c.reference, ReturnURL: c.returnURL})
		if got != c.want {
			t.Errorf("returnTarget(%q, %q) = %q, want %q", c.returnURL, c.reference, got, c.want)
		}
	}
}
