-- Queries of recurring charges (recurring.go).

-- name: GetRecurringSession :one
-- The order's approved payment session that set up a recurrence: the newest, should there
-- be more. Only a payment session carries a recurrence (a subscription session has no payment).
SELECT * FROM checkout_sessions
WHERE order_id = $1 AND kind = 'payment' AND status = 'APPROVED' AND jsonb_typeof(request -> 'recurring') = 'object'
ORDER BY created_at DESC
LIMIT 1;

-- name: InsertRecurringNotification :one
-- Stores a verified recurring-charge notification raw; a duplicate (same dedupe key) only
-- counts. inserted is false for a duplicate.
INSERT INTO notifications (kind, internal_reference, reference, status, signature_algorithm, dedupe_key, body)
VALUES ('recurring', $1, $2, $3, $4, $5, $6)
ON CONFLICT (dedupe_key) DO UPDATE SET duplicates = notifications.duplicates + 1
RETURNING id, (xmax = 0) AS inserted;

-- name: MarkNotificationProcessed :exec
UPDATE notifications SET processed_at = now() WHERE id = $1;

-- name: UpsertRecurringPayment :one
-- A recurring charge by its internalReference, unconfirmed: only a notification reports it.
-- Only a charge already known as recurring and unconfirmed, of the same order, is updated,
-- and an approval is never taken back by a later report: no row comes back when nothing
-- was written.
INSERT INTO payments (id, order_id, session_id, internal_reference, kind, reference, status, reason, message,
    authorization_code, receipt, currency, amount_minor, provider_date, confirmed)
VALUES ($1, $2, $3, $4, 'recurring', $5, $6, $7, $8, $9, $10, $11, $12, $13, false)
ON CONFLICT (internal_reference) DO UPDATE
SET status = excluded.status, reason = excluded.reason, message = excluded.message,
    provider_date = excluded.provider_date, updated_at = now()
WHERE payments.kind = 'recurring' AND payments.order_id = excluded.order_id AND NOT payments.confirmed
  AND payments.status <> 'APPROVED' AND payments.status <> excluded.status
RETURNING id, (xmax = 0) AS inserted;

-- name: UpsertRecurringCharge :exec
INSERT INTO recurring_charges (payment_id, order_id, session_id, notification_id, tries, enabled)
VALUES ($1, $2, $3, $4, $5, $6)
ON CONFLICT (payment_id) DO UPDATE
SET notification_id = excluded.notification_id, tries = excluded.tries, enabled = excluded.enabled, updated_at = now();

-- name: ListRecurringCharges :many
SELECT rc.*, p.internal_reference, p.status, p.currency, p.amount_minor
FROM recurring_charges rc JOIN payments p ON p.id = rc.payment_id
WHERE rc.order_id = $1
ORDER BY rc.created_at;
