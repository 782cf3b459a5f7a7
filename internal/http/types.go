package http

import (
	"time"

	"github.com/placetopay-gateway/gateway/internal/orders"
)

// moneyJSON is money on the wire: the currency and the total as an exact decimal string.
type moneyJSON struct {
	Currency string `json:"currency"`
	Total    string `json:"total"`
}

func toMoneyJSON(m orders.Money) moneyJSON {
	return moneyJSON{Currency: m.Currency, Total: m.Decimal()}
}

type itemJSON struct {
	SKU      string  `json:"sku,omitempty"`
	Name     string  `json:"name"`
	Category string  `json:"category,omitempty"`
	Qty      int     `json:"qty"`
	Price    decimal `json:"price"`
	Tax      decimal `json:"tax,omitempty"`
}

type sessionJSON struct {
	RequestID  *int64    `json:"requestId"`
	ProcessURL string    `json:"processUrl,omitempty"`
	Status     string    `json:"status"`
	Reason     string    `json:"reason,omitempty"`
	Message    string    `json:"message,omitempty"`
	ExpiresAt  time.Time `json:"expiresAt"`
	CreatedAt  time.Time `json:"createdAt"`
}

type paymentJSON struct {
	InternalReference int64  `json:"internalReference"`
	Kind              string `json:"kind"`
	// Status is PlacetoPay's, or "unconfirmed" for a payment known only from a notification;
	// ReportedStatus is then what the notification said.
	Status         string    `json:"status"`
	ReportedStatus string    `json:"reportedStatus,omitempty"`
	Reason         string    `json:"reason,omitempty"`
	Authorization  string    `json:"authorization,omitempty"`
	Receipt        string    `json:"receipt,omitempty"`
	Franchise      string    `json:"franchise,omitempty"`
	PaymentMethod  string    `json:"paymentMethod,omitempty"`
	Amount         moneyJSON `json:"amount"`
	Refunded       bool      `json:"refunded"`
	RefundedAmount moneyJSON `json:"refundedAmount"`
	CreatedAt      time.Time `json:"createdAt"`
}

// orderJSON is an Order as the merchant API shows it.
type orderJSON struct {
	ID             string          `json:"id"`
	Reference      string          `json:"reference"`
	Description    string          `json:"description"`
	Status         orders.Status   `json:"status"`
	Amount         orderAmountJSON `json:"amount"`
	PaidAmount     moneyJSON       `json:"paidAmount"`
	RefundedAmount moneyJSON       `json:"refundedAmount"`
	Buyer          *orders.Person  `json:"buyer,omitempty"`
	Items          []itemJSON      `json:"items"`
	ReturnURL      string          `json:"returnUrl,omitempty"`
	Site           string          `json:"site"`
	ClientSecret   string          `json:"clientSecret,omitempty"`
	Sessions       []sessionJSON   `json:"sessions"`
	Payments       []paymentJSON   `json:"payments"`
	CreatedAt      time.Time       `json:"createdAt"`
	UpdatedAt      time.Time       `json:"updatedAt"`
}

func toOrderJSON(o orders.Order) orderJSON {
	out := orderJSON{
		ID: o.ID.String(), Reference: o.Reference, Description: o.Description, Status: o.Status,
		Amount: toOrderAmountJSON(o), PaidAmount: toMoneyJSON(o.Paid()), RefundedAmount: toMoneyJSON(o.Refunded()),
		Buyer: o.Buyer, ReturnURL: o.ReturnURL, Site: o.Site, CreatedAt: o.CreatedAt, UpdatedAt: o.UpdatedAt,
		Items: []itemJSON{}, Sessions: []sessionJSON{}, Payments: []paymentJSON{},
	}
	if out.Site == "" {
		out.Site = orders.DefaultSite
	}
	cur := o.Amount.Currency
	for _, it := range o.Items {
		ij := itemJSON{SKU: it.SKU, Name: it.Name, Category: it.Category, Qty: it.Qty,
			Price: decimal(orders.Money{Minor: it.PriceMinor, Currency: cur}.Decimal())}
		if it.TaxMinor > 0 {
			ij.Tax = decimal(orders.Money{Minor: it.TaxMinor, Currency: cur}.Decimal())
		}
		out.Items = append(out.Items, ij)
	}
	for _, s := range o.Sessions {
		out.Sessions = append(out.Sessions, sessionJSON{RequestID: s.RequestID, ProcessURL: s.ProcessURL,
			Status: string(s.Status), Reason: s.Reason, Message: s.Message, ExpiresAt: s.ExpiresAt, CreatedAt: s.CreatedAt})
	}
	for _, p := range o.Payments {
		pj := paymentJSON{InternalReference: p.InternalReference, Kind: p.Kind.Source(), Status: string(p.Status),
			Reason: p.Reason, Authorization: p.Authorization, Receipt: p.Receipt, Franchise: p.Franchise,
			PaymentMethod: p.PaymentMethod, Amount: toMoneyJSON(p.Amount), Refunded: p.Refunded,
			RefundedAmount: toMoneyJSON(orders.Money{Minor: p.RefundedMinor, Currency: p.Amount.Currency}),
			CreatedAt:      p.CreatedAt}
		if p.Unconfirmed {
			pj.Status, pj.ReportedStatus = "unconfirmed", string(p.Status)
		}
		out.Payments = append(out.Payments, pj)
	}
	return out
}

// orderStatusJSON is what a browser holding the order's client secret may read.
type orderStatusJSON struct {
	ID             string           `json:"id"`
	Status         orders.Status    `json:"status"`
	Amount         moneyJSON        `json:"amount"`
	PaidAmount     moneyJSON        `json:"paidAmount"`
	RefundedAmount moneyJSON        `json:"refundedAmount"`
	LastSession    *lastSessionJSON `json:"lastSession,omitempty"`
	UpdatedAt      time.Time        `json:"updatedAt"`
}

// lastSessionJSON is what PlacetoPay last said of the order's newest session: enough for a
// storefront to tell a payer who cancelled on PlacetoPay's page (REJECTED, reason "?C") from
// one whose payment failed.
type lastSessionJSON struct {
	Status string `json:"status"`
	Reason string `json:"reason,omitempty"`
}

// toOrderStatusJSON is the status view of o; o.Sessions are newest first, as the store
// lists them.
func toOrderStatusJSON(o orders.Order) orderStatusJSON {
	out := orderStatusJSON{ID: o.ID.String(), Status: o.Status, Amount: toMoneyJSON(o.Amount),
		PaidAmount: toMoneyJSON(o.Paid()), RefundedAmount: toMoneyJSON(o.Refunded()), UpdatedAt: o.UpdatedAt}
	if len(o.Sessions) > 0 && o.Sessions[0].Status != "" {
		out.LastSession = &lastSessionJSON{Status: string(o.Sessions[0].Status), Reason: o.Sessions[0].Reason}
	}
	return out
}
