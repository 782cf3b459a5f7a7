-- Transaction actions whose process died while PlacetoPay was asked: a requested action old
-- enough that its call has surely ended becomes unknown and is resolved from the session
-- query, on a schedule with back-off (next_check_at, checks); what a query cannot settle
-- waits for a person, on the order's timeline and in a gauge.

-- +goose Up
ALTER TABLE preauth_actions ADD COLUMN next_check_at timestamptz, ADD COLUMN checks integer NOT NULL DEFAULT 0;
ALTER TABLE confirm_actions ADD COLUMN next_check_at timestamptz, ADD COLUMN checks integer NOT NULL DEFAULT 0;
ALTER TABLE refunds ADD COLUMN checks integer NOT NULL DEFAULT 0;
CREATE INDEX refunds_requested_idx ON refunds (created_at) WHERE status = 'requested';
CREATE INDEX preauth_actions_requested_idx ON preauth_actions (created_at) WHERE status = 'requested';
CREATE INDEX confirm_actions_requested_idx ON confirm_actions (created_at) WHERE status = 'requested';
CREATE INDEX preauth_actions_unknown_idx ON preauth_actions (next_check_at) WHERE status = 'unknown';
CREATE INDEX confirm_actions_unknown_idx ON confirm_actions (next_check_at) WHERE status = 'unknown';

-- +goose Down
DROP INDEX confirm_actions_unknown_idx;
DROP INDEX preauth_actions_unknown_idx;
DROP INDEX confirm_actions_requested_idx;
DROP INDEX preauth_actions_requested_idx;
DROP INDEX refunds_requested_idx;
ALTER TABLE refunds DROP COLUMN checks;
ALTER TABLE confirm_actions DROP COLUMN next_check_at, DROP COLUMN checks;
ALTER TABLE preauth_actions DROP COLUMN next_check_at, DROP COLUMN checks;
