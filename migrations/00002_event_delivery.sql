-- Merchant event delivery: when the deliverer gave up on an event, and the indexes behind
-- the events feed (GET /v1/events) and the deliverer's claim query.

-- +goose Up
-- Set when the last failed attempt came more than the retry window (three days) after the
-- event was created; such an event is never attempted again.
ALTER TABLE events ADD COLUMN failed_at timestamptz;

-- The feed pages in (tx_id, seq) order: see internal/webhooks/queries.sql.
CREATE INDEX events_feed_idx ON events (tx_id, seq);
-- The deliverer claims pending events in seq order, and holds back an order's later events
-- while an earlier one of the same order is pending.
CREATE INDEX events_pending_idx ON events (seq) WHERE delivered_at IS NULL AND failed_at IS NULL;
CREATE INDEX events_pending_order_idx ON events (order_id, seq) WHERE delivered_at IS NULL AND failed_at IS NULL;

-- +goose Down
DROP INDEX events_pending_order_idx;
DROP INDEX events_pending_idx;
DROP INDEX events_feed_idx;
ALTER TABLE events DROP COLUMN failed_at;
