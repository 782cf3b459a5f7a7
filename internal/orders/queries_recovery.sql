-- Transaction actions whose outcome the gateway does not know (recovery.go): requested ones
-- whose process died while PlacetoPay was asked, and unknown ones resolved by a query.

-- name: ExpireRequestedRefunds :many
-- Refunds still requested long after their call must have ended: the process that sent them
-- died. They become unknown and due for a query now.
UPDATE refunds
SET status = 'unknown', reason = 'outcome_unknown', next_check_at = now(), updated_at = now(),
    message = 'the gateway stopped before PlacetoPay answered the refund; it is being checked'
WHERE id IN (
    SELECT id FROM refunds WHERE status = 'requested' AND created_at < sqlc.arg('before')::timestamptz
    ORDER BY created_at LIMIT 50 FOR UPDATE SKIP LOCKED)
RETURNING id, order_id;

-- name: ExpireRequestedPreauthActions :many
UPDATE preauth_actions
SET status = 'unknown', reason = 'outcome_unknown', next_check_at = now(), updated_at = now(),
    message = 'the gateway stopped before PlacetoPay answered; it is being checked'
WHERE id IN (
    SELECT id FROM preauth_actions WHERE status = 'requested' AND created_at < sqlc.arg('before')::timestamptz
    ORDER BY created_at LIMIT 50 FOR UPDATE SKIP LOCKED)
RETURNING id, order_id, action;

-- name: ExpireRequestedConfirmActions :many
UPDATE confirm_actions
SET status = 'unknown', reason = 'outcome_unknown', next_check_at = now(), updated_at = now(),
    message = 'the gateway stopped before PlacetoPay answered; it is being checked'
WHERE id IN (
    SELECT id FROM confirm_actions WHERE status = 'requested' AND created_at < sqlc.arg('before')::timestamptz
    ORDER BY created_at LIMIT 50 FOR UPDATE SKIP LOCKED)
RETURNING id, order_id, action;

-- name: ClaimUnknownPreauthActions :many
-- Claims unknown preauthorization actions due for a check, leased like the probe's sessions.
UPDATE preauth_actions SET next_check_at = now() + make_interval(secs => sqlc.arg('lease_seconds')::float8)
WHERE id IN (
    SELECT id FROM preauth_actions
    WHERE status = 'unknown' AND next_check_at <= now()
    ORDER BY next_check_at
    LIMIT sqlc.arg('max_rows')
    FOR UPDATE SKIP LOCKED)
RETURNING id;

-- name: ClaimUnknownConfirmActions :many
UPDATE confirm_actions SET next_check_at = now() + make_interval(secs => sqlc.arg('lease_seconds')::float8)
WHERE id IN (
    SELECT id FROM confirm_actions
    WHERE status = 'unknown' AND next_check_at <= now()
    ORDER BY next_check_at
    LIMIT sqlc.arg('max_rows')
    FOR UPDATE SKIP LOCKED)
RETURNING id;

-- name: GetPreauthAction :one
SELECT * FROM preauth_actions WHERE id = $1;

-- name: GetConfirmAction :one
SELECT * FROM confirm_actions WHERE id = $1;

-- name: LockPreauthActionStatus :one
-- The action's state under its row lock, inside the transaction that settles it: an action
-- already settled (by a query, or by an operator) is never settled again.
SELECT status FROM preauth_actions WHERE id = $1 FOR UPDATE;

-- name: LockConfirmActionStatus :one
SELECT status FROM confirm_actions WHERE id = $1 FOR UPDATE;

-- name: RecheckPreauthAction :one
-- A query did not settle the action: look again twice as late, up to an hour.
UPDATE preauth_actions
SET checks = checks + 1, updated_at = now(),
    next_check_at = now() + make_interval(secs => least(sqlc.arg('first_seconds')::float8 * power(2, least(checks, 30)), 3600))
WHERE id = $1 AND status = 'unknown'
RETURNING checks;

-- name: RecheckConfirmAction :one
UPDATE confirm_actions
SET checks = checks + 1, updated_at = now(),
    next_check_at = now() + make_interval(secs => least(sqlc.arg('first_seconds')::float8 * power(2, least(checks, 30)), 3600))
WHERE id = $1 AND status = 'unknown'
RETURNING checks;

-- name: RecheckRefund :one
UPDATE refunds
SET checks = checks + 1, updated_at = now(),
    next_check_at = now() + make_interval(secs => least(sqlc.arg('first_seconds')::float8 * power(2, least(checks, 30)), 3600))
WHERE id = $1 AND status = 'unknown'
RETURNING checks;
