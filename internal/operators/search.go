package operators

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/placetopay-gateway/gateway/internal/orders"
)

// Filters are the saved searches for what needs a person.
const (
	FilterReview          = "review"           // orders in review
	FilterUnknownActions  = "unknown_actions"  // a refund or transaction action with an unknown outcome
	FilterExpiredSessions = "expired_sessions" // sessions still pending past their expiry
	FilterUndelivered     = "undelivered"      // events not delivered (failing or given up)
	FilterProbeFound      = "probe_found"      // approved payments no notification announced
)

// Filters lists the saved searches, in the order the console shows them.
var Filters = []string{FilterReview, FilterUnknownActions, FilterExpiredSessions, FilterUndelivered, FilterProbeFound}

// filterSQL is each saved search's condition on an order o: the search and the home page's
// counts (overview.go) use the same ones.
var filterSQL = map[string]string{
	FilterReview: "o.status = 'review'",
	FilterUnknownActions: `(EXISTS (SELECT 1 FROM refunds r WHERE r.order_id = o.id AND r.status = 'unknown')
			OR EXISTS (SELECT 1 FROM preauth_actions a WHERE a.order_id = o.id AND a.status = 'unknown')
			OR EXISTS (SELECT 1 FROM confirm_actions a WHERE a.order_id = o.id AND a.status = 'unknown'))`,
	FilterExpiredSessions: "EXISTS (SELECT 1 FROM checkout_sessions c WHERE c.order_id = o.id AND c.status = 'PENDING' AND c.attempt IN ('creating', 'open') AND c.expires_at < now())",
	FilterUndelivered:     "EXISTS (SELECT 1 FROM events e WHERE e.order_id = o.id AND e.delivered_at IS NULL AND (e.failed_at IS NOT NULL OR e.attempts > 0))",
	FilterProbeFound: `EXISTS (SELECT 1 FROM payments p JOIN checkout_sessions c ON c.id = p.session_id
			WHERE p.order_id = o.id AND p.status = 'APPROVED'
			AND NOT EXISTS (SELECT 1 FROM notifications n WHERE n.request_id = c.request_id))`,
}

// SearchParams narrows the console's order search. Q matches exactly: an order id, a
// reference, a requestId, an internalReference, an authorization code, or a buyer's email
// or document.
type SearchParams struct {
	Q, Status, Filter string
	From, To          *time.Time
	Min, Max          *int64 // minor units of the order's currency
	Limit             int
}

// SearchOrders returns the ids of the orders that match, newest first.
func (s *Service) SearchOrders(ctx context.Context, p SearchParams) ([]uuid.UUID, error) {
	if p.Limit <= 0 || p.Limit > 100 {
		p.Limit = 50
	}
	var (
		where []string
		args  []any
	)
	arg := func(v any) string { args = append(args, v); return "$" + strconv.Itoa(len(args)) }
	if q := strings.TrimSpace(p.Q); q != "" {
		alts := []string{"o.reference = " + arg(q), "lower(o.buyer->>'email') = " + arg(strings.ToLower(q)), "o.buyer->>'document' = " + arg(q),
			"EXISTS (SELECT 1 FROM payments p WHERE p.order_id = o.id AND p.authorization_code = " + arg(q) + ")"}
		if id, err := uuid.Parse(q); err == nil {
			alts = append(alts, "o.id = "+arg(id))
		}
		if n, err := strconv.ParseInt(q, 10, 64); err == nil && n > 0 {
			v := arg(n)
			alts = append(alts, "EXISTS (SELECT 1 FROM checkout_sessions c WHERE c.order_id = o.id AND c.request_id = "+v+")",
				"EXISTS (SELECT 1 FROM payments p WHERE p.order_id = o.id AND p.internal_reference = "+v+")")
		}
		where = append(where, "("+strings.Join(alts, " OR ")+")")
	}
	if p.Status != "" {
		if !orders.Status(p.Status).Valid() {
			return nil, &orders.Error{Code: orders.EInvalid, Field: "status", Message: "is not an order status"}
		}
		where = append(where, "o.status = "+arg(p.Status))
	}
	if p.From != nil {
		where = append(where, "o.created_at >= "+arg(*p.From))
	}
	if p.To != nil {
		where = append(where, "o.created_at < "+arg(*p.To))
	}
	if p.Min != nil {
		where = append(where, "o.total_minor >= "+arg(*p.Min))
	}
	if p.Max != nil {
		where = append(where, "o.total_minor <= "+arg(*p.Max))
	}
	if p.Filter != "" {
		cond, ok := filterSQL[p.Filter]
		if !ok {
			return nil, &orders.Error{Code: orders.EInvalid, Field: "filter", Message: "must be review, unknown_actions, expired_sessions, undelivered or probe_found"}
		}
		where = append(where, cond)
	}
	sql := "SELECT o.id FROM orders o"
	if len(where) > 0 {
		sql += " WHERE " + strings.Join(where, " AND ")
	}
	sql += " ORDER BY o.created_at DESC, o.id DESC LIMIT " + arg(p.Limit)
	rows, err := s.pool.Query(ctx, sql, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	ids := []uuid.UUID{}
	for rows.Next() {
		var id uuid.UUID
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}
