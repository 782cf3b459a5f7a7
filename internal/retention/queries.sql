-- Each statement deletes at most max_rows rows past their window, picked with FOR UPDATE
-- SKIP LOCKED (events: under an advisory lock): replicas that run the same pass at once
-- delete disjoint batches, and no batch waits on rows a request or the deliverer holds. Nothing here touches orders, sessions,
-- payments, refunds, recurring charges or the order timeline: they are the merchant's
-- accounting record and are kept for ever.

-- name: DeleteNotifications :execrows
-- Raw notifications received before the cutoff. One that a recurring charge still names
-- (recurring_charges.notification_id: the report the charge rests on) stays with it.
DELETE FROM notifications WHERE id IN (
    SELECT n.id FROM notifications n
    WHERE n.received_at < sqlc.arg('before')::timestamptz
      AND NOT EXISTS (SELECT 1 FROM recurring_charges rc WHERE rc.notification_id = n.id)
    LIMIT sqlc.arg('max_rows')
    FOR UPDATE OF n SKIP LOCKED);

-- name: DeleteEventDeliveries :execrows
-- Delivery attempts made before the cutoff, whatever became of their event.
DELETE FROM event_deliveries WHERE id IN (
    SELECT d.id FROM event_deliveries d
    WHERE d.attempted_at < sqlc.arg('before')::timestamptz
    LIMIT sqlc.arg('max_rows')
    FOR UPDATE SKIP LOCKED);

-- name: DeleteEvents :one
-- Events delivered, or given up, before the cutoff, with their delivery attempts, taken
-- from the start of the feed's order (tx_id, seq) and only up to the first event that must
-- stay: one still to be delivered (or waiting for a first merchant URL) is never deleted,
-- however old, and nothing after it is either, so the feed never has a hole. Only events
-- the feed can already list (tx_id older than every running transaction) are taken, so an
-- event that commits later always sorts after the deleted ones. events_retention moves to
-- the last position deleted, in the same statement: a cursor before it is behind deleted
-- events (GET /v1/events answers 410). One replica at a time deletes events (the advisory
-- lock, held to the end of the statement); another finds nothing to do this time. An event a
-- webhook endpoint still waits for (endpoint_deliveries pending) must stay too; the fan-out
-- queues an event within a second of its commit, long before its retention window ends.
WITH lock AS (
    SELECT pg_try_advisory_xact_lock(7236529812461003117) AS held
), head AS (
    SELECT e.seq, e.tx_id, coalesce(coalesce(e.delivered_at, e.failed_at) < sqlc.arg('before')::timestamptz
        AND NOT EXISTS (SELECT 1 FROM endpoint_deliveries d WHERE d.event_seq = e.seq AND d.status = 'pending'), false) AS done
    FROM events e
    WHERE (SELECT held FROM lock) AND e.tx_id < pg_snapshot_xmin(pg_current_snapshot())
    ORDER BY e.tx_id, e.seq
    LIMIT sqlc.arg('max_rows')
), doomed AS (
    SELECT h.seq, h.tx_id FROM head h
    WHERE h.done AND NOT EXISTS (SELECT 1 FROM head k WHERE NOT k.done AND (k.tx_id, k.seq) < (h.tx_id, h.seq))
), attempts AS (
    DELETE FROM event_deliveries WHERE event_seq IN (SELECT seq FROM doomed) RETURNING 1
), deleted AS (
    DELETE FROM events WHERE seq IN (SELECT seq FROM doomed) RETURNING seq, tx_id
), furthest AS (
    INSERT INTO events_retention (tx_id, seq)
    SELECT tx_id, seq FROM deleted ORDER BY tx_id DESC, seq DESC LIMIT 1
    ON CONFLICT (only_row) DO UPDATE SET tx_id = EXCLUDED.tx_id, seq = EXCLUDED.seq
    WHERE (EXCLUDED.tx_id, EXCLUDED.seq) > (events_retention.tx_id, events_retention.seq)
)
SELECT (SELECT count(*) FROM deleted) AS events, (SELECT count(*) FROM attempts) AS attempts;

-- name: DeleteIdempotencyKeys :execrows
-- Idempotency-Key records created before the cutoff that are done (their answer is no
-- longer replayed), or still in flight with a lease that ran out (their holder is gone and
-- nobody retried). One in flight under a live lease is in use and stays.
DELETE FROM idempotency_keys WHERE (owner, key) IN (
    SELECT k.owner, k.key FROM idempotency_keys k
    WHERE k.created_at < sqlc.arg('before')::timestamptz
      AND (k.state = 'done' OR k.locked_until < now())
    LIMIT sqlc.arg('max_rows')
    FOR UPDATE SKIP LOCKED);
