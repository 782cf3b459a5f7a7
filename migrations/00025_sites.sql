-- Several PlacetoPay sites: each order belongs to one (docs/sites.md), and every PlacetoPay
-- call about it goes there. Orders made before are the default site's, the PLACETOPAY_* one.
-- A session carries its order's site too, because the probe and the notifications find
-- sessions by PlacetoPay's requestId without reading the order first. Neither ever changes.

-- +goose Up
ALTER TABLE orders ADD COLUMN site text NOT NULL DEFAULT 'default'
    CHECK (site ~ '^[a-z0-9][a-z0-9-]{0,30}$');
ALTER TABLE checkout_sessions ADD COLUMN site text NOT NULL DEFAULT 'default'
    CHECK (site ~ '^[a-z0-9][a-z0-9-]{0,30}$');

-- +goose Down
ALTER TABLE checkout_sessions DROP COLUMN site;
ALTER TABLE orders DROP COLUMN site;
