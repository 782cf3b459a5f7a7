-- An order's amount may itemise its taxes and details as PlacetoPay's amount does
-- (amount.taxes[], amount.details[]): kept in minor units of the order's currency, sent with
-- every session of the order.

-- +goose Up
ALTER TABLE orders
    ADD COLUMN amount_taxes   jsonb NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(amount_taxes) = 'array'),
    ADD COLUMN amount_details jsonb NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(amount_details) = 'array');

-- +goose Down
ALTER TABLE orders DROP COLUMN amount_taxes, DROP COLUMN amount_details;
