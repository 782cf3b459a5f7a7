package sandbox

import (
	"encoding/json"

	pp "github.com/placetopay-gateway/gateway/internal/placetopay"
)

// The control API's records and request bodies. The handlers encode the records and decode
// the bodies; Control sends the bodies and decodes the records: one type for each, so the
// sandbox and its client cannot drift apart.

// SessionRecord is the sandbox's own view of a session, more than a query shows: the answer
// to GET /sandbox/sessions/{id} and to paying a session.
type SessionRecord struct {
	RequestID     int64                `json:"requestId"`
	Kind          string               `json:"kind"` // payment, subscription, autopay or collect
	Status        pp.Status            `json:"status"`
	Reference     string               `json:"reference"`
	Amount        *pp.AmountBase       `json:"amount,omitempty"`
	Approved      *pp.AmountBase       `json:"approved,omitempty"`
	ProcessURL    string               `json:"processUrl,omitempty"`
	CreatedAt     string               `json:"createdAt"`
	ExpiresAt     string               `json:"expiresAt"`
	Attempts      map[string]int       `json:"attempts"` // rejected, limit
	Payments      []TransactionRecord  `json:"payments"` // oldest first
	Token         map[string]string    `json:"token,omitempty"`
	AutopayID     string               `json:"autopayId,omitempty"`
	Notifications []NotificationRecord `json:"notifications"`
	// Request is the create-session request as the sandbox received it, without auth, as a
	// query echoes it: what a test checks the gateway sent.
	Request map[string]any `json:"request,omitempty"`
	// Login is the site that created the session; Queries counts its queries by login.
	Login   string         `json:"login"`
	Queries map[string]int `json:"queries"`
}

func (sb *Sandbox) sessionRecord(s *session) SessionRecord {
	v := SessionRecord{
		RequestID: s.ID, Kind: string(s.Kind), Status: statusRecord(s.State), Reference: s.Reference,
		ProcessURL: s.ProcessURL, CreatedAt: sb.date(s.Created), ExpiresAt: sb.date(s.ExpiresAt),
		Attempts: map[string]int{"rejected": s.Rejected, "limit": sb.cfg.AttemptsLimit},
		Payments: []TransactionRecord{}, Notifications: []NotificationRecord{}, Request: s.Request,
		Login: s.Login, Queries: map[string]int{},
	}
	if v.Login == "" {
		v.Login = sb.cfg.Login
	}
	for login, n := range s.Queries {
		v.Queries[login] = n
	}
	if s.Amount.Currency != "" {
		v.Amount = &pp.AmountBase{Currency: s.Amount.Currency, Total: pp.Decimal(s.Amount.total())}
		v.Approved = &pp.AmountBase{Currency: s.Amount.Currency, Total: pp.Decimal(formatCents(s.approvedCents()))}
	}
	for _, t := range s.Payments {
		v.Payments = append(v.Payments, sb.transactionRecord(t))
	}
	if s.Token != nil {
		v.Token = map[string]string{"token": s.Token.Token, "subtoken": s.Token.Subtoken}
	}
	if s.Enrolled != nil {
		v.AutopayID = s.Enrolled.ID
	}
	for _, n := range sb.outbox {
		if n.RequestID == s.ID {
			v.Notifications = append(v.Notifications, sb.notificationRecord(n))
		}
	}
	return v
}

// statusRecord is a status as the control API shows it.
func statusRecord(s state) pp.Status {
	return pp.Status{Status: s.Status, Reason: pp.String(s.Reason), Message: pp.String(s.Message), Date: s.Date}
}

// TransactionRecord is the sandbox's own view of a transaction: a session's payment, an
// approval, a recurring or an autopay charge, or an action on one of them.
type TransactionRecord struct {
	InternalReference int64         `json:"internalReference"`
	RequestID         int64         `json:"requestId,omitempty"`
	Kind              string        `json:"kind"`
	ParentReference   int64         `json:"parentReference,omitempty"` // what a capture, reauthorization or reversal acts on
	Reference         string        `json:"reference"`
	Status            pp.Status     `json:"status"`
	Amount            pp.AmountBase `json:"amount"`
	Card              string        `json:"card"` // masked
	Refunded          bool          `json:"refunded"`
	RefundedTotal     pp.Decimal    `json:"refundedTotal"`
	ResolvesAt        string        `json:"resolvesAt,omitempty"` // a pending payment's
	ConfirmBy         string        `json:"confirmBy,omitempty"`  // a payment pending confirmation's
}

func (sb *Sandbox) transactionRecord(t *transaction) TransactionRecord {
	v := TransactionRecord{
		InternalReference: t.Ref, Kind: string(t.Kind), Reference: t.Reference, Status: statusRecord(t.State),
		Amount: pp.AmountBase{Currency: t.Amount.Currency, Total: pp.Decimal(t.Amount.total())}, Card: t.Card.masked(),
		Refunded: t.Refunded, RefundedTotal: pp.Decimal(formatCents(t.RefundedCents)),
	}
	if t.Parent != nil {
		v.ParentReference = t.Parent.Ref
	}
	if s := t.Session; s != nil {
		v.RequestID = s.ID
		if s.Kind == kindCollect && t.Kind == txPayment {
			v.Kind = "collect"
		}
	}
	switch t.status() {
	case pp.StatusPending:
		v.ResolvesAt = sb.date(t.ResolveAt)
	case pp.StatusPendingConfirmation:
		v.ConfirmBy = sb.date(t.ConfirmBy)
	}
	return v
}

// NotificationRecord is one notification the sandbox decided, with its faults and what the
// receiver answered.
type NotificationRecord struct {
	Seq        int             `json:"seq"`
	RequestID  int64           `json:"requestId"`
	Status     string          `json:"status"`
	Body       json.RawMessage `json:"body"` // exactly what is posted
	Faults     []string        `json:"faults"`
	DueAt      string          `json:"dueAt"`
	Outcome    string          `json:"outcome"`
	Deliveries []Delivery      `json:"deliveries"`
}

func (sb *Sandbox) notificationRecord(n *notification) NotificationRecord {
	return NotificationRecord{
		Seq: n.Seq, RequestID: n.RequestID, Status: n.Status, Body: n.Body, Faults: append([]string{}, n.Faults...),
		DueAt: sb.date(n.DueAt), Outcome: n.Outcome, Deliveries: append([]Delivery{}, n.Deliveries...),
	}
}

// ChargeRecord is the answer to charging an autopay: the charge, and what the merchant
// answered to its settlements (an approved charge's; a failed one's webhook is posted later).
type ChargeRecord struct {
	TransactionRecord
	Settlements []Delivery `json:"settlements,omitempty"`
}

// RecurringChargeRecord is the answer to making a recurring session's next charge: the
// charge, with its session's requestId, and the notification decided for it.
type RecurringChargeRecord struct {
	TransactionRecord
	Notification json.RawMessage `json:"notification"`
}

// listRecord is how the control API answers with a list.
type listRecord[T any] struct {
	Data []T `json:"data"`
}
