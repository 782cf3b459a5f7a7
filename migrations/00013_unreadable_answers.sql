-- A session whose queries PlacetoPay answers with something the gateway cannot read is not
-- retried for ever in silence: unreadable_answers counts those answers in a row (a failure to
-- reach PlacetoPay leaves it as it is, an answer that reads resets it), and at ten the probe
-- puts the session's order in review.

-- +goose Up
ALTER TABLE checkout_sessions ADD COLUMN unreadable_answers integer NOT NULL DEFAULT 0 CHECK (unreadable_answers >= 0);

-- +goose Down
ALTER TABLE checkout_sessions DROP COLUMN unreadable_answers;
