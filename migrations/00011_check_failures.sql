-- Queries of a session that keep failing back off instead of repeating every few seconds:
-- check_failures counts the failures in a row since the last query that answered.

-- +goose Up
ALTER TABLE checkout_sessions ADD COLUMN check_failures integer NOT NULL DEFAULT 0 CHECK (check_failures >= 0);

-- +goose Down
ALTER TABLE checkout_sessions DROP COLUMN check_failures;
