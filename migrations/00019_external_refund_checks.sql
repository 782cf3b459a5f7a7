-- Refunds made outside the gateway (in PlacetoPay's panel, or by PlacetoPay) send no
-- notification, and a paid session is final, so nothing would look at it again. Each session
-- that took money is re-queried on a slow, bounded schedule after payment (refund_checks):
-- step is how many of the configured checks are done, next_check_at when the next is due
-- (NULL once the schedule is over). Replicas claim due rows with FOR UPDATE SKIP LOCKED and
-- a lease, like the probe's sessions.
--
-- A refund the gateway did not make is still entered in the refund ledger, with source
-- 'external': the ledger stays the one place that says how much was refunded.

-- +goose Up
ALTER TABLE refunds ADD COLUMN source text NOT NULL DEFAULT 'gateway'
    CONSTRAINT refunds_source CHECK (source IN ('gateway', 'external'));

CREATE TABLE refund_checks (
    session_id      uuid PRIMARY KEY REFERENCES checkout_sessions (id),
    order_id        uuid NOT NULL REFERENCES orders (id),
    paid_at         timestamptz NOT NULL,
    step            integer NOT NULL DEFAULT 0 CHECK (step >= 0),
    failures        integer NOT NULL DEFAULT 0 CHECK (failures >= 0),
    next_check_at   timestamptz,
    last_checked_at timestamptz,
    created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX refund_checks_due_idx ON refund_checks (next_check_at) WHERE next_check_at IS NOT NULL;
CREATE INDEX refund_checks_order_idx ON refund_checks (order_id);

-- Sessions paid in the last 30 days before this migration are checked once soon, then on
-- the schedule from when they were paid.
INSERT INTO refund_checks (session_id, order_id, paid_at, next_check_at)
SELECT s.id, s.order_id, s.updated_at, now()
FROM checkout_sessions s JOIN orders o ON o.id = s.order_id
WHERE s.kind = 'payment' AND s.status IN ('APPROVED', 'APPROVED_PARTIAL', 'PARTIAL_EXPIRED')
  AND o.status IN ('paid', 'partially_paid', 'partially_refunded', 'review')
  AND s.updated_at > now() - interval '30 days';

-- +goose Down
DROP TABLE refund_checks;
-- External refunds stay in the ledger, as refunds: the refunded amounts they hold stay true.
ALTER TABLE refunds DROP COLUMN source;
