-- A failed order that gets a new checkout moves back to pending, and every status change is
-- an event: order.pending joins the types an order's event may have.

-- +goose Up
ALTER TABLE events DROP CONSTRAINT events_subject_and_type;
ALTER TABLE events ADD CONSTRAINT events_subject_and_type CHECK (
    (order_id IS NOT NULL AND autopay_id IS NULL AND type IN (
        'order.paid', 'order.partially_paid', 'order.authorized', 'order.failed', 'order.pending',
        'order.cancelled', 'order.review', 'order.refunded',
        'order.confirmation_required', 'order.recurring_charge'))
    OR (autopay_id IS NOT NULL AND order_id IS NULL AND type IN (
        'autopay.charged', 'autopay.failed', 'autopay.updated', 'autopay.cancelled')));

-- +goose Down
DELETE FROM event_deliveries WHERE event_seq IN (SELECT seq FROM events WHERE type = 'order.pending');
DELETE FROM events WHERE type = 'order.pending';
ALTER TABLE events DROP CONSTRAINT events_subject_and_type;
ALTER TABLE events ADD CONSTRAINT events_subject_and_type CHECK (
    (order_id IS NOT NULL AND autopay_id IS NULL AND type IN (
        'order.paid', 'order.partially_paid', 'order.authorized', 'order.failed',
        'order.cancelled', 'order.review', 'order.refunded',
        'order.confirmation_required', 'order.recurring_charge'))
    OR (autopay_id IS NOT NULL AND order_id IS NULL AND type IN (
        'autopay.charged', 'autopay.failed', 'autopay.updated', 'autopay.cancelled')));
