-- The ledger of confirmation actions (confirm, cancel) on PENDING_CONFIRMATION payments,
-- written ('requested') under the order's lock before PlacetoPay is called.

-- +goose Up
CREATE TABLE confirm_actions (
    id         uuid PRIMARY KEY,
    order_id   uuid NOT NULL REFERENCES orders (id),
    payment_id uuid NOT NULL REFERENCES payments (id),
    action     text NOT NULL CHECK (action IN ('confirm', 'cancel')),
    status     text NOT NULL DEFAULT 'requested'
               CHECK (status IN ('requested', 'succeeded', 'failed', 'unknown')),
    reason     text,
    message    text,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
-- One confirmation action per payment that is in flight, unknown or done: a confirm and a
-- cancel racing on two replicas cannot both reach PlacetoPay, and none is sent twice. A
-- refused one ('failed') does not count.
CREATE UNIQUE INDEX confirm_actions_one_per_payment ON confirm_actions (payment_id)
    WHERE status IN ('requested', 'unknown', 'succeeded');

-- +goose Down
DROP TABLE confirm_actions;
