-- Stored payment methods: card tokens PlacetoPay issued to a customer (a subscription
-- session, or a payment with subscribe), encrypted at rest; and charges of them
-- (/api/collect) recorded as sessions of kind 'collect'.

-- +goose Up
CREATE TABLE payment_methods (
    id                 uuid PRIMARY KEY,
    customer_reference text NOT NULL CHECK (customer_reference ~ '^[A-Za-z0-9._:-]{1,64}$'),
    -- AES-256-GCM, nonce||ciphertext||tag, with the payment method's id as additional data;
    -- key_id names the GATEWAY_TOKEN_KEY entry that sealed them.
    key_id             text NOT NULL,
    token_sealed       bytea NOT NULL,
    subtoken_sealed    bytea,
    type               text NOT NULL DEFAULT 'token',
    franchise          text,
    franchise_name     text,
    issuer_name        text,
    last_digits        text CHECK (last_digits ~ '^[0-9]{0,4}$'),
    valid_until        text,
    installments       integer,
    -- The session PlacetoPay issued it in: one payment method per session, however often
    -- the session is queried.
    session_id         uuid NOT NULL REFERENCES checkout_sessions (id)
                       CONSTRAINT payment_methods_session_key UNIQUE,
    order_id           uuid NOT NULL REFERENCES orders (id),
    created_at         timestamptz NOT NULL DEFAULT now(),
    deleted_at         timestamptz
);
CREATE INDEX payment_methods_customer_idx ON payment_methods (customer_reference, created_at DESC)
    WHERE deleted_at IS NULL;

-- The customer a subscription or subscribe session stores its instrument for.
ALTER TABLE checkout_sessions ADD COLUMN customer_reference text
    CHECK (customer_reference ~ '^[A-Za-z0-9._:-]{1,64}$');
-- The payment method a collect session charged.
ALTER TABLE checkout_sessions ADD COLUMN payment_method_id uuid REFERENCES payment_methods (id);
ALTER TABLE checkout_sessions DROP CONSTRAINT checkout_sessions_kind_check;
ALTER TABLE checkout_sessions ADD CONSTRAINT checkout_sessions_kind_check
    CHECK (kind IN ('payment', 'checkin', 'subscription', 'autopay', 'collect'));

-- +goose Down
ALTER TABLE checkout_sessions DROP CONSTRAINT checkout_sessions_kind_check;
ALTER TABLE checkout_sessions ADD CONSTRAINT checkout_sessions_kind_check
    CHECK (kind IN ('payment', 'checkin', 'subscription', 'autopay'));
ALTER TABLE checkout_sessions DROP COLUMN payment_method_id;
ALTER TABLE checkout_sessions DROP COLUMN customer_reference;
DROP TABLE payment_methods;
