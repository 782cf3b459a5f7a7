-- One notification taken in, as POST /webhooks/placetopay stores it (make bench): the
-- statement AcceptNotification of internal/orders, which checks the session's site, stores
-- the notification raw and marks its session, with a body of the same size. The sessions are
-- those flow.sql paid, renumbered 1..:sessions (intakeSetupSQL); each notification is new,
-- dated an hour back, as the load phase's are. One run of this script is one pgbench
-- "transaction"; its rate is the database's ceiling for the intake on this machine.
\set rid random(1, :sessions)
\set n random(1, 9000000000000000)
WITH other AS (
    SELECT 1 FROM checkout_sessions WHERE request_id = :rid AND site <> 'default'
), stored AS (
    INSERT INTO notifications (kind, request_id, internal_reference, reference, status, signature_algorithm, dedupe_key, body)
    SELECT 'checkout', :rid, NULL, 'B' || :rid, 'APPROVED', 'sha256', sha256(('n' || :n)::bytea), convert_to(repeat('n', 280), 'UTF8')
    WHERE NOT EXISTS (SELECT 1 FROM other)
    ON CONFLICT (dedupe_key) DO UPDATE SET duplicates = notifications.duplicates + 1
    RETURNING (xmax = 0) AS inserted
), due AS (
    UPDATE checkout_sessions SET next_check_at = least(next_check_at, now()), notified_at = now()
    WHERE request_id = :rid AND attempt IN ('open', 'closed') AND notified_at IS NULL
      AND (SELECT inserted FROM stored)
      AND (last_checked_at IS NULL OR last_checked_at < now() - interval '1 hour' + interval '1 minute')
    RETURNING id
)
SELECT coalesce((SELECT inserted FROM stored), false) AS inserted, EXISTS (SELECT 1 FROM other) AS other_site;
