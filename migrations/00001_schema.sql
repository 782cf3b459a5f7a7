-- The whole product's schema: orders, PlacetoPay sessions and payments, refunds, the raw
-- notification inbox, the order timeline, the events outbox and idempotency keys.
-- Invariants live here as constraints so that no code path can break them.

-- +goose Up
CREATE TABLE orders (
    id                 uuid PRIMARY KEY,
    reference          text NOT NULL CONSTRAINT orders_reference_key UNIQUE
                       CONSTRAINT orders_reference_length CHECK (char_length(reference) BETWEEN 1 AND 32),
    description        text NOT NULL DEFAULT '' CHECK (char_length(description) <= 250),
    currency           text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    total_minor        bigint NOT NULL CHECK (total_minor > 0),
    paid_minor         bigint NOT NULL DEFAULT 0 CHECK (paid_minor >= 0),
    refunded_minor     bigint NOT NULL DEFAULT 0 CHECK (refunded_minor >= 0 AND refunded_minor <= paid_minor),
    status             text NOT NULL DEFAULT 'pending' CHECK (status IN (
                           'pending', 'authorized', 'partially_paid', 'paid', 'failed',
                           'cancelled', 'review', 'partially_refunded', 'refunded')),
    buyer              jsonb,
    items              jsonb NOT NULL DEFAULT '[]',
    return_url         text CHECK (char_length(return_url) <= 255),
    client_secret_hash bytea NOT NULL CHECK (octet_length(client_secret_hash) = 32),
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now()
);
-- Keyset pagination, newest first, with and without a status filter.
CREATE INDEX orders_created_idx ON orders (created_at DESC, id DESC);
CREATE INDEX orders_status_created_idx ON orders (status, created_at DESC, id DESC);

-- One row per attempt to open a PlacetoPay session. The row is written ('creating') before
-- PlacetoPay is called and completed ('open') after, so a crash in between leaves a visible
-- attempt to resolve instead of an unknown session.
CREATE TABLE checkout_sessions (
    id              uuid PRIMARY KEY,
    order_id        uuid NOT NULL REFERENCES orders (id),
    attempt         text NOT NULL DEFAULT 'creating'
                    CHECK (attempt IN ('creating', 'open', 'closed', 'abandoned')),
    kind            text NOT NULL DEFAULT 'payment'
                    CHECK (kind IN ('payment', 'checkin', 'subscription', 'autopay')),
    request_id      bigint CONSTRAINT checkout_sessions_request_id_key UNIQUE,
    process_url     text,
    status          text NOT NULL DEFAULT 'PENDING' CHECK (status IN (
                        'PENDING', 'APPROVED', 'REJECTED', 'APPROVED_PARTIAL', 'PARTIAL_EXPIRED', 'FAILED')),
    reason          text,
    message         text,
    currency        text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    total_minor     bigint NOT NULL CHECK (total_minor >= 0),
    allow_partial   boolean NOT NULL DEFAULT false,
    request         jsonb NOT NULL DEFAULT '{}',
    expires_at      timestamptz NOT NULL,
    next_check_at   timestamptz,
    last_checked_at timestamptz,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT checkout_sessions_open_has_request_id
        CHECK (attempt IN ('creating', 'abandoned') OR request_id IS NOT NULL)
);
-- At most one session per order that a shopper could still pay.
CREATE UNIQUE INDEX checkout_sessions_one_open ON checkout_sessions (order_id)
    WHERE attempt IN ('creating', 'open');
CREATE INDEX checkout_sessions_due_idx ON checkout_sessions (next_check_at)
    WHERE attempt IN ('creating', 'open');

-- PlacetoPay transactions, keyed by their internalReference.
CREATE TABLE payments (
    id                  uuid PRIMARY KEY,
    order_id            uuid NOT NULL REFERENCES orders (id),
    session_id          uuid REFERENCES checkout_sessions (id),
    internal_reference  bigint NOT NULL CONSTRAINT payments_internal_reference_key UNIQUE,
    kind                text NOT NULL DEFAULT 'payment'
                        CHECK (kind IN ('payment', 'checkin', 'recurring', 'collect')),
    reference           text NOT NULL DEFAULT '',
    status              text NOT NULL CHECK (status IN (
                            'APPROVED', 'PENDING', 'PENDING_VALIDATION', 'PENDING_CONFIRMATION',
                            'REJECTED', 'FAILED', 'REFUNDED')),
    reason              text,
    message             text,
    authorization_code  text,
    receipt             text,
    franchise           text,
    payment_method      text,
    payment_method_name text,
    issuer_name         text,
    last_digits         text CHECK (last_digits ~ '^[0-9]{0,4}$'),
    currency            text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    amount_minor        bigint NOT NULL CHECK (amount_minor >= 0),
    refunded            boolean NOT NULL DEFAULT false,
    refunded_minor      bigint NOT NULL DEFAULT 0 CHECK (refunded_minor >= 0 AND refunded_minor <= amount_minor),
    provider_date       timestamptz,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX payments_order_idx ON payments (order_id);

-- The local refund ledger: PlacetoPay's session stays APPROVED after a refund.
CREATE TABLE refunds (
    id                 uuid PRIMARY KEY,
    order_id           uuid NOT NULL REFERENCES orders (id),
    payment_id         uuid NOT NULL REFERENCES payments (id),
    currency           text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    amount_minor       bigint NOT NULL CHECK (amount_minor > 0),
    status             text NOT NULL DEFAULT 'requested'
                       CHECK (status IN ('requested', 'succeeded', 'failed', 'unknown')),
    internal_reference bigint,
    reason             text,
    message            text,
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX refunds_order_idx ON refunds (order_id);

-- Every accepted PlacetoPay notification, raw, exactly as received. dedupe_key recognises
-- duplicates; the body never changes an order by itself.
CREATE TABLE notifications (
    id                  bigserial PRIMARY KEY,
    kind                text NOT NULL DEFAULT 'checkout' CHECK (kind IN ('checkout', 'recurring', 'autopay')),
    request_id          bigint,
    internal_reference  bigint,
    reference           text,
    status              text NOT NULL,
    signature_algorithm text NOT NULL CHECK (signature_algorithm IN ('sha1', 'sha256')),
    dedupe_key          bytea NOT NULL CONSTRAINT notifications_dedupe_key UNIQUE,
    body                bytea NOT NULL,
    duplicates          integer NOT NULL DEFAULT 0 CHECK (duplicates >= 0),
    received_at         timestamptz NOT NULL DEFAULT now(),
    processed_at        timestamptz
);
CREATE INDEX notifications_request_idx ON notifications (request_id);

-- What happened to an order, in order: transitions and every observed provider status with
-- its payload (card data and secrets stripped before it is written).
CREATE TABLE order_timeline (
    id              bigserial PRIMARY KEY,
    order_id        uuid NOT NULL REFERENCES orders (id),
    session_id      uuid REFERENCES checkout_sessions (id),
    kind            text NOT NULL CHECK (kind IN ('created', 'transition', 'provider_status', 'note')),
    from_status     text,
    to_status       text,
    provider_status text,
    reason          text,
    message         text,
    payload         jsonb,
    created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX order_timeline_order_idx ON order_timeline (order_id, id);

-- The outbox. Written in the same transaction as the status change it reports. tx_id lets
-- readers page only over committed history (no event can appear behind a cursor later).
CREATE TABLE events (
    seq             bigserial PRIMARY KEY,
    id              uuid NOT NULL CONSTRAINT events_id_key UNIQUE,
    type            text NOT NULL CHECK (type IN (
                        'order.paid', 'order.partially_paid', 'order.authorized', 'order.failed',
                        'order.cancelled', 'order.review', 'order.refunded')),
    order_id        uuid NOT NULL REFERENCES orders (id),
    data            jsonb NOT NULL,
    tx_id           xid8 NOT NULL DEFAULT pg_current_xact_id(),
    created_at      timestamptz NOT NULL DEFAULT now(),
    delivered_at    timestamptz,
    attempts        integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    next_attempt_at timestamptz
);
CREATE INDEX events_order_idx ON events (order_id);
CREATE INDEX events_undelivered_idx ON events (next_attempt_at) WHERE delivered_at IS NULL;

CREATE TABLE event_deliveries (
    id           bigserial PRIMARY KEY,
    event_seq    bigint NOT NULL REFERENCES events (seq),
    attempted_at timestamptz NOT NULL DEFAULT now(),
    status_code  integer,
    error        text,
    duration_ms  integer NOT NULL CHECK (duration_ms >= 0)
);
CREATE INDEX event_deliveries_event_idx ON event_deliveries (event_seq);

-- Idempotency-Key records, scoped to the API key that used them (by fingerprint, never the key).
-- lock_token names the holder of an in-flight record, so a holder whose lease was taken over
-- cannot settle the record of the one that took it. The stored response (body and headers)
-- is replayed byte for byte for a day; it may include the order's client secret, which is
-- exactly what the first response showed.
CREATE TABLE idempotency_keys (
    owner            text NOT NULL,
    key              text NOT NULL CHECK (char_length(key) BETWEEN 1 AND 255),
    method           text NOT NULL,
    path             text NOT NULL,
    request_hash     bytea NOT NULL CHECK (octet_length(request_hash) = 32),
    state            text NOT NULL DEFAULT 'in_flight' CHECK (state IN ('in_flight', 'done')),
    lock_token       uuid NOT NULL,
    locked_until     timestamptz NOT NULL,
    response_status  integer,
    response_headers jsonb,
    response_body    bytea,
    created_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (owner, key),
    CONSTRAINT idempotency_keys_done_has_response
        CHECK (state = 'in_flight' OR (response_status IS NOT NULL AND response_body IS NOT NULL
                                       AND response_headers IS NOT NULL))
);
CREATE INDEX idempotency_keys_created_idx ON idempotency_keys (created_at);

-- +goose Down
DROP TABLE idempotency_keys;
DROP TABLE event_deliveries;
DROP TABLE events;
DROP TABLE order_timeline;
DROP TABLE notifications;
DROP TABLE refunds;
DROP TABLE payments;
DROP TABLE checkout_sessions;
DROP TABLE orders;
