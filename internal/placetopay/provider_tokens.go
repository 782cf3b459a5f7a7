package placetopay

import (
	"context"
	"strconv"

	"github.com/placetopay-gateway/gateway/internal/orders"
)

var _ orders.TokenProvider = Provider{}

// Collect charges a stored token (POST /api/collect). It is never retried: an outcome the
// client cannot know comes back as it is, not as an *orders.ProviderError.
func (p Provider) Collect(ctx context.Context, c orders.CollectRequest) (orders.CollectResult, error) {
	exp, _ := orders.CurrencyExponent(c.Amount.Currency)
	tok := &Token{Token: c.Token}
	if c.Installments > 0 {
		tok.Installments = Int64(c.Installments)
	}
	payer := &Person{Document: c.Payer.Document, DocumentType: c.Payer.DocumentType, Name: c.Payer.Name,
		Surname: c.Payer.Surname, Company: c.Payer.Company, Email: c.Payer.Email, Mobile: String(c.Payer.Mobile)}
	if a := c.Payer.Address; a != nil {
		payer.Address = &Address{Street: a.Street, City: a.City, State: a.State, PostalCode: a.PostalCode, Country: a.Country, Phone: a.Phone}
	}
	info, err := p.Client.Collect(ctx, CollectRequest{
		Payer: payer, IPAddress: c.IPAddress, UserAgent: c.UserAgent,
		Payment: PaymentRequest{
			Reference: c.Reference, Description: c.Description,
			Amount: Amount{Currency: c.Amount.Currency, Total: DecimalFromMinor(c.Amount.Minor, exp)},
		},
		Instrument: Instrument{Token: tok},
	})
	if err != nil {
		return orders.CollectResult{}, providerError(err)
	}
	return orders.CollectResult{RequestID: int64(info.RequestID), Status: info.Status.Status,
		Reason: string(info.Status.Reason), Message: string(info.Status.Message)}, nil
}

// InvalidateToken retires a token at PlacetoPay (POST /api/instrument/invalidate).
func (p Provider) InvalidateToken(ctx context.Context, token string) error {
	if _, err := p.Client.InvalidateToken(ctx, InvalidateTokenRequest{Instrument: Instrument{Token: &Token{Token: token}}}); err != nil {
		return providerError(err)
	}
	return nil
}

// instrumentOf returns the token an approved session issued: the subscription's instrument
// when its status is OK (docs/placetopay.md#deciding-that-a-session-is-paid), else the processor fields of the newest approved
// payment of a subscribe session that carry a token.
func instrumentOf(info *SessionInformation) *orders.ProviderInstrument {
	if info.Status.Status != StatusApproved {
		return nil
	}
	var fields NameValuePairs
	if s := info.Subscription; s != nil && s.Status.Status == "OK" {
		fields = s.Instrument
	} else if t, ok := info.LastApprovedTransaction(); ok {
		fields = t.ProcessorFields
	}
	get := func(k string) string { v, _ := fields.Lookup(k); return v }
	in := &orders.ProviderInstrument{
		Token: get("token"), Subtoken: get("subtoken"), Franchise: get("franchise"), FranchiseName: get("franchiseName"),
		IssuerName: get("issuerName"), LastDigits: get("lastDigits"), ValidUntil: get("validUntil"),
	}
	if in.Token == "" {
		return nil
	}
	in.Installments = lookupInt(fields, "installments")
	return in
}

// lookupInt reads a number that PlacetoPay may send as a number or as a string.
func lookupInt(fields NameValuePairs, keyword string) int {
	for _, kv := range fields {
		if kv.Keyword != keyword {
			continue
		}
		s := string(kv.Value)
		if uq, err := strconv.Unquote(s); err == nil {
			s = uq
		}
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 || n > 1000 {
			return 0
		}
		return n
	}
	return 0
}
