-- A refund remembers the request that asked for it: a digest of the API key's owner and the
-- request's Idempotency-Key. When that request runs again (its replica died before the key's
-- answer was stored, and the retry took the key over once its lease ended), the gateway finds
-- the refund it made and answers with it instead of refunding again.

-- +goose Up
ALTER TABLE refunds ADD COLUMN request_key bytea;
CREATE UNIQUE INDEX refunds_request_key ON refunds (order_id, request_key) WHERE request_key IS NOT NULL;

-- +goose Down
DROP INDEX refunds_request_key;
ALTER TABLE refunds DROP COLUMN request_key;
