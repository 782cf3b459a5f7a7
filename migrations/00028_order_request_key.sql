-- An order remembers the request that created it: a digest of the API key's owner and the
-- request's Idempotency-Key. When that request runs again (its first answer was never stored,
-- as when Postgres failed over or the replica died before the key's record was completed, and
-- the retry took the key over once its lease ended), the gateway answers with that order, not
-- a 409 on its reference or a second order.

-- +goose Up
ALTER TABLE orders ADD COLUMN request_key bytea;
CREATE UNIQUE INDEX orders_request_key ON orders (request_key) WHERE request_key IS NOT NULL;

-- +goose Down
DROP INDEX orders_request_key;
ALTER TABLE orders DROP COLUMN request_key;
