-- +goose Up
-- Autopay enrolments (PlacetoPay's automatic recurring debits). A row is written before the
-- autopay session is opened; provider_id (PlacetoPay's autopay uuid) is known once the
-- shopper completes the session and the gateway has seen it in a query of its own. Only a
-- masked view of the instrument is kept: never the token.
CREATE TABLE autopays (
    id               uuid PRIMARY KEY,
    reference        text NOT NULL CHECK (length(reference) BETWEEN 1 AND 32),
    description      text NOT NULL,
    charge_type      text NOT NULL CHECK (charge_type IN ('FIXED', 'MINIMUM_BALANCE', 'TOTAL_BALANCE')),
    currency         text CHECK (currency ~ '^[A-Z]{3}$'),
    amount_minor     bigint CHECK (amount_minor > 0),
    due_day          integer CHECK (due_day BETWEEN 1 AND 28),
    recurring        jsonb NOT NULL,
    buyer            jsonb,
    return_url       text NOT NULL,
    status           text NOT NULL DEFAULT 'pending'
                     CHECK (status IN ('pending', 'active', 'cancelled', 'completed', 'failed', 'expired')),
    provider_id      uuid CONSTRAINT autopays_provider_id_key UNIQUE,
    provider_status  text,
    provider_reason  text,
    provider_message text,
    instrument       jsonb,
    last_checked_at  timestamptz,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT autopays_fixed_amount CHECK ((charge_type = 'FIXED') = (amount_minor IS NOT NULL))
);
CREATE INDEX autopays_reference_idx ON autopays (reference, created_at DESC);
CREATE INDEX autopays_created_idx ON autopays (created_at DESC, id DESC);

-- One row per autopay session (CREATE or EDIT) opened at PlacetoPay.
CREATE TABLE autopay_sessions (
    request_id  bigint PRIMARY KEY,
    autopay_id  uuid NOT NULL REFERENCES autopays (id),
    action      text NOT NULL CHECK (action IN ('CREATE', 'EDIT')),
    process_url text NOT NULL,
    status      text NOT NULL DEFAULT 'PENDING',
    reason      text,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX autopay_sessions_autopay_idx ON autopay_sessions (autopay_id, created_at DESC);

-- Charges PlacetoPay made on an autopay, keyed by PlacetoPay's internalReference so that a
-- settlement delivered twice records one charge. 'reported' is what a settlement or webhook
-- said; only the gateway's own /autopay/transactions query moves it to 'approved' or
-- 'failed' ('review' when the query shows an approved charge that does not match the report).
CREATE TABLE autopay_charges (
    id                  uuid PRIMARY KEY,
    provider_autopay_id uuid NOT NULL,
    internal_reference  bigint NOT NULL CONSTRAINT autopay_charges_internal_reference_key UNIQUE,
    status              text NOT NULL CHECK (status IN ('reported', 'approved', 'failed', 'review')),
    provider_status     text,
    provider_reason     text,
    currency            text CHECK (currency ~ '^[A-Z]{3}$'),
    amount_minor        bigint CHECK (amount_minor >= 0),
    authorization_code  text,
    receipt             text,
    franchise           text,
    payment_method      text,
    source              text NOT NULL CHECK (source IN ('settlement', 'webhook')),
    settlement          bytea,
    deliveries          integer NOT NULL DEFAULT 1 CHECK (deliveries >= 1),
    verified_at         timestamptz,
    next_check_at       timestamptz,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX autopay_charges_autopay_idx ON autopay_charges (provider_autopay_id, created_at);
CREATE INDEX autopay_charges_due_idx ON autopay_charges (next_check_at) WHERE status = 'reported';

-- +goose Down
DROP TABLE autopay_charges;
DROP TABLE autopay_sessions;
DROP TABLE autopays;
