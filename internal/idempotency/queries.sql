-- name: Claim :one
-- Inserts a new in-flight record; returns no row when the key is already taken.
INSERT INTO idempotency_keys (owner, key, method, path, request_hash, locked_until)
VALUES ($1, $2, $3, $4, $5, $6)
ON CONFLICT (owner, key) DO NOTHING
RETURNING owner;

-- name: Get :one
SELECT * FROM idempotency_keys WHERE owner = $1 AND key = $2;

-- name: TakeOver :one
-- Takes an in-flight record whose holder is gone (its lock expired), for the same request.
UPDATE idempotency_keys SET locked_until = sqlc.arg('locked_until')
WHERE owner = sqlc.arg('owner') AND key = sqlc.arg('key') AND state = 'in_flight'
  AND request_hash = sqlc.arg('request_hash') AND locked_until < now()
RETURNING owner;

-- name: Complete :execrows
UPDATE idempotency_keys
SET state = 'done', response_status = $3, response_content_type = $4, response_body = $5
WHERE owner = $1 AND key = $2 AND state = 'in_flight';

-- name: Release :exec
DELETE FROM idempotency_keys WHERE owner = $1 AND key = $2 AND state = 'in_flight';

-- name: DeleteOlderThan :execrows
DELETE FROM idempotency_keys WHERE created_at < $1 AND state = 'done';
