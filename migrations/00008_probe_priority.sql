-- The probe's queue, for many open sessions: a session a notification (or a browser return)
-- asked about is checked before routine checks that are overdue, and claims find due
-- sessions through an index instead of reading the table.

-- +goose Up
ALTER TABLE checkout_sessions ADD COLUMN notified_at timestamptz;
CREATE INDEX checkout_sessions_notified_idx ON checkout_sessions (notified_at)
    WHERE notified_at IS NOT NULL AND attempt IN ('open', 'closed');
CREATE INDEX checkout_sessions_probe_idx ON checkout_sessions (next_check_at)
    WHERE attempt IN ('open', 'closed');

-- +goose Down
DROP INDEX checkout_sessions_probe_idx;
DROP INDEX checkout_sessions_notified_idx;
ALTER TABLE checkout_sessions DROP COLUMN notified_at;
