-- A stored card belongs to the PlacetoPay site whose session saved it: PlacetoPay's tokens
-- work only at the site that issued them, so its charges and its invalidation go there
-- (docs/sites.md). Cards saved before are the default site's.

-- +goose Up
ALTER TABLE payment_methods ADD COLUMN site text NOT NULL DEFAULT 'default'
    CHECK (site ~ '^[a-z0-9][a-z0-9-]{0,30}$');

-- +goose Down
ALTER TABLE payment_methods DROP COLUMN site;
