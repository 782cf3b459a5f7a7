-- A session PlacetoPay says does not exist (it never had it, or it belongs to another site)
-- points at wrong credentials, the wrong site or the wrong environment. unknown_since says
-- since when PlacetoPay has said so; a query it answers clears it. Such a session is never
-- handed out again, and it stays checked, less and less often, in case the credentials were
-- the problem and it shows a payment once they are fixed.

-- +goose Up
ALTER TABLE checkout_sessions ADD COLUMN unknown_since timestamptz;

-- +goose Down
ALTER TABLE checkout_sessions DROP COLUMN unknown_since;
