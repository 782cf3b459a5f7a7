package placetopay

import "context"

// CollectRequest is POST /api/collect without auth: charge a tokenized means of payment with
// no user interaction. PlacetoPay charges the same payment.reference, amount.total and
// amount.currency at most once within 24 hours.
type CollectRequest struct {
	Locale     string         `json:"locale,omitempty"`
	Payer      *Person        `json:"payer"`
	Buyer      *Person        `json:"buyer,omitempty"`
	Payment    PaymentRequest `json:"payment"`
	Instrument Instrument     `json:"instrument"`
	IPAddress  string         `json:"ipAddress"`
	UserAgent  string         `json:"userAgent"`
	Type       string         `json:"type,omitempty"` // SessionTypeCheckin for a preauthorization
	Metadata   *Metadata      `json:"metadata,omitempty"`
	Provider   string         `json:"provider,omitempty"`
}

// Collect charges a token (POST /api/collect). The answer has the shape of a session query.
// It is never retried: on a *TransportError the charge may or may not have happened; query
// the session or repeat the same reference, total and currency within 24 hours, which
// PlacetoPay charges only once.
func (c *Client) Collect(ctx context.Context, req CollectRequest) (*SessionInformation, error) {
	const desc = "collect"
	if err := validateCollect(req, c.now()); err != nil {
		return nil, c.refuse(OpCollect, desc, err)
	}
	var out SessionInformation
	k := call{op: OpCollect, desc: desc, base: c.base, path: "/api/collect", body: req}
	if err := c.do(ctx, k, &out); err != nil {
		return nil, err
	}
	return &out, nil
}
