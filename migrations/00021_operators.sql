-- The operator console: the people (and their scripts) who look after payments, their
-- console sessions, and the append-only audit log of everything done to an order by an
-- operator or through the merchant API.

-- +goose Up
CREATE TABLE operators (
    id                   uuid PRIMARY KEY,
    email                text NOT NULL CHECK (email = lower(email) AND char_length(email) BETWEEN 3 AND 254),
    role                 text NOT NULL CHECK (role IN ('viewer', 'support', 'admin')),
    -- argon2id, PHC string ($argon2id$v=19$m=…,t=…,p=…$salt$hash); null until enrolled.
    password_hash        text,
    -- The TOTP secret, sealed with GATEWAY_TOKEN_KEY; null when the operator has no second factor.
    totp_secret          bytea,
    totp_key_id          text CHECK ((totp_secret IS NULL) = (totp_key_id IS NULL)),
    -- SHA-256 of the one-time enrollment token, and until when it may be used.
    enrollment_hash      bytea CHECK (octet_length(enrollment_hash) = 32),
    enrollment_expires   timestamptz,
    -- SHA-256 of the operator's API token (op_…).
    api_token_hash       bytea NOT NULL CHECK (octet_length(api_token_hash) = 32),
    disabled_at          timestamptz,
    failed_attempts      integer NOT NULL DEFAULT 0 CHECK (failed_attempts >= 0),
    locked_until         timestamptz,
    created_at           timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT operators_email_key UNIQUE (email),
    CONSTRAINT operators_api_token_hash_key UNIQUE (api_token_hash),
    CONSTRAINT operators_enrollment_hash_key UNIQUE (enrollment_hash)
);

-- A console session: the cookie holds a random token, the table only its SHA-256.
CREATE TABLE operator_sessions (
    id_hash     bytea PRIMARY KEY CHECK (octet_length(id_hash) = 32),
    operator_id uuid NOT NULL REFERENCES operators (id),
    csrf_hash   bytea NOT NULL CHECK (octet_length(csrf_hash) = 32),
    expires_at  timestamptz NOT NULL,
    ip          text NOT NULL DEFAULT '',
    user_agent  text NOT NULL DEFAULT '' CHECK (char_length(user_agent) <= 512),
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX operator_sessions_operator_idx ON operator_sessions (operator_id);

-- Who did what to which order, when, from where, why, and what changed. Never updated or
-- deleted: the trigger below refuses both.
CREATE TABLE audit_log (
    id         bigserial PRIMARY KEY,
    at         timestamptz NOT NULL DEFAULT now(),
    actor_kind text NOT NULL CHECK (actor_kind IN ('operator', 'api_key')),
    actor_id   text NOT NULL,
    actor_name text NOT NULL DEFAULT '',
    ip         text NOT NULL DEFAULT '',
    action     text NOT NULL CHECK (action ~ '^[a-z_.]{1,40}$'),
    order_id   uuid,
    target     text NOT NULL DEFAULT '',
    reason     text NOT NULL DEFAULT '' CHECK (char_length(reason) <= 500),
    before     jsonb,
    after      jsonb
);
CREATE INDEX audit_log_order_idx ON audit_log (order_id, id) WHERE order_id IS NOT NULL;
CREATE INDEX audit_log_at_idx ON audit_log (at);

-- +goose StatementBegin
CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
END;
$$;
-- +goose StatementEnd
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();

-- +goose Down
DROP TABLE audit_log;
DROP FUNCTION audit_log_append_only();
DROP TABLE operator_sessions;
DROP TABLE operators;
