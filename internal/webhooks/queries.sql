-- name: ListEvents :many
-- The events feed, oldest first, after a cursor (tx_id, seq), of one order and of some types
-- when asked (an empty types list is every type).
--
-- seq (a bigserial) is drawn when a row is inserted, not when its transaction commits, so
-- paging on seq alone would skip an event whose transaction drew a lower seq but commits
-- after a higher one was already read. Instead the feed returns only events whose writing
-- transaction is older than every transaction still running (tx_id < the snapshot's xmin):
-- those have all ended, so every event they wrote is visible now, and any event that becomes
-- visible later belongs to a transaction that is still running or not yet started, whose
-- tx_id is at least xmin. Ordered by (tx_id, seq), such an event always sorts after every
-- event already returned: no cursor can ever be passed by a late commit.
SELECT seq, id, type, order_id, autopay_id, data, created_at, tx_id::text::bigint AS tx
FROM events
WHERE (tx_id, seq) > (sqlc.arg('after_tx')::bigint::text::xid8, sqlc.arg('after_seq')::bigint)
  AND tx_id < pg_snapshot_xmin(pg_current_snapshot())
  AND (sqlc.narg('order_id')::uuid IS NULL OR order_id = sqlc.narg('order_id')::uuid)
  AND (coalesce(cardinality(sqlc.arg('types')::text[]), 0) = 0 OR type = ANY(sqlc.arg('types')::text[]))
ORDER BY tx_id, seq
LIMIT sqlc.arg('max_rows');

-- name: ClaimEvents :many
-- Claims up to max_rows due events, oldest first, for one delivery pass: each claimed event
-- gets a lease (next_attempt_at = lease_until) and one more attempt, in one statement, so the
-- claim commits before anything is posted. Concurrent passes (other replicas) skip the rows
-- locked here, then see the lease and leave them alone; a replica that crashes mid-delivery
-- only delays its events until the lease ends. An event waits while an earlier event of
-- the same order (or autopay enrolment) is still pending (delivered in seq order per order
-- and per enrolment), but a failing event holds back nothing else. While an operator has
-- delivery paused (delivery_pauses), nothing is claimed: no replica posts, and no attempt is
-- spent; the pause is read in the claim's own statement, so every replica honours it from
-- its next pass.
WITH due AS MATERIALIZED (
    SELECT e.seq FROM events e
    WHERE e.delivered_at IS NULL AND e.failed_at IS NULL
      AND NOT EXISTS (SELECT 1 FROM delivery_pauses WHERE resumed_at IS NULL)
      AND (e.next_attempt_at IS NULL OR e.next_attempt_at <= sqlc.arg('now')::timestamptz)
      AND NOT EXISTS (
          SELECT 1 FROM events p
          WHERE p.order_id = e.order_id AND p.seq < e.seq
            AND p.delivered_at IS NULL AND p.failed_at IS NULL)
      AND NOT EXISTS (
          SELECT 1 FROM events p
          WHERE p.autopay_id = e.autopay_id AND p.seq < e.seq
            AND p.delivered_at IS NULL AND p.failed_at IS NULL)
    ORDER BY e.seq
    LIMIT sqlc.arg('max_rows')
    FOR UPDATE OF e SKIP LOCKED
)
UPDATE events SET next_attempt_at = sqlc.arg('lease_until')::timestamptz, attempts = events.attempts + 1
FROM due
WHERE events.seq = due.seq
RETURNING events.seq, events.id, events.type, events.order_id, events.autopay_id, events.data, events.created_at, events.attempts;

-- name: InsertAttempt :exec
-- One delivery attempt: the merchant's status code, or what went wrong, never a secret.
INSERT INTO event_deliveries (event_seq, attempted_at, status_code, error, duration_ms)
VALUES ($1, $2, $3, $4, $5);

-- name: MarkDelivered :execrows
UPDATE events SET delivered_at = sqlc.arg('at')::timestamptz, next_attempt_at = NULL
WHERE seq = sqlc.arg('seq') AND delivered_at IS NULL;

-- name: Reschedule :execrows
-- Sets the next attempt of an event still held by this claim: attempts is unchanged only if
-- no other replica claimed the event after this one's lease ran out.
UPDATE events SET next_attempt_at = sqlc.arg('next_attempt_at')::timestamptz
WHERE seq = sqlc.arg('seq') AND attempts = sqlc.arg('attempts')
  AND delivered_at IS NULL AND failed_at IS NULL;

-- name: GiveUp :execrows
UPDATE events SET failed_at = sqlc.arg('at')::timestamptz, next_attempt_at = NULL
WHERE seq = sqlc.arg('seq') AND attempts = sqlc.arg('attempts')
  AND delivered_at IS NULL AND failed_at IS NULL;

-- name: PausedSeconds :one
-- How long merchant delivery was paused between from and until, in seconds: the time the
-- give-up clock of an event created at from does not count.
SELECT coalesce(sum(extract(epoch FROM
        least(coalesce(resumed_at, sqlc.arg('until')::timestamptz), sqlc.arg('until')::timestamptz)
        - greatest(paused_at, sqlc.arg('from')::timestamptz))), 0)::float8 AS seconds
FROM delivery_pauses
WHERE paused_at < sqlc.arg('until')::timestamptz
  AND (resumed_at IS NULL OR resumed_at > sqlc.arg('from')::timestamptz);

-- name: DeletedUpTo :one
-- The furthest feed position whose event the retention deleted (internal/retention); no row
-- before the first deletion.
SELECT tx_id::text::bigint AS tx, seq FROM events_retention;
