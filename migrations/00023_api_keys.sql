-- Merchant API keys kept in the database (beside GATEWAY_API_KEYS): created and revoked
-- with `gateway keys` or the console, each with a scope. The key itself is shown once;
-- the table keeps its public prefix, for lookup, and its SHA-256.

-- +goose Up
CREATE TABLE api_keys (
    id            uuid PRIMARY KEY,
    name          text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 100),
    scope         text NOT NULL CHECK (scope IN ('full', 'read', 'checkout')),
    -- sk_live_ or sk_test_ and the first characters of the random part: what list shows
    -- and what a request's key is looked up by.
    prefix        text NOT NULL CHECK (prefix ~ '^sk_(live|test)_[0-9A-Za-z]{8}$'),
    -- SHA-256 of the whole key.
    hash          bytea NOT NULL CHECK (octet_length(hash) = 32),
    created_at    timestamptz NOT NULL DEFAULT now(),
    created_by    text NOT NULL DEFAULT '',
    revoked_at    timestamptz,
    revoked_by    text,
    revoke_reason text CHECK (char_length(revoke_reason) <= 500),
    -- Updated at most about once a minute per key, not on every request.
    last_used_at  timestamptz,
    CONSTRAINT api_keys_prefix_key UNIQUE (prefix),
    CONSTRAINT api_keys_hash_key UNIQUE (hash)
);

-- `gateway keys create|revoke` is run by whoever holds DATABASE_URL, not by an operator
-- of the console: the audit log names it as the command line.
ALTER TABLE audit_log DROP CONSTRAINT audit_log_actor_kind_check;
ALTER TABLE audit_log ADD CONSTRAINT audit_log_actor_kind_check CHECK (actor_kind IN ('operator', 'api_key', 'cli'));

-- +goose Down
ALTER TABLE audit_log DROP CONSTRAINT audit_log_actor_kind_check;
ALTER TABLE audit_log ADD CONSTRAINT audit_log_actor_kind_check CHECK (actor_kind IN ('operator', 'api_key'));
DROP TABLE api_keys;
