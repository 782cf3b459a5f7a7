-- Merchant webhook endpoints kept in the database (beside MERCHANT_WEBHOOK_URL, the default
-- endpoint, whose delivery is unchanged): each with its URL, the event types it wants, its
-- own signing secrets and its own delivery queue, so that one endpoint failing never holds
-- back another. Managed with `gateway endpoints` and /admin/api/endpoints.

-- +goose Up
CREATE TABLE webhook_endpoints (
    id              uuid PRIMARY KEY,
    url             text NOT NULL CHECK (url ~ '^https?://' AND char_length(url) <= 2000),
    -- The event types delivered to it; empty: every type.
    event_types     text[] NOT NULL DEFAULT '{}',
    created_at      timestamptz NOT NULL,
    created_by      text NOT NULL DEFAULT '',
    -- Disabled by an operator, or automatically (disabled_auto) after failing for the
    -- configured span: nothing is posted to it until it is enabled again; its deliveries wait.
    disabled_at     timestamptz,
    disabled_reason text CHECK (char_length(disabled_reason) <= 500),
    disabled_auto   boolean NOT NULL DEFAULT false,
    -- When its current run of failed attempts began; null after a delivered one.
    failing_since   timestamptz,
    CHECK ((disabled_at IS NULL) = (disabled_reason IS NULL)),
    CHECK (disabled_at IS NOT NULL OR NOT disabled_auto)
);

-- An endpoint's signing secrets (whsec_ and base64 of 32 random bytes), sealed with the
-- token key ring (GATEWAY_TOKEN_KEY) named by key_id. Every secret not expired signs each
-- delivery: after a rotation the old one keeps signing until expires_at (the overlap), so
-- the merchant can switch its verifier without losing an event.
CREATE TABLE webhook_endpoint_secrets (
    id          bigserial PRIMARY KEY,
    endpoint_id uuid NOT NULL REFERENCES webhook_endpoints (id),
    secret      bytea NOT NULL,
    key_id      text NOT NULL,
    created_at  timestamptz NOT NULL,
    expires_at  timestamptz
);
CREATE INDEX webhook_endpoint_secrets_endpoint_idx ON webhook_endpoint_secrets (endpoint_id);

-- One row per event and endpoint: the endpoint's queue. attempt_log keeps every attempt
-- (time, status or error, milliseconds), the last_* columns the latest. subject is the
-- event's order or autopay enrolment: an endpoint gets a subject's events in their order.
CREATE TABLE endpoint_deliveries (
    id              bigserial PRIMARY KEY,
    endpoint_id     uuid NOT NULL REFERENCES webhook_endpoints (id),
    event_seq       bigint NOT NULL REFERENCES events (seq) ON DELETE CASCADE,
    subject         uuid NOT NULL,
    status          text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered')),
    attempts        integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    next_attempt_at timestamptz NOT NULL,
    created_at      timestamptz NOT NULL,
    delivered_at    timestamptz,
    last_attempt_at timestamptz,
    last_status     integer,
    last_error      text,
    last_latency_ms integer,
    attempt_log     jsonb NOT NULL DEFAULT '[]',
    CONSTRAINT endpoint_deliveries_once UNIQUE (endpoint_id, event_seq)
);
CREATE INDEX endpoint_deliveries_pending_idx ON endpoint_deliveries (endpoint_id, event_seq) WHERE status = 'pending';
CREATE INDEX endpoint_deliveries_subject_idx ON endpoint_deliveries (endpoint_id, subject, event_seq) WHERE status = 'pending';
CREATE INDEX endpoint_deliveries_event_idx ON endpoint_deliveries (event_seq);

-- How far the fan-out has read the events feed, in its (tx_id, seq) order: one row, locked
-- by the replica fanning out, so that each event is queued for the endpoints exactly once.
-- It starts at the newest event: endpoints get events written after they exist (replay
-- queues older ones).
CREATE TABLE endpoint_fanout (
    only_row boolean PRIMARY KEY DEFAULT true CHECK (only_row),
    tx_id    bigint NOT NULL,
    seq      bigint NOT NULL
);
INSERT INTO endpoint_fanout (tx_id, seq)
SELECT coalesce(max(tx_id::text::bigint), 0), coalesce(max(seq), 0) FROM events;

-- +goose Down
DROP TABLE endpoint_fanout;
DROP TABLE endpoint_deliveries;
DROP TABLE webhook_endpoint_secrets;
DROP TABLE webhook_endpoints;
