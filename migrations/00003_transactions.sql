-- Actions on approved transactions through PlacetoPay's /api/transaction: refunds,
-- preauthorization capture, reauthorization and release, and the confirmation flow.

-- +goose Up
-- One refund at a time per order: a refund in flight (requested) or whose outcome is unknown
-- blocks the next, so refunded + in flight can never pass what was paid, on any replica.
CREATE UNIQUE INDEX refunds_one_in_flight ON refunds (order_id) WHERE status IN ('requested', 'unknown');
-- Unknown refunds are resolved by querying the payment's session, on a schedule.
ALTER TABLE refunds ADD COLUMN next_check_at timestamptz;
CREATE INDEX refunds_unknown_due_idx ON refunds (next_check_at) WHERE status = 'unknown';

-- A checkin's current hold (reauthorization changes it), how it was settled, and the capture
-- transaction's link to its preauthorization. parent_id rows are never summed as approvals of
-- a session: they are actions on another payment.
ALTER TABLE payments ADD COLUMN held_minor bigint CHECK (held_minor >= 0);
ALTER TABLE payments ADD COLUMN settled text CHECK (settled IN ('captured', 'released'));
ALTER TABLE payments ADD COLUMN parent_id uuid REFERENCES payments (id);
-- When the gateway warned that a PENDING_CONFIRMATION payment's window is about to close.
ALTER TABLE payments ADD COLUMN confirm_warned_at timestamptz;
CREATE INDEX payments_pending_confirmation_idx ON payments (provider_date)
    WHERE status = 'PENDING_CONFIRMATION' AND confirm_warned_at IS NULL;

-- The ledger of preauthorization actions, written ('requested') before PlacetoPay is called.
CREATE TABLE preauth_actions (
    id                 uuid PRIMARY KEY,
    order_id           uuid NOT NULL REFERENCES orders (id),
    payment_id         uuid NOT NULL REFERENCES payments (id),
    action             text NOT NULL CHECK (action IN ('capture', 'reauthorize', 'release')),
    currency           text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    amount_minor       bigint NOT NULL CHECK (amount_minor >= 0),
    status             text NOT NULL DEFAULT 'requested'
                       CHECK (status IN ('requested', 'succeeded', 'failed', 'unknown')),
    internal_reference bigint,
    reason             text,
    message            text,
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX preauth_actions_one_in_flight ON preauth_actions (order_id)
    WHERE status IN ('requested', 'unknown');

-- +goose Down
DROP TABLE preauth_actions;
DROP INDEX payments_pending_confirmation_idx;
ALTER TABLE payments DROP COLUMN confirm_warned_at;
ALTER TABLE payments DROP COLUMN parent_id;
ALTER TABLE payments DROP COLUMN settled;
ALTER TABLE payments DROP COLUMN held_minor;
DROP INDEX refunds_unknown_due_idx;
ALTER TABLE refunds DROP COLUMN next_check_at;
DROP INDEX refunds_one_in_flight;
