-- Events beyond order status changes: a payment awaiting the merchant's confirmation, the
-- recurring charges PlacetoPay reports, and autopay enrolments and their charges. An autopay
-- event is about an enrolment, not an order: every event names exactly one of the two, and
-- its type says which.

-- +goose Up
ALTER TABLE events ALTER COLUMN order_id DROP NOT NULL;
ALTER TABLE events ADD COLUMN autopay_id uuid REFERENCES autopays (id);
ALTER TABLE events DROP CONSTRAINT events_type_check;
ALTER TABLE events ADD CONSTRAINT events_subject_and_type CHECK (
    (order_id IS NOT NULL AND autopay_id IS NULL AND type IN (
        'order.paid', 'order.partially_paid', 'order.authorized', 'order.failed',
        'order.cancelled', 'order.review', 'order.refunded',
        'order.confirmation_required', 'order.recurring_charge'))
    OR (autopay_id IS NOT NULL AND order_id IS NULL AND type IN (
        'autopay.charged', 'autopay.failed', 'autopay.updated', 'autopay.cancelled')));
CREATE INDEX events_autopay_idx ON events (autopay_id) WHERE autopay_id IS NOT NULL;
-- The deliverer holds back an enrolment's later events while an earlier one is pending, as
-- it does for an order's.
CREATE INDEX events_pending_autopay_idx ON events (autopay_id, seq)
    WHERE delivered_at IS NULL AND failed_at IS NULL AND autopay_id IS NOT NULL;

-- When the gateway told the merchant (order.confirmation_required) that the payment awaits
-- confirmation: once per payment, however often its session is queried.
ALTER TABLE payments ADD COLUMN confirmation_announced_at timestamptz;

-- +goose Down
ALTER TABLE payments DROP COLUMN confirmation_announced_at;
DROP INDEX events_pending_autopay_idx;
DROP INDEX events_autopay_idx;
DELETE FROM event_deliveries WHERE event_seq IN (SELECT seq FROM events WHERE autopay_id IS NOT NULL
    OR type IN ('order.confirmation_required', 'order.recurring_charge'));
DELETE FROM events WHERE autopay_id IS NOT NULL OR type IN ('order.confirmation_required', 'order.recurring_charge');
ALTER TABLE events DROP CONSTRAINT events_subject_and_type;
ALTER TABLE events DROP COLUMN autopay_id;
ALTER TABLE events ALTER COLUMN order_id SET NOT NULL;
ALTER TABLE events ADD CONSTRAINT events_type_check CHECK (type IN (
    'order.paid', 'order.partially_paid', 'order.authorized', 'order.failed',
    'order.cancelled', 'order.review', 'order.refunded'));
