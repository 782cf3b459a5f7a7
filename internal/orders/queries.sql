-- name: InsertOrder :one
INSERT INTO orders (id, reference, description, currency, total_minor, buyer, items, return_url, client_secret_hash)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
RETURNING *;

-- name: GetOrder :one
SELECT * FROM orders WHERE id = $1;

-- name: GetOrderForUpdate :one
SELECT * FROM orders WHERE id = $1 FOR UPDATE;

-- name: ListOrders :many
-- Newest first, keyset-paginated on (created_at, id) so that rows inserted while a client
-- pages can neither repeat nor shift others out of view.
SELECT * FROM orders
WHERE (sqlc.narg('status')::text IS NULL OR status = sqlc.narg('status')::text)
  AND (sqlc.narg('before_created')::timestamptz IS NULL
       OR (created_at, id) < (sqlc.narg('before_created')::timestamptz, sqlc.narg('before_id')::uuid))
ORDER BY created_at DESC, id DESC
LIMIT sqlc.arg('max_rows');

-- name: UpdateOrderStatus :execrows
-- Guarded: changes nothing unless the order is still in the status the caller read.
UPDATE orders SET status = sqlc.arg('to_status'), updated_at = now()
WHERE id = sqlc.arg('id') AND status = sqlc.arg('from_status');

-- name: InsertTimeline :exec
INSERT INTO order_timeline (order_id, session_id, kind, from_status, to_status, provider_status, reason, message, payload)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9);

-- name: ListTimeline :many
SELECT * FROM order_timeline WHERE order_id = $1 ORDER BY id;

-- name: InsertEvent :one
INSERT INTO events (id, type, order_id, data) VALUES ($1, $2, $3, $4) RETURNING *;

-- name: ListOrderEvents :many
SELECT * FROM events WHERE order_id = $1 ORDER BY seq;

-- name: ListSessions :many
SELECT * FROM checkout_sessions WHERE order_id = $1 ORDER BY created_at DESC, id DESC;

-- name: ListPayments :many
SELECT * FROM payments WHERE order_id = $1 ORDER BY created_at DESC, id DESC;
