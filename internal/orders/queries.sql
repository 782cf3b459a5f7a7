-- name: InsertOrder :one
-- An empty site is the default one.
INSERT INTO orders (id, reference, description, currency, total_minor, buyer, items, return_url, client_secret_hash,
                    amount_taxes, amount_details, site, request_key)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, COALESCE(NULLIF(sqlc.arg(site)::text, ''), 'default'),
        sqlc.narg(request_key))
RETURNING *;

-- name: ReissueOrderForRequest :one
-- The order the request with this key created, its client secret replaced: the request runs
-- again because its first answer, the only place the first secret ever was, was lost.
UPDATE orders SET client_secret_hash = $2
WHERE request_key = $1
RETURNING *;

-- name: GetOrder :one
SELECT * FROM orders WHERE id = $1;

-- name: GetOrderForUpdate :one
SELECT * FROM orders WHERE id = $1 FOR UPDATE;

-- name: ListOrders :many
-- Newest first, keyset-paginated on (created_at, id) so that rows inserted while a client
-- pages can neither repeat nor shift others out of view.
SELECT * FROM orders
WHERE (sqlc.narg('status')::text IS NULL OR status = sqlc.narg('status')::text)
  AND (sqlc.narg('before_created')::timestamptz IS NULL
       OR (created_at, id) < (sqlc.narg('before_created')::timestamptz, sqlc.narg('before_id')::uuid))
ORDER BY created_at DESC, id DESC
LIMIT sqlc.arg('max_rows');

-- name: UpdateOrderStatus :execrows
-- Guarded: changes nothing unless the order is still in the status the caller read.
UPDATE orders SET status = sqlc.arg('to_status'), updated_at = now()
WHERE id = sqlc.arg('id') AND status = sqlc.arg('from_status');

-- name: InsertTimeline :exec
INSERT INTO order_timeline (order_id, session_id, kind, from_status, to_status, provider_status, reason, message, payload)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9);

-- name: ListTimeline :many
SELECT * FROM order_timeline WHERE order_id = $1 ORDER BY id;

-- name: InsertEvent :one
INSERT INTO events (id, type, order_id, data) VALUES ($1, $2, $3, $4) RETURNING *;

-- name: ListOrderEvents :many
SELECT * FROM events WHERE order_id = $1 ORDER BY seq;

-- name: ListSessions :many
SELECT * FROM checkout_sessions WHERE order_id = $1 ORDER BY created_at DESC, id DESC;

-- name: ListPayments :many
SELECT * FROM payments WHERE order_id = $1 ORDER BY created_at DESC, id DESC;

-- name: GetOpenSession :one
SELECT * FROM checkout_sessions
WHERE order_id = $1 AND attempt IN ('creating', 'open')
FOR UPDATE;

-- name: InsertSessionAttempt :one
-- The session is its order's site's.
INSERT INTO checkout_sessions (id, order_id, kind, currency, total_minor, allow_partial, request, expires_at, site)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, (SELECT o.site FROM orders o WHERE o.id = $2))
RETURNING *;

-- name: OpenSession :one
-- Completes an attempt with PlacetoPay's answer and makes it due for its first probe.
UPDATE checkout_sessions
SET attempt = 'open', request_id = $2, process_url = $3, next_check_at = $4, updated_at = now()
WHERE id = $1 AND attempt = 'creating'
RETURNING *;

-- name: AbandonSession :exec
UPDATE checkout_sessions SET attempt = 'abandoned', reason = $2, message = $3, next_check_at = NULL, updated_at = now()
WHERE id = $1 AND attempt = 'creating';

-- name: DeleteSessionAttempt :exec
DELETE FROM checkout_sessions WHERE id = $1 AND attempt = 'creating';

-- name: AbandonStaleAttempts :execrows
-- Attempts whose PlacetoPay call never completed (a crash or a timeout): nobody ever received
-- their processUrl, so nobody can pay them.
UPDATE checkout_sessions SET attempt = 'abandoned', message = 'the attempt did not complete', updated_at = now()
WHERE attempt = 'creating' AND created_at < $1;

-- name: GetSessionByRequestIDForUpdate :one
SELECT * FROM checkout_sessions WHERE request_id = $1 FOR UPDATE;

-- name: GetSessionByRequestID :one
SELECT * FROM checkout_sessions WHERE request_id = $1;

-- name: UpdateSessionState :exec
UPDATE checkout_sessions
SET status = $2, reason = $3, message = $4, attempt = $5, next_check_at = $6, last_checked_at = now(),
    check_failures = 0, unreadable_answers = 0, unknown_since = NULL, updated_at = now()
WHERE id = $1;

-- name: SessionCheckFailed :one
-- A query of the session failed: the next one waits twice as long as the last, from
-- first_retry up to an hour. An answer PlacetoPay sent but the gateway could not read
-- (unreadable) also counts in unreadable_answers; a failure to reach PlacetoPay leaves that
-- count as it is.
UPDATE checkout_sessions
SET check_failures = check_failures + 1,
    unreadable_answers = unreadable_answers + CASE WHEN sqlc.arg('unreadable')::boolean THEN 1 ELSE 0 END,
    next_check_at = sqlc.arg('now')::timestamptz + make_interval(secs => least(
        sqlc.arg('first_retry_seconds')::float8 * power(2, least(check_failures, 30)), 3600)),
    updated_at = now()
WHERE request_id = sqlc.arg('request_id') AND attempt IN ('open', 'closed')
RETURNING id, order_id, check_failures, unreadable_answers, next_check_at;

-- name: MarkSessionUnknown :one
-- PlacetoPay says the session does not exist: it leaves the open slot, so it is never handed
-- out again, and stays checked until it expired before give_up_expired_before (gave_up).
-- first is true only for the call that flagged it.
WITH old AS (
    SELECT c.id, c.unknown_since FROM checkout_sessions c
    WHERE c.request_id = sqlc.arg('request_id') AND c.attempt IN ('open', 'closed')
    FOR UPDATE
)
UPDATE checkout_sessions s
SET unknown_since = coalesce(s.unknown_since, sqlc.arg('now')::timestamptz),
    attempt = CASE WHEN s.attempt = 'open' THEN 'closed' ELSE s.attempt END,
    next_check_at = CASE WHEN s.expires_at < sqlc.arg('give_up_expired_before')::timestamptz THEN NULL ELSE s.next_check_at END,
    updated_at = now()
FROM old WHERE s.id = old.id
RETURNING s.id, s.order_id, (old.unknown_since IS NULL)::boolean AS first, (s.next_check_at IS NULL)::boolean AS gave_up;

-- name: TouchPendingSession :execrows
-- The routine check of a session that is still pending with nothing paid on the order: only
-- its schedule moves. Guarded, so that it changes nothing (0 rows) unless the session, its
-- order and their payments are still as the caller saw them; the caller then applies the
-- answer in full.
UPDATE checkout_sessions s
SET next_check_at = $2, last_checked_at = now(), check_failures = 0, unreadable_answers = 0, unknown_since = NULL, updated_at = now()
WHERE s.id = $1 AND s.kind = 'payment' AND s.attempt = 'open' AND s.status = 'PENDING'
  AND coalesce(s.reason, '') = sqlc.arg('reason')::text
  AND EXISTS (SELECT 1 FROM orders o WHERE o.id = s.order_id AND o.status = 'pending')
  AND NOT EXISTS (SELECT 1 FROM payments p WHERE p.order_id = s.order_id);

-- name: ClaimNotifiedSessions :many
-- Claims sessions a notification asked about, oldest first, before any routine check:
-- skipping those another replica holds, and leased like ClaimDueSessions.
UPDATE checkout_sessions
SET next_check_at = now() + make_interval(secs => sqlc.arg('lease_seconds')::float8), notified_at = NULL
WHERE id IN (
    SELECT id FROM checkout_sessions
    WHERE notified_at IS NOT NULL AND attempt IN ('open', 'closed')
    ORDER BY notified_at
    LIMIT sqlc.arg('max_rows')
    FOR UPDATE SKIP LOCKED)
RETURNING request_id;

-- name: ClaimDueSessions :many
-- Claims sessions due for a check, skipping those another replica holds, and leases them so
-- that a replica that dies mid-check only delays the next one.
UPDATE checkout_sessions SET next_check_at = now() + make_interval(secs => sqlc.arg('lease_seconds')::float8)
WHERE id IN (
    SELECT id FROM checkout_sessions
    WHERE next_check_at <= now() AND attempt IN ('open', 'closed')
    ORDER BY next_check_at
    LIMIT sqlc.arg('max_rows')
    FOR UPDATE SKIP LOCKED)
RETURNING request_id;

-- name: UpsertPayment :one
INSERT INTO payments (id, order_id, session_id, internal_reference, kind, reference, status, reason, message,
    authorization_code, receipt, franchise, payment_method, payment_method_name, issuer_name, last_digits,
    currency, amount_minor, refunded, provider_date)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20)
ON CONFLICT (internal_reference) DO UPDATE
-- Monotonic, so that an answer older than one already applied changes nothing: a settled
-- transaction never goes back to pending, and a refund is never forgotten. A session query
-- that lists a payment known only from a notification confirms it.
SET status = CASE WHEN payments.status IN ('APPROVED', 'REJECTED', 'FAILED', 'REFUNDED')
                   AND EXCLUDED.status IN ('PENDING', 'PENDING_VALIDATION', 'PENDING_CONFIRMATION')
                  THEN payments.status ELSE EXCLUDED.status END,
    reason = EXCLUDED.reason, message = EXCLUDED.message,
    authorization_code = EXCLUDED.authorization_code, receipt = EXCLUDED.receipt,
    franchise = EXCLUDED.franchise, refunded = payments.refunded OR EXCLUDED.refunded,
    provider_date = EXCLUDED.provider_date, confirmed = true, updated_at = now()
-- A payment never moves between orders: one reported under another order's session
-- changes nothing here (no row comes back), and the caller puts both orders in review.
WHERE payments.order_id = EXCLUDED.order_id
RETURNING (xmax = 0) AS inserted;

-- name: PaymentOrder :one
-- The order a payment belongs to.
SELECT order_id FROM payments WHERE internal_reference = $1;

-- name: SetOrderPaid :exec
UPDATE orders SET paid_minor = $2, updated_at = now() WHERE id = $1;

-- name: AcceptNotification :one
-- Stores a verified PlacetoPay notification raw (a duplicate, same dedupe key, only counts)
-- and marks its session for a check ahead of routine ones (ClaimNotifiedSessions), in one
-- statement: one round trip, atomic. Only a new notification marks it, and only when the
-- session was not checked since the notification's date (with a minute's margin for the
-- clocks): a replay, or an old notification of a session already settled, costs no query. A
-- session already marked keeps its place in that queue, so that a burst does not keep
-- pushing it back. A notification received for a site (site not null) that names a session
-- of another site is neither stored nor counted: other_site says so. A session's site never
-- changes, so that read needs no lock.
WITH other AS (
    SELECT 1 FROM checkout_sessions
    WHERE request_id = sqlc.narg('request_id')::bigint AND site <> sqlc.narg('site')::text
), stored AS (
    INSERT INTO notifications (kind, request_id, internal_reference, reference, status, signature_algorithm, dedupe_key, body)
    SELECT sqlc.arg('kind')::text, sqlc.narg('request_id')::bigint, sqlc.narg('internal_reference')::bigint,
        sqlc.narg('reference')::text, sqlc.arg('status')::text, sqlc.arg('signature_algorithm')::text,
        sqlc.arg('dedupe_key')::bytea, sqlc.arg('body')::bytea
    WHERE NOT EXISTS (SELECT 1 FROM other)
    ON CONFLICT (dedupe_key) DO UPDATE SET duplicates = notifications.duplicates + 1
    RETURNING (xmax = 0) AS inserted
), due AS (
    UPDATE checkout_sessions SET next_check_at = least(next_check_at, now()), notified_at = now()
    WHERE request_id = sqlc.narg('request_id')::bigint AND attempt IN ('open', 'closed') AND notified_at IS NULL
      AND (SELECT inserted FROM stored)
      AND (last_checked_at IS NULL OR last_checked_at < sqlc.arg('status_date')::timestamptz + interval '1 minute')
    RETURNING id
)
SELECT coalesce((SELECT inserted FROM stored), false)::bool AS inserted, EXISTS (SELECT 1 FROM other)::bool AS other_site;

-- name: ListOrderSessionsForCheck :many
SELECT request_id FROM checkout_sessions
WHERE order_id = $1 AND request_id IS NOT NULL AND (attempt = 'open' OR next_check_at IS NOT NULL);

-- name: ClaimOrderSessionsForRefresh :many
-- The order's sessions that ListOrderSessionsForCheck lists and that nobody checked in the
-- last every_seconds, stamped as checked now: a browser's trigger (the return page, a
-- refresh with the client secret) on any replica then finds them fresh, so PlacetoPay is
-- queried at most once per session in that span however often shoppers reload. A session
-- another statement holds locked is skipped: that one is checking it.
UPDATE checkout_sessions SET last_checked_at = now()
WHERE id IN (
    SELECT s.id FROM checkout_sessions s
    WHERE s.order_id = sqlc.arg('order_id') AND s.request_id IS NOT NULL AND (s.attempt = 'open' OR s.next_check_at IS NOT NULL)
      AND (s.last_checked_at IS NULL OR s.last_checked_at <= now() - make_interval(secs => sqlc.arg('every_seconds')::float8))
    ORDER BY s.id
    FOR UPDATE SKIP LOCKED)
RETURNING request_id;

-- name: SessionNotified :one
-- Whether PlacetoPay ever sent a notification for the session (the metrics of paid orders).
SELECT EXISTS (SELECT 1 FROM notifications WHERE request_id = @request_id::bigint);
