-- 1: initial schema (DESIGN §5).
CREATE TABLE kavach_users (
    id                text        PRIMARY KEY,
    email             text        NOT NULL,
    -- trim + Unicode lowercase of email, computed by kavach so that every engine agrees.
    email_key         text        NOT NULL CONSTRAINT kavach_users_email_key_unique UNIQUE,
    name              text,
    webauthn_user_id  bytea       NOT NULL UNIQUE,
    has_other_sign_in boolean     NOT NULL DEFAULT false,
    created_at        timestamptz NOT NULL
);

CREATE TABLE kavach_sessions (
    id           text        PRIMARY KEY,
    token_hash   bytea       NOT NULL UNIQUE CHECK (length(token_hash) = 32),
    user_id      text        NOT NULL REFERENCES kavach_users(id) ON DELETE CASCADE,
    created_at   timestamptz NOT NULL,
    expires_at   timestamptz NOT NULL,
    last_seen_at timestamptz NOT NULL
);
CREATE INDEX kavach_sessions_expires_at ON kavach_sessions(expires_at);
CREATE INDEX kavach_sessions_user_id ON kavach_sessions(user_id);

CREATE TABLE kavach_passkey_credentials (
    credential_id      bytea       CONSTRAINT kavach_passkey_credentials_pkey PRIMARY KEY,
    user_id            text        NOT NULL REFERENCES kavach_users(id) ON DELETE CASCADE,
    name               text        NOT NULL,
    public_key         bytea       NOT NULL,
    algorithm          bigint      NOT NULL,
    counter            bigint      NOT NULL CHECK (counter BETWEEN 0 AND 4294967295),
    aaguid             bytea       NOT NULL CHECK (length(aaguid) = 16),
    backup_eligible    boolean     NOT NULL,
    backup_state       boolean     NOT NULL,
    transports         text[]      NOT NULL DEFAULT '{}',
    attestation_format text        NOT NULL,
    attestation_trust  text        NOT NULL,
    created_at         timestamptz NOT NULL,
    last_used_at       timestamptz,
    -- Insertion order, to list credentials created in the same millisecond newest first.
    seq                bigint      GENERATED ALWAYS AS IDENTITY
);
CREATE INDEX kavach_passkey_credentials_user_id ON kavach_passkey_credentials(user_id);

CREATE TABLE kavach_passkey_challenges (
    challenge  text        PRIMARY KEY,
    kind       text        NOT NULL CHECK (kind IN ('registration', 'authentication')),
    user_id    text,
    state      text        NOT NULL,
    expires_at timestamptz NOT NULL
);
CREATE INDEX kavach_passkey_challenges_expires_at ON kavach_passkey_challenges(expires_at);
