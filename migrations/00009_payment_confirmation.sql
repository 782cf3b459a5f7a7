-- A payment known only from a notification (a recurring charge) is unconfirmed until a query
-- of the gateway's own lists it: until then it is shown as unconfirmed and never counted.

-- +goose Up
ALTER TABLE payments ADD COLUMN confirmed boolean NOT NULL DEFAULT true;
UPDATE payments SET confirmed = false WHERE kind = 'recurring';

-- +goose Down
ALTER TABLE payments DROP COLUMN confirmed;
