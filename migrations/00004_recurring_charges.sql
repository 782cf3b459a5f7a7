-- Charges of a recurring payment (payment.recurring) that PlacetoPay reports with its
-- recurring-charge notifications. Each charge is also a payments row of kind 'recurring'
-- (keyed by its internalReference); this table links it to the session that set up the
-- recurrence and to the notification that reported it, and keeps what the notification
-- said of the recurrence. PlacetoPay offers merchants no query of such a charge, so
-- reported_by says where its status comes from.

-- +goose Up
CREATE TABLE recurring_charges (
    payment_id      uuid PRIMARY KEY REFERENCES payments (id),
    order_id        uuid NOT NULL REFERENCES orders (id),
    session_id      uuid NOT NULL REFERENCES checkout_sessions (id),
    notification_id bigint NOT NULL REFERENCES notifications (id),
    reported_by     text NOT NULL DEFAULT 'notification' CHECK (reported_by IN ('notification', 'query')),
    tries           integer CHECK (tries >= 0),
    enabled         boolean,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX recurring_charges_order_idx ON recurring_charges (order_id);

-- +goose Down
DROP TABLE recurring_charges;
