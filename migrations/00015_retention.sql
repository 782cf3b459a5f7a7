-- Retention (internal/retention): old raw notifications, delivery attempts, events delivered
-- or given up, and idempotency keys are deleted once past their windows. events_retention
-- remembers how far into the events feed deletions have reached, so that a reader whose
-- cursor is behind a deleted event is told so (410) instead of silently missing it.

-- +goose Up
CREATE TABLE events_retention (
    only_row boolean PRIMARY KEY DEFAULT true CHECK (only_row),
    -- The feed position (see ListEvents) of the furthest event deleted so far.
    tx_id    xid8 NOT NULL,
    seq      bigint NOT NULL
);

-- +goose Down
DROP TABLE events_retention;
