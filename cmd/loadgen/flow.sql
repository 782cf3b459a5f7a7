-- One storefront flow's writes, as the gateway makes them, for pgbench (make bench): the
-- statements of internal/idempotency, internal/orders and internal/webhooks in the same
-- transactions, with rows of the same size. One run of this script is one pgbench
-- "transaction"; its rate is the database's ceiling for flows on this machine.
\set rid random(1, 9000000000000000)
\set iref random(1, 9000000000000000)

-- POST /v1/orders: idempotency claim, the order and its timeline, idempotency completion.
INSERT INTO idempotency_keys (owner, key, method, path, request_hash, lock_token, locked_until)
VALUES ('bench', 'create-' || :rid, 'POST', '/v1/orders', sha256(('c' || :rid)::bytea), gen_random_uuid(), now() + interval '60 seconds')
ON CONFLICT (owner, key) DO NOTHING RETURNING owner;
BEGIN;
INSERT INTO orders (id, reference, description, currency, total_minor, buyer, items, return_url, client_secret_hash)
VALUES (gen_random_uuid(), 'B' || :rid, 'load test order', 'USD', 5990, NULL, '[]', 'https://shop.example/thanks', sha256(('s' || :rid)::bytea))
RETURNING id AS order_id \gset
INSERT INTO order_timeline (order_id, session_id, kind, from_status, to_status) VALUES (:order_id, NULL, 'created', NULL, 'pending');
COMMIT;
UPDATE idempotency_keys SET state = 'done', response_status = 201, response_headers = '{"Content-Type":["application/json"],"Location":["/v1/orders/00000000-0000-0000-0000-000000000000"]}',
  response_body = convert_to(repeat('o', 490), 'UTF8')
WHERE owner = 'bench' AND key = 'create-' || :rid AND state = 'in_flight';

-- POST /v1/orders/{id}/checkout: claim; the attempt under the order lock; PlacetoPay is
-- called between the two transactions; the session opened; completion.
INSERT INTO idempotency_keys (owner, key, method, path, request_hash, lock_token, locked_until)
VALUES ('bench', 'checkout-' || :rid, 'POST', '/v1/orders/x/checkout', sha256(('k' || :rid)::bytea), gen_random_uuid(), now() + interval '60 seconds')
ON CONFLICT (owner, key) DO NOTHING RETURNING owner;
BEGIN;
SELECT id FROM orders WHERE id = :order_id FOR UPDATE;
SELECT id FROM checkout_sessions WHERE order_id = :order_id AND attempt IN ('creating', 'open') FOR UPDATE;
SELECT id FROM checkout_sessions WHERE order_id = :order_id AND kind = 'collect' ORDER BY created_at DESC, id DESC LIMIT 1;
INSERT INTO checkout_sessions (id, order_id, kind, currency, total_minor, allow_partial, request, expires_at)
VALUES (gen_random_uuid(), :order_id, 'payment', 'USD', 5990, false,
  ('{"locale":"es_CO","payment":{"reference":"B' || :rid || '","description":"load test order","amount":{"currency":"USD","total":59.90}},"expiration":"2026-01-01T00:30:00Z","returnUrl":"x"}')::jsonb,
  now() + interval '30 minutes')
RETURNING id AS session_id \gset
COMMIT;
UPDATE checkout_sessions SET attempt = 'open', request_id = :rid, process_url = 'http://127.0.0.1:8090/session/' || :rid || '/0123456789abcdef0123456789abcdef0123456789',
  next_check_at = now() + interval '1 minute', updated_at = now()
WHERE id = :session_id AND attempt = 'creating' RETURNING id;
UPDATE idempotency_keys SET state = 'done', response_status = 201, response_headers = '{"Content-Type":["application/json"]}',
  response_body = convert_to(repeat('s', 180), 'UTF8')
WHERE owner = 'bench' AND key = 'checkout-' || :rid AND state = 'in_flight';

-- POST /webhooks/placetopay: the session's site checked, the notification stored raw and
-- the session marked, in one statement.
WITH other AS (
    SELECT 1 FROM checkout_sessions WHERE request_id = :rid AND site <> 'default'
), stored AS (
    INSERT INTO notifications (kind, request_id, internal_reference, reference, status, signature_algorithm, dedupe_key, body)
    SELECT 'checkout', :rid, NULL, 'B' || :rid, 'APPROVED', 'sha256', sha256(('n' || :rid)::bytea), convert_to(repeat('n', 280), 'UTF8')
    WHERE NOT EXISTS (SELECT 1 FROM other)
    ON CONFLICT (dedupe_key) DO UPDATE SET duplicates = notifications.duplicates + 1
    RETURNING (xmax = 0) AS inserted
), due AS (
    UPDATE checkout_sessions SET next_check_at = least(next_check_at, now()), notified_at = now()
    WHERE request_id = :rid AND attempt IN ('open', 'closed') AND notified_at IS NULL
      AND (SELECT inserted FROM stored)
      AND (last_checked_at IS NULL OR last_checked_at < now() + interval '1 minute')
    RETURNING id
)
SELECT coalesce((SELECT inserted FROM stored), false) AS inserted, EXISTS (SELECT 1 FROM other) AS other_site;

-- The probe claims the notified session (SKIP LOCKED, with a lease) ...
UPDATE checkout_sessions SET next_check_at = now() + interval '60 seconds', notified_at = NULL
WHERE id IN (SELECT id FROM checkout_sessions WHERE notified_at IS NOT NULL AND attempt IN ('open', 'closed')
             ORDER BY notified_at LIMIT 20 FOR UPDATE SKIP LOCKED)
RETURNING request_id;
SELECT id FROM checkout_sessions WHERE request_id = :rid;

-- ... and applies PlacetoPay's answer in one transaction under the order lock: the payment,
-- the session, the order, its timeline and the order.paid event.
BEGIN;
SELECT id FROM orders WHERE id = :order_id FOR UPDATE;
SELECT id FROM checkout_sessions WHERE request_id = :rid FOR UPDATE;
SELECT EXISTS (SELECT 1 FROM notifications WHERE request_id = :rid);
INSERT INTO order_timeline (order_id, session_id, kind, provider_status, payload)
VALUES (:order_id, :session_id, 'provider_status', 'APPROVED', ('{"requestId":' || :rid || ',"status":"APPROVED","reason":"00","message":"' || repeat('m', 380) || '"}')::jsonb);
INSERT INTO payments (id, order_id, session_id, internal_reference, kind, reference, status, reason, message,
    authorization_code, receipt, franchise, payment_method, payment_method_name, issuer_name, last_digits,
    currency, amount_minor, refunded, provider_date)
VALUES (gen_random_uuid(), :order_id, :session_id, :iref, 'payment', 'B' || :rid, 'APPROVED', '00', 'Aprobada',
    '999999', '1234567890', 'visa', 'visa', 'Visa', 'Banco de pruebas', '0081', 'USD', 5990, false, now())
ON CONFLICT (internal_reference) DO UPDATE SET status = EXCLUDED.status, updated_at = now()
WHERE payments.order_id = EXCLUDED.order_id
RETURNING (xmax = 0) AS inserted;
SELECT id FROM payments WHERE order_id = :order_id ORDER BY created_at DESC, id DESC;
SELECT payment_id FROM refunds WHERE order_id = :order_id AND status IN ('requested', 'unknown');
UPDATE checkout_sessions SET status = 'APPROVED', reason = '00', message = 'Aprobada', attempt = 'closed',
  next_check_at = NULL, last_checked_at = now(), check_failures = 0, updated_at = now()
WHERE id = :session_id;
UPDATE orders SET status = 'paid', updated_at = now() WHERE id = :order_id AND status = 'pending';
UPDATE orders SET paid_minor = 5990, updated_at = now() WHERE id = :order_id;
INSERT INTO order_timeline (order_id, session_id, kind, from_status, to_status) VALUES (:order_id, :session_id, 'transition', 'pending', 'paid');
INSERT INTO events (id, type, order_id, data)
VALUES (gen_random_uuid(), 'order.paid', :order_id, ('{"status":"paid","reference":"B' || :rid || '","amount":{"currency":"USD","total":"59.90"},"paidAmount":{"currency":"USD","total":"59.90"}}')::jsonb);
COMMIT;
