package placetopay

import "context"

// Token is a tokenized means of payment. To charge or invalidate one, send Token or
// Subtoken (Installments and CVV optional on collect); answers also fill the descriptive
// fields. Never log it.
type Token struct {
	Token         string `json:"token,omitempty"`
	Subtoken      string `json:"subtoken,omitempty"`
	Installments  Int64  `json:"installments,omitempty"`
	CVV           string `json:"cvv,omitempty"`
	Franchise     string `json:"franchise,omitempty"`
	FranchiseName string `json:"franchiseName,omitempty"`
	IssuerName    string `json:"issuerName,omitempty"`
	LastDigits    String `json:"lastDigits,omitempty"`
	ValidUntil    string `json:"validUntil,omitempty"`
}

// String hides the token, subtoken and CVV from logs and fmt.
func (t Token) String() string {
	return "Token{" + t.Franchise + " ****" + string(t.LastDigits) + "}"
}

// GoString hides them from %#v too.
func (t Token) GoString() string { return t.String() }

// Credit is the type of credit a card charge uses (installment plans, docs/placetopay.md#query-a-session). The
// field names follow the Credit schema of the OpenAPI document.
type Credit struct {
	Code        string `json:"code,omitempty"`
	Type        string `json:"type,omitempty"`
	GroupCode   string `json:"groupCode,omitempty"`
	Installment Int64  `json:"installment,omitempty"`
	Description string `json:"description,omitempty"`
}

// Card pockets (Uruguay): savings and current accounts in UYU and USD.
const (
	PocketSavingsUYU = "10"
	PocketCurrentUYU = "20"
	PocketSavingsUSD = "80"
	PocketCurrentUSD = "90"
)

// Instrument is the means of payment of a collect or an invalidation: a token, and for
// collect optionally a pocket and a credit.
type Instrument struct {
	Token  *Token  `json:"token,omitempty"`
	Pocket string  `json:"pocket,omitempty"`
	Credit *Credit `json:"credit,omitempty"`
}

// InvalidateTokenRequest is POST /api/instrument/invalidate without auth: the token or
// subtoken to retire.
type InvalidateTokenRequest struct {
	Locale     string     `json:"locale,omitempty"`
	Instrument Instrument `json:"instrument"`
}

// InvalidateTokenResponse is the answer to an invalidation: APPROVED or OK with reason 00.
type InvalidateTokenResponse struct {
	Status Status `json:"status"`
}

// InvalidateToken makes a token or subtoken unusable (POST /api/instrument/invalidate). It is
// never retried. An unknown token is an *APIError with reason XN.
func (c *Client) InvalidateToken(ctx context.Context, req InvalidateTokenRequest) (*InvalidateTokenResponse, error) {
	const desc = "invalidate token"
	if err := validateInvalidateToken(req); err != nil {
		return nil, c.refuse(OpInvalidateToken, desc, err)
	}
	var out InvalidateTokenResponse
	k := call{op: OpInvalidateToken, desc: desc, base: c.base, path: "/api/instrument/invalidate", body: req}
	if err := c.do(ctx, k, &out); err != nil {
		return nil, err
	}
	return &out, nil
}
