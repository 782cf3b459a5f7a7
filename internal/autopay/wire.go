package autopay

import (
	"github.com/placetopay-gateway/gateway/internal/orders"
	pp "github.com/placetopay-gateway/gateway/internal/placetopay"
)

// sessionRequest is the POST /autopay/session body (docs/placetopay.md#autopay) for action on terms.
func sessionRequest(action, providerID, reference string, t Terms, returnURL, locale, ip, ua string) pp.CreateSessionRequest {
	r := t.Recurring
	a := &pp.AutopayRequest{
		Action: action, ID: providerID, Reference: reference, Description: t.Description,
		Recurring: &pp.AutopayRecurring{
			Type: r.Type, Periodicity: r.Periodicity, Interval: pp.Int64(r.Interval), NextPayment: r.NextPayment,
			DueDate: r.DueDate, StartDate: r.StartDate,
		},
	}
	if r.MaxPeriods != nil {
		m := pp.Int64(*r.MaxPeriods)
		a.Recurring.MaxPeriods = &m
	}
	if t.DueDay != nil {
		a.DueDay = *t.DueDay
	}
	if m := t.Amount; m != nil {
		exp, _ := orders.CurrencyExponent(m.Currency)
		a.Amount = &pp.Amount{Currency: m.Currency, Total: pp.DecimalFromMinor(m.Minor, exp)}
	}
	return pp.CreateSessionRequest{
		Type: pp.SessionTypeAutopay, Autopay: a, Locale: locale,
		IPAddress: ip, UserAgent: ua, ReturnURL: returnURL,
	}
}

func toPerson(p *orders.Person) *pp.Person {
	if p == nil {
		return nil
	}
	out := &pp.Person{Document: p.Document, DocumentType: p.DocumentType, Name: p.Name, Surname: p.Surname,
		Company: p.Company, Email: p.Email, Mobile: pp.String(p.Mobile)}
	if a := p.Address; a != nil {
		out.Address = &pp.Address{Street: a.Street, City: a.City, State: a.State, PostalCode: a.PostalCode, Country: a.Country, Phone: a.Phone}
	}
	return out
}

// statusOf maps PlacetoPay's autopay status (docs/placetopay.md#autopay) to the gateway's.
func statusOf(st pp.Status) Status {
	switch st.Status {
	case pp.StatusApproved:
		return StatusActive
	case pp.StatusRejected:
		if string(st.Reason) == "AP" {
			return StatusCompleted
		}
		return StatusCancelled
	case pp.StatusFailed:
		return StatusFailed
	}
	return "" // pending or unknown: unchanged
}

// viewOf turns PlacetoPay's autopay into what the enrolment records. The token is dropped
// here: only its masked description is kept.
func viewOf(a pp.Autopay) providerView {
	v := providerView{
		Status: statusOf(a.Status), ProviderStatus: a.Status.Status, Reason: string(a.Status.Reason),
		Message: string(a.Status.Message),
	}
	if sub := a.Subscription; sub != nil {
		v.Description = sub.Description
		if r := sub.Recurring; r != nil {
			v.Recurring = &Recurring{Type: r.Type, Periodicity: r.Periodicity, Interval: int64(r.Interval),
				NextPayment: r.NextPayment, DueDate: r.DueDate, StartDate: r.StartDate}
			if r.MaxPeriods != nil {
				m := int64(*r.MaxPeriods)
				v.Recurring.MaxPeriods = &m
			}
		}
		if sub.Amount != nil {
			if m, err := sub.Amount.Total.Money(sub.Amount.Currency); err == nil {
				v.Amount = &m
			}
		}
	}
	if ad := a.Additional; ad != nil {
		v.DueDay = int(ad.DueDay)
	}
	if in := a.Instrument; in != nil && in.Token != nil {
		t := in.Token
		v.Instrument = &Instrument{Franchise: t.Franchise, FranchiseName: t.FranchiseName, IssuerName: t.IssuerName,
			LastDigits: string(t.LastDigits), ValidUntil: t.ValidUntil}
	}
	return v
}
