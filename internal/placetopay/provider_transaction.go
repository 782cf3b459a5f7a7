package placetopay

import (
	"context"

	"github.com/placetopay-gateway/gateway/internal/orders"
)

// TransactionAction runs an action on a transaction (POST /api/transaction) and returns the
// transaction PlacetoPay answered with, in the domain's terms. It is never retried: an
// unknown outcome (timeout, lost connection) comes back as it is, for the caller to resolve
// with a session query.
func (p Provider) TransactionAction(ctx context.Context, internalReference int64, action string, amount *orders.Money) (orders.ProviderPayment, error) {
	req := TransactionRequest{InternalReference: Int64(internalReference), Action: action}
	if amount != nil {
		exp, _ := orders.CurrencyExponent(amount.Currency)
		req.Amount = &Amount{Currency: amount.Currency, Total: DecimalFromMinor(amount.Minor, exp)}
	}
	resp, err := p.Client.TransactionAction(ctx, req)
	if err != nil {
		return orders.ProviderPayment{}, providerError(err)
	}
	out := orders.ProviderPayment{Status: orders.ProviderStatus(resp.Status.Status), Reason: string(resp.Status.Reason), Message: string(resp.Status.Message)}
	if resp.Payment == nil {
		return out, nil
	}
	t := resp.Payment
	out.InternalReference, out.Reference = int64(t.InternalReference), string(t.Reference)
	if t.Status.Status != "" {
		out.Status, out.Reason, out.Message = orders.ProviderStatus(t.Status.Status), string(t.Status.Reason), string(t.Status.Message)
	}
	out.Authorization, out.Receipt, out.Franchise = string(t.Authorization), string(t.Receipt), t.Franchise
	out.PaymentMethod, out.PaymentMethodName, out.IssuerName = t.PaymentMethod, t.PaymentMethodName, t.IssuerName
	out.Refunded = t.Refunded
	out.LastDigits, _ = t.ProcessorFields.Lookup("lastDigits")
	if d, err := t.Status.Time(); err == nil {
		out.Date = d
	}
	if t.Amount != nil {
		out.Currency, out.Total = t.Amount.From.Currency, string(t.Amount.From.Total)
		if m, err := t.Amount.From.Total.Money(out.Currency); err == nil {
			out.AmountMinor, out.AmountOK = m.Minor, true
		}
	}
	return out, nil
}
