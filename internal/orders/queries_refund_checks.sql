-- The slow re-checks of paid sessions that find refunds made outside the gateway
-- (refund_checks.go).

-- name: EnrollRefundCheck :exec
-- A session that took money joins the schedule once; a later answer about it changes nothing.
INSERT INTO refund_checks (session_id, order_id, paid_at, next_check_at)
VALUES ($1, $2, $3, $4)
ON CONFLICT (session_id) DO NOTHING;

-- name: ClaimRefundChecks :many
-- Claims checks due at now, leased like the probe's sessions, so that replicas never do the
-- same check at once.
UPDATE refund_checks c
SET next_check_at = sqlc.arg('now')::timestamptz + make_interval(secs => sqlc.arg('lease_seconds')::float8)
FROM checkout_sessions s
WHERE s.id = c.session_id AND c.session_id IN (
    SELECT session_id FROM refund_checks
    WHERE next_check_at <= sqlc.arg('now')::timestamptz
    ORDER BY next_check_at
    LIMIT sqlc.arg('max_rows')
    FOR UPDATE SKIP LOCKED)
RETURNING c.session_id, c.order_id, c.paid_at, c.step, c.failures, s.request_id;

-- name: ScheduleRefundCheck :exec
-- Writes when a session is next checked (NULL: never again) after a check at now.
UPDATE refund_checks
SET step = sqlc.arg('step'), failures = sqlc.arg('failures'), next_check_at = sqlc.narg('next_check_at'),
    last_checked_at = sqlc.arg('now')::timestamptz
WHERE session_id = sqlc.arg('session_id');

-- name: InsertExternalRefund :one
-- A refund PlacetoPay reports that the gateway did not make: settled when it is found.
INSERT INTO refunds (id, order_id, payment_id, currency, amount_minor, status, source, reason, message)
VALUES ($1, $2, $3, $4, $5, 'succeeded', 'external', $6, $7)
RETURNING *;
