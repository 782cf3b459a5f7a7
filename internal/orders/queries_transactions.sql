-- Refunds, preauthorization actions and the confirmation flow (transaction actions).

-- name: ListRefundablePayments :many
-- Approved payments with money left to refund; a checkin is refunded through its capture, and
-- a recurring charge (known only from its notification, not in paid_minor) is not refunded here.
SELECT * FROM payments
WHERE order_id = $1 AND status = 'APPROVED' AND NOT refunded AND kind NOT IN ('checkin', 'recurring')
  AND refunded_minor < amount_minor
ORDER BY created_at, id;

-- name: InsertRefund :one
INSERT INTO refunds (id, order_id, payment_id, currency, amount_minor, request_key)
VALUES ($1, $2, $3, $4, $5, $6)
RETURNING *;

-- name: ForgetRefundRequest :exec
-- A failed refund lets its request run again as a new refund: nothing was refunded.
UPDATE refunds SET request_key = NULL WHERE id = $1;

-- name: GetRefundByRequestKey :one
-- The refund a request (its Idempotency-Key) made of the order already, if any.
SELECT r.*, p.internal_reference AS payment_internal_reference
FROM refunds r JOIN payments p ON p.id = r.payment_id
WHERE r.order_id = $1 AND r.request_key = $2;

-- name: SettleRefund :one
-- Settles a refund still in flight or unknown; a settled refund never changes again.
UPDATE refunds
SET status = sqlc.arg('status'), amount_minor = sqlc.arg('amount_minor'),
    internal_reference = sqlc.narg('internal_reference'), reason = sqlc.narg('reason'),
    message = sqlc.narg('message'), next_check_at = sqlc.narg('next_check_at'), updated_at = now()
WHERE id = sqlc.arg('id') AND status IN ('requested', 'unknown')
RETURNING *;

-- name: GetRefundForUpdate :one
SELECT * FROM refunds WHERE id = $1 FOR UPDATE;

-- name: ListRefunds :many
SELECT r.*, p.internal_reference AS payment_internal_reference
FROM refunds r JOIN payments p ON p.id = r.payment_id
WHERE r.order_id = $1 ORDER BY r.created_at, r.id;

-- name: CountRefundsInFlight :one
SELECT count(*) FROM refunds WHERE order_id = $1 AND status IN ('requested', 'unknown');

-- name: AddPaymentRefund :exec
UPDATE payments
SET refunded_minor = refunded_minor + sqlc.arg('amount_minor'),
    refunded = refunded OR refunded_minor + sqlc.arg('amount_minor') = amount_minor,
    updated_at = now()
WHERE id = sqlc.arg('id');

-- name: AddOrderRefund :exec
UPDATE orders SET refunded_minor = refunded_minor + sqlc.arg('amount_minor'), updated_at = now()
WHERE id = sqlc.arg('id');

-- name: ClaimUnknownRefunds :many
-- Claims unknown refunds due for a check, leased like the sessions of the probe.
UPDATE refunds SET next_check_at = now() + make_interval(secs => sqlc.arg('lease_seconds')::float8)
WHERE id IN (
    SELECT id FROM refunds
    WHERE status = 'unknown' AND next_check_at <= now()
    ORDER BY next_check_at
    LIMIT sqlc.arg('max_rows')
    FOR UPDATE SKIP LOCKED)
RETURNING id;

-- name: GetPayment :one
SELECT * FROM payments WHERE id = $1;

-- name: GetOrderPayment :one
SELECT * FROM payments WHERE order_id = $1 AND internal_reference = $2;

-- name: GetSession :one
SELECT * FROM checkout_sessions WHERE id = $1;

-- name: GetOpenCheckin :one
-- The order's approved preauthorization that was neither captured nor released.
SELECT * FROM payments
WHERE order_id = $1 AND kind = 'checkin' AND status = 'APPROVED' AND settled IS NULL AND parent_id IS NULL
ORDER BY created_at DESC, id DESC
LIMIT 1;

-- name: InsertPreauthAction :one
INSERT INTO preauth_actions (id, order_id, payment_id, action, currency, amount_minor)
VALUES ($1, $2, $3, $4, $5, $6)
RETURNING *;

-- name: SettlePreauthAction :exec
-- Settles an action in flight or unknown; an unknown one is due for a query at once.
UPDATE preauth_actions
SET status = sqlc.arg('status'), internal_reference = sqlc.narg('internal_reference'),
    reason = sqlc.narg('reason'), message = sqlc.narg('message'), updated_at = now(),
    next_check_at = CASE WHEN sqlc.arg('status') = 'unknown' THEN now() END
WHERE id = sqlc.arg('id') AND status IN ('requested', 'unknown');

-- name: SetPaymentHeld :exec
UPDATE payments SET held_minor = $2, updated_at = now() WHERE id = $1;

-- name: SetPaymentSettled :exec
UPDATE payments SET settled = $2, updated_at = now() WHERE id = $1 AND settled IS NULL;

-- name: InsertCapture :exec
-- The capture transaction of a preauthorization: an approved payment of its own (refunds act
-- on it), linked to the checkin it closed. A session query may have stored it first, as one
-- of the checkin session's transactions: it becomes the capture.
INSERT INTO payments (id, order_id, session_id, internal_reference, kind, reference, status, reason, message,
    authorization_code, receipt, franchise, payment_method, currency, amount_minor, parent_id, provider_date)
VALUES ($1, $2, $3, $4, 'payment', $5, 'APPROVED', $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)
ON CONFLICT (internal_reference) DO UPDATE
SET kind = 'payment', parent_id = EXCLUDED.parent_id, updated_at = now()
WHERE payments.order_id = EXCLUDED.order_id;

-- name: InsertReauthorization :exec
-- The transaction of a reauthorization: approved, linked to the hold it changed, and never
-- a payment of its own (it moves the hold). A session query may have stored it first, as one
-- of the checkin session's transactions: it becomes the reauthorization.
INSERT INTO payments (id, order_id, session_id, internal_reference, kind, reference, status, reason, message,
    authorization_code, currency, amount_minor, parent_id, provider_date)
VALUES ($1, $2, $3, $4, 'checkin', $5, 'APPROVED', $6, $7, $8, $9, $10, $11, $12)
ON CONFLICT (internal_reference) DO UPDATE
SET parent_id = EXCLUDED.parent_id, updated_at = now()
WHERE payments.order_id = EXCLUDED.order_id;

-- name: SetOrderAmount :exec
-- The order's amount follows a capture of another amount (Actions.recordPreauth).
UPDATE orders SET total_minor = $2, updated_at = now() WHERE id = $1;

-- name: SetCheckinCaptured :exec
-- A capture PlacetoPay answered with no transaction of its own: the checkin is the captured
-- payment, refundable up to the captured amount; held_minor keeps what was held.
UPDATE payments
SET kind = 'payment', held_minor = coalesce(held_minor, amount_minor), amount_minor = $2, updated_at = now()
WHERE id = $1;

-- name: GetPreauthActionInFlight :one
-- The checkin whose preauthorization action is being sent or has an unknown outcome: until
-- it is settled, the checkin session's other transactions belong to that action.
SELECT p.internal_reference FROM preauth_actions a JOIN payments p ON p.id = a.payment_id
WHERE a.order_id = $1 AND a.status IN ('requested', 'unknown');

-- name: ClaimConfirmationWarnings :many
-- PENDING_CONFIRMATION payments whose window closes soon and that were not warned about yet.
UPDATE payments SET confirm_warned_at = now()
WHERE id IN (
    SELECT w.id FROM payments w
    WHERE w.status = 'PENDING_CONFIRMATION' AND w.confirm_warned_at IS NULL
      AND w.provider_date <= sqlc.arg('entered_before')::timestamptz
    LIMIT 50
    FOR UPDATE SKIP LOCKED)
RETURNING *;

-- name: ListRefundingPayments :many
-- Payments with a refund in flight or unknown: PlacetoPay may already show them refunded.
SELECT payment_id FROM refunds WHERE order_id = $1 AND status IN ('requested', 'unknown');

-- name: InsertConfirmAction :one
INSERT INTO confirm_actions (id, order_id, payment_id, action)
VALUES ($1, $2, $3, $4)
RETURNING *;

-- name: SettleConfirmAction :exec
-- Settles a confirmation action still in flight or unknown; a settled one never changes again.
-- An unknown one is due for a query at once.
UPDATE confirm_actions
SET status = sqlc.arg('status'), reason = sqlc.narg('reason'), message = sqlc.narg('message'), updated_at = now(),
    next_check_at = CASE WHEN sqlc.arg('status') = 'unknown' THEN now() END
WHERE id = sqlc.arg('id') AND status IN ('requested', 'unknown');

-- name: SettleUnknownConfirmActions :exec
-- An unknown confirmation action whose payment has left PENDING_CONFIRMATION happened (or the
-- window closed): the session query settled it.
UPDATE confirm_actions
SET status = 'succeeded', reason = 'resolved_by_query', message = sqlc.arg('message'), updated_at = now()
WHERE payment_id = sqlc.arg('payment_id') AND status = 'unknown';

-- name: ClaimConfirmationAnnouncements :many
-- The order's payments awaiting confirmation that the merchant was not told of yet, marked
-- told: each is announced once (order.confirmation_required), however often its session is
-- queried. The caller holds the order's lock and writes the events in the same transaction.
UPDATE payments SET confirmation_announced_at = now()
WHERE order_id = $1 AND status = 'PENDING_CONFIRMATION' AND confirmation_announced_at IS NULL
RETURNING *;
