-- The indexes the retention's deletes find their rows by. Built CONCURRENTLY, outside a
-- transaction, so that PlacetoPay's notifications and the deliverer are never blocked
-- while they are built on a large table; a build that failed half way leaves an invalid
-- index, which the DROP in front of each removes when the migration runs again.

-- +goose NO TRANSACTION
-- +goose Up
DROP INDEX CONCURRENTLY IF EXISTS notifications_received_idx;
CREATE INDEX CONCURRENTLY notifications_received_idx ON notifications (received_at);
DROP INDEX CONCURRENTLY IF EXISTS recurring_charges_notification_idx;
CREATE INDEX CONCURRENTLY recurring_charges_notification_idx ON recurring_charges (notification_id);
DROP INDEX CONCURRENTLY IF EXISTS event_deliveries_attempted_idx;
CREATE INDEX CONCURRENTLY event_deliveries_attempted_idx ON event_deliveries (attempted_at);

-- +goose Down
DROP INDEX CONCURRENTLY IF EXISTS event_deliveries_attempted_idx;
DROP INDEX CONCURRENTLY IF EXISTS recurring_charges_notification_idx;
DROP INDEX CONCURRENTLY IF EXISTS notifications_received_idx;
