package http

import (
	"bytes"
	"encoding/json"
	"strconv"

	"github.com/placetopay-gateway/gateway/internal/locale"
	"github.com/placetopay-gateway/gateway/internal/operators"
	"github.com/placetopay-gateway/gateway/internal/orders"
)

// storyView is an order's story as the order page shows it: every value already written
// for the operator's language. The story holds no card data or secrets (they were stripped
// before they were stored); payments show the card's last digits only.
type storyView struct {
	ID, Reference, Status, Amount, Paid, Refunded, Created, Updated string
	Currency                                                        string
	Sessions                                                        []map[string]string
	Payments                                                        []paymentRow
	Refunds                                                         []refundRow
	Actions                                                         []operators.ActionEntry
	Timeline                                                        []timelineRow
	Notifications                                                   []map[string]string
	Events                                                          []eventRow
	Audit                                                           []auditRow
}

type paymentRow struct {
	Ref                                                                         int64
	Status, Franchise, LastDigits, Authorization, Receipt, Kind, Amount, Refund string
}

type refundRow struct {
	ID, State, Amount, Payment, Created, Message string
}

type timelineRow struct {
	At, Kind, From, To, ProviderStatus, Reason, Message, Payload string
}

type eventRow struct {
	ID, Type, Created, Delivered, Failed string
	Attempts                             int
	Deliveries                           []string
}

type auditRow struct {
	Action, Actor, Reason, At, Target, OrderID string
}

func toStoryView(l locale.Locale, o orders.Order, refunds []orders.Refund, st operators.Story) storyView {
	date := l.Date
	v := storyView{ID: o.ID.String(), Reference: o.Reference, Status: string(o.Status), Amount: pageMoney(l, o.Amount),
		Paid: pageMoney(l, o.Paid()), Refunded: pageMoney(l, o.Refunded()), Currency: o.Amount.Currency, Created: date(o.CreatedAt), Updated: date(o.UpdatedAt),
		Actions: st.Actions, Audit: toAuditRows(l, st.Audit)}
	for _, se := range o.Sessions {
		req := ""
		if se.RequestID != nil {
			req = strconv.FormatInt(*se.RequestID, 10)
		}
		v.Sessions = append(v.Sessions, map[string]string{"requestId": req, "status": string(se.Status), "attempt": string(se.Attempt),
			"reason": se.Reason, "message": se.Message, "amount": pageMoney(l, se.Amount), "expires": date(se.ExpiresAt), "created": date(se.CreatedAt)})
	}
	for _, p := range o.Payments {
		kind := string(p.Kind)
		if p.Unconfirmed {
			kind += " (" + l.T("unconfirmed") + ")"
		}
		refund := l.T("no")
		if p.Refunded || p.RefundedMinor > 0 {
			refund = pageMoney(l, orders.Money{Minor: p.RefundedMinor, Currency: p.Amount.Currency})
		}
		v.Payments = append(v.Payments, paymentRow{Ref: p.InternalReference, Status: string(p.Status), Franchise: p.Franchise,
			LastDigits: st.LastDigits[p.InternalReference], Authorization: p.Authorization, Receipt: p.Receipt, Kind: kind,
			Amount: pageMoney(l, p.Amount), Refund: refund})
	}
	for _, r := range refunds {
		v.Refunds = append(v.Refunds, refundRow{ID: r.ID.String(), State: string(r.Status), Amount: pageMoney(l, r.Amount),
			Payment: strconv.FormatInt(r.PaymentInternalReference, 10), Created: date(r.CreatedAt), Message: r.Message})
	}
	for _, t := range st.Timeline {
		var pretty bytes.Buffer
		if len(t.Payload) > 0 && json.Indent(&pretty, t.Payload, "", "  ") != nil {
			pretty.Reset()
			pretty.Write(t.Payload)
		}
		v.Timeline = append(v.Timeline, timelineRow{At: date(t.At), Kind: t.Kind, From: t.From, To: t.To, ProviderStatus: t.ProviderStatus,
			Reason: t.Reason, Message: t.Message, Payload: pretty.String()})
	}
	for _, n := range st.Notifications {
		row := map[string]string{"received": date(n.ReceivedAt), "status": n.Status, "signature": n.Signature,
			"duplicates": strconv.Itoa(n.Duplicates), "processed": ""}
		if n.RequestID != nil {
			row["requestId"] = strconv.FormatInt(*n.RequestID, 10)
		}
		if n.ProcessedAt != nil {
			row["processed"] = date(*n.ProcessedAt)
		}
		v.Notifications = append(v.Notifications, row)
	}
	for _, e := range st.Events {
		row := eventRow{ID: e.ID.String(), Type: e.Type, Created: date(e.CreatedAt), Attempts: e.Attempts}
		if e.DeliveredAt != nil {
			row.Delivered = date(*e.DeliveredAt)
		}
		if e.FailedAt != nil {
			row.Failed = date(*e.FailedAt)
		}
		for _, d := range e.Deliveries {
			line := date(d.At) + ": "
			if d.StatusCode != nil {
				line += strconv.Itoa(*d.StatusCode)
			}
			if d.Error != "" {
				line += " " + d.Error
			}
			row.Deliveries = append(row.Deliveries, line+" ("+strconv.Itoa(d.DurationMS)+" ms)")
		}
		v.Events = append(v.Events, row)
	}
	return v
}

func toAuditRows(l locale.Locale, list []operators.AuditEntry) []auditRow {
	var out []auditRow
	for _, e := range list {
		r := auditRow{Action: e.Action, Actor: e.Actor.Name, Reason: e.Reason, At: l.Date(e.At), Target: e.Target}
		if e.Actor.Kind == operators.ActorAPIKey {
			r.Actor = l.T("API key %s", e.Actor.ID)
		}
		if e.OrderID != nil {
			r.OrderID = e.OrderID.String()
		}
		out = append(out, r)
	}
	return out
}
