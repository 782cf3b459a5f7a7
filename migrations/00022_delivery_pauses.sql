-- Operators pausing merchant event delivery, and redelivering every event since a time.

-- +goose Up
-- Each pause of merchant event delivery: when, by whom and why, and when and by whom it
-- ended. While one is open (resumed_at IS NULL) no replica claims an event (ClaimEvents in
-- internal/webhooks/queries.sql), and the give-up clock of an event does not count the time
-- its delivery was paused. At most one pause is open.
CREATE TABLE delivery_pauses (
    id          bigserial PRIMARY KEY,
    paused_at   timestamptz NOT NULL,
    paused_by   text NOT NULL,
    reason      text NOT NULL,
    resumed_at  timestamptz,
    resumed_by  text,
    CHECK ((resumed_at IS NULL) = (resumed_by IS NULL)),
    CHECK (resumed_at IS NULL OR resumed_at >= paused_at)
);
CREATE UNIQUE INDEX delivery_pauses_one_open ON delivery_pauses ((true)) WHERE resumed_at IS NULL;

-- Redelivering every event since a time selects events by creation time.
CREATE INDEX events_created_idx ON events (created_at);

-- +goose Down
DROP INDEX events_created_idx;
DROP TABLE delivery_pauses;
