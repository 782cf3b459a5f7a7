-- name: SetSessionCustomer :exec
UPDATE checkout_sessions SET customer_reference = $2 WHERE id = $1;

-- name: InsertPaymentMethod :execrows
-- One payment method per session, however often PlacetoPay's answer is applied. It is the
-- site's of the session that saved it.
INSERT INTO payment_methods (id, customer_reference, key_id, token_sealed, subtoken_sealed, type,
    franchise, franchise_name, issuer_name, last_digits, valid_until, installments, session_id, order_id, site)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14,
    (SELECT cs.site FROM checkout_sessions cs WHERE cs.id = $13))
ON CONFLICT (session_id) DO NOTHING;

-- name: ListPaymentMethods :many
SELECT * FROM payment_methods
WHERE customer_reference = $1 AND deleted_at IS NULL
ORDER BY created_at DESC, id DESC;

-- name: GetPaymentMethod :one
SELECT * FROM payment_methods
WHERE id = $1 AND customer_reference = $2 AND deleted_at IS NULL;

-- name: GetPaymentMethodForUpdate :one
SELECT * FROM payment_methods
WHERE id = $1 AND customer_reference = $2 AND deleted_at IS NULL
FOR UPDATE;

-- name: DeletePaymentMethod :execrows
-- Deleted rows keep their metadata for the orders that used them; the sealed token is erased.
UPDATE payment_methods
SET deleted_at = now(), token_sealed = '\x'::bytea, subtoken_sealed = NULL
WHERE id = $1 AND deleted_at IS NULL;

-- name: InsertCollectAttempt :one
INSERT INTO checkout_sessions (id, order_id, kind, currency, total_minor, request, expires_at,
    customer_reference, payment_method_id, site)
VALUES ($1, $2, 'collect', $3, $4, $5, $6, $7, $8, (SELECT o.site FROM orders o WHERE o.id = $2))
RETURNING *;

-- name: GetOrderByReferenceForUpdate :one
SELECT * FROM orders WHERE reference = $1 FOR UPDATE;

-- name: LatestCollectSession :one
SELECT * FROM checkout_sessions
WHERE order_id = $1 AND kind = 'collect'
ORDER BY created_at DESC, id DESC
LIMIT 1;
