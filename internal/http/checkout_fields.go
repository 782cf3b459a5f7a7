package http

import (
	"encoding/json"

	"github.com/placetopay-gateway/gateway/internal/orders"
)

// checkoutFields are PlacetoPay's session fields of POST /v1/orders/{id}/checkout, in
// PlacetoPay's names: the payer, additional fields, skipResult, noBuyerFill and metadata.
type checkoutFields struct {
	Payer       *orders.Person  `json:"payer"`
	Fields      []fieldJSON     `json:"fields"`
	SkipResult  bool            `json:"skipResult"`
	NoBuyerFill bool            `json:"noBuyerFill"`
	Metadata    json.RawMessage `json:"metadata,omitempty"`
}

// fieldJSON is one of PlacetoPay's additional fields; its value may be any JSON value.
type fieldJSON struct {
	Keyword   string          `json:"keyword"`
	Value     json.RawMessage `json:"value,omitempty"`
	DisplayOn string          `json:"displayOn"`
}

// apply puts the fields into p; the domain checks them (orders.CheckoutParams).
func (f checkoutFields) apply(p *orders.CheckoutParams) {
	p.Payer, p.SkipResult, p.NoBuyerFill = f.Payer, f.SkipResult, f.NoBuyerFill
	if len(f.Metadata) > 0 && string(f.Metadata) != "null" {
		p.Metadata = f.Metadata
	}
	for _, kv := range f.Fields {
		p.Fields = append(p.Fields, orders.Field{Keyword: kv.Keyword, Value: kv.Value, DisplayOn: kv.DisplayOn})
	}
}
