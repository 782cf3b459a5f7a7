package operators

import (
	"context"
	"time"
)

// Overview is the console's home page in figures: what needs a person (the saved searches'
// counts), how payments went today, and how PlacetoPay's notifications arrived in the last
// 24 hours.
type Overview struct {
	// Attention is the number of orders each saved search (Filters) finds now.
	Attention map[string]int
	// Today is the start of the day the day's figures count from.
	Today time.Time
	// ApprovedToday and DecidedToday count payments PlacetoPay decided since Today:
	// approved (refunded later or not), and approved plus rejected or failed.
	ApprovedToday, DecidedToday int
	// Since is the start of the last 24 hours: the hour 23 hours before the current one.
	Since time.Time
	// MissedNotifications counts the payments approved since Since that the gateway found
	// by querying (the probe) while their session never received a notification.
	MissedNotifications int
	// Notifications and SHA1Notifications count the notifications received since Since,
	// and those signed with SHA-1 (the older scheme PlacetoPay is leaving).
	Notifications, SHA1Notifications int
	// ApprovalsPerHour counts approved payments per hour since Since, oldest first: 24 hours.
	ApprovalsPerHour []HourCount
}

// HourCount is the number of approvals in the hour starting at Hour.
type HourCount struct {
	Hour  time.Time
	Count int
}

// ApprovalRate is the share of today's decided payments that were approved, in whole
// percent; ok is false when none was decided yet.
func (o Overview) ApprovalRate() (percent int, ok bool) {
	if o.DecidedToday == 0 {
		return 0, false
	}
	return o.ApprovedToday * 100 / o.DecidedToday, true
}

// SHA1Share is the share of the last 24 hours' notifications signed with SHA-1, in whole
// percent; ok is false when none was received.
func (o Overview) SHA1Share() (percent int, ok bool) {
	if o.Notifications == 0 {
		return 0, false
	}
	return o.SHA1Notifications * 100 / o.Notifications, true
}

// paymentTime is when PlacetoPay decided a payment: its own date, else when the gateway
// first saw it.
const paymentTime = "coalesce(p.provider_date, p.created_at)"

// OverviewOf returns the overview, with the day's figures counted from today (the start of
// the operator's day).
func (s *Service) OverviewOf(ctx context.Context, today time.Time) (Overview, error) {
	now := s.now().UTC()
	o := Overview{Attention: map[string]int{}, Today: today, Since: now.Truncate(time.Hour).Add(-23 * time.Hour)}
	for _, f := range Filters {
		var n int
		if err := s.pool.QueryRow(ctx, `SELECT count(*) FROM orders o WHERE `+filterSQL[f]).Scan(&n); err != nil {
			return o, err
		}
		o.Attention[f] = n
	}
	err := s.pool.QueryRow(ctx, `SELECT count(*) FILTER (WHERE p.status IN ('APPROVED', 'REFUNDED')),
			count(*) FILTER (WHERE p.status IN ('APPROVED', 'REFUNDED', 'REJECTED', 'FAILED'))
		FROM payments p WHERE `+paymentTime+` >= $1`, today).Scan(&o.ApprovedToday, &o.DecidedToday)
	if err != nil {
		return o, err
	}
	err = s.pool.QueryRow(ctx, `SELECT count(*) FROM payments p JOIN checkout_sessions c ON c.id = p.session_id
		WHERE p.status = 'APPROVED' AND `+paymentTime+` >= $1
		AND NOT EXISTS (SELECT 1 FROM notifications n WHERE n.request_id = c.request_id)`, o.Since).Scan(&o.MissedNotifications)
	if err != nil {
		return o, err
	}
	err = s.pool.QueryRow(ctx, `SELECT count(*), count(*) FILTER (WHERE signature_algorithm = 'sha1')
		FROM notifications WHERE received_at >= $1`, o.Since).Scan(&o.Notifications, &o.SHA1Notifications)
	if err != nil {
		return o, err
	}
	o.ApprovalsPerHour = make([]HourCount, 24)
	for i := range o.ApprovalsPerHour {
		o.ApprovalsPerHour[i].Hour = o.Since.Add(time.Duration(i) * time.Hour)
	}
	rows, err := s.pool.Query(ctx, `SELECT floor(extract(epoch FROM `+paymentTime+` - $1) / 3600)::int AS h, count(*)
		FROM payments p WHERE p.status IN ('APPROVED', 'REFUNDED') AND `+paymentTime+` >= $1 AND `+paymentTime+` < $2
		GROUP BY h`, o.Since, o.Since.Add(24*time.Hour))
	if err != nil {
		return o, err
	}
	defer rows.Close()
	for rows.Next() {
		var h, n int
		if err := rows.Scan(&h, &n); err != nil {
			return o, err
		}
		if h >= 0 && h < 24 {
			o.ApprovalsPerHour[h].Count = n
		}
	}
	return o, rows.Err()
}
