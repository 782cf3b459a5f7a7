-- name: Claim :one
-- Inserts a new in-flight record; returns no row when the key is already taken.
-- Leases run on the database clock, so replicas with skewed clocks agree on them.
INSERT INTO idempotency_keys (owner, key, method, path, request_hash, lock_token, locked_until)
VALUES ($1, $2, $3, $4, $5, $6, now() + make_interval(secs => sqlc.arg('lease_seconds')::float8))
ON CONFLICT (owner, key) DO NOTHING
RETURNING owner;

-- name: Get :one
SELECT * FROM idempotency_keys WHERE owner = $1 AND key = $2;

-- name: TakeOver :one
-- Takes an in-flight record whose holder is gone (its lease expired), for the same request.
UPDATE idempotency_keys
SET lock_token = sqlc.arg('lock_token'), locked_until = now() + make_interval(secs => sqlc.arg('lease_seconds')::float8)
WHERE owner = sqlc.arg('owner') AND key = sqlc.arg('key') AND state = 'in_flight'
  AND request_hash = sqlc.arg('request_hash') AND locked_until < now()
RETURNING owner;

-- name: Complete :execrows
UPDATE idempotency_keys
SET state = 'done', response_status = $4, response_headers = $5, response_body = $6, response_key_id = $7
WHERE owner = $1 AND key = $2 AND lock_token = $3 AND state = 'in_flight';

-- name: Release :execrows
DELETE FROM idempotency_keys WHERE owner = $1 AND key = $2 AND lock_token = $3 AND state = 'in_flight';
