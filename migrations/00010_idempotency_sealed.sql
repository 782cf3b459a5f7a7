-- A stored response is replayed byte for byte and may hold the order's client secret and the
-- buyer's personal data: its body is kept sealed (AES-256-GCM under GATEWAY_TOKEN_KEY), and
-- response_key_id names the key that sealed it. Rows without one were stored in clear before
-- this migration and are replayed as they are until they expire.

-- +goose Up
ALTER TABLE idempotency_keys ADD COLUMN response_key_id text;

-- +goose Down
ALTER TABLE idempotency_keys DROP COLUMN response_key_id;
