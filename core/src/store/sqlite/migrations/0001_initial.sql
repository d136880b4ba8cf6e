-- 1: initial schema (DESIGN §5).
CREATE TABLE kavach_users (
    id                TEXT    PRIMARY KEY NOT NULL,
    email             TEXT    NOT NULL,
    -- trim + Unicode lowercase of email, computed by the engine so that every engine agrees
    -- (SQLite's lower() folds ASCII only).
    email_key         TEXT    NOT NULL UNIQUE,
    name              TEXT,
    webauthn_user_id  BLOB    NOT NULL UNIQUE,
    has_other_sign_in INTEGER NOT NULL DEFAULT 0,
    created_at        INTEGER NOT NULL
);

CREATE TABLE kavach_sessions (
    id           TEXT    PRIMARY KEY NOT NULL,
    token_hash   BLOB    NOT NULL UNIQUE,
    user_id      TEXT    NOT NULL REFERENCES kavach_users(id) ON DELETE CASCADE,
    created_at   INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL,
    last_seen_at INTEGER NOT NULL
);
CREATE INDEX kavach_sessions_expires_at ON kavach_sessions(expires_at);
CREATE INDEX kavach_sessions_user_id ON kavach_sessions(user_id);

CREATE TABLE kavach_passkey_credentials (
    credential_id      BLOB    PRIMARY KEY NOT NULL,
    user_id            TEXT    NOT NULL REFERENCES kavach_users(id) ON DELETE CASCADE,
    name               TEXT    NOT NULL,
    public_key         BLOB    NOT NULL,
    algorithm          INTEGER NOT NULL,
    counter            INTEGER NOT NULL CHECK (counter BETWEEN 0 AND 4294967295),
    aaguid             BLOB    NOT NULL CHECK (length(aaguid) = 16),
    backup_eligible    INTEGER NOT NULL,
    backup_state       INTEGER NOT NULL,
    transports         TEXT    NOT NULL DEFAULT '[]',
    attestation_format TEXT    NOT NULL,
    attestation_trust  TEXT    NOT NULL,
    created_at         INTEGER NOT NULL,
    last_used_at       INTEGER
);
CREATE INDEX kavach_passkey_credentials_user_id ON kavach_passkey_credentials(user_id);

CREATE TABLE kavach_passkey_challenges (
    challenge  TEXT    PRIMARY KEY NOT NULL,
    kind       TEXT    NOT NULL CHECK (kind IN ('registration', 'authentication')),
    user_id    TEXT,
    state      TEXT    NOT NULL,
    expires_at INTEGER NOT NULL
);
CREATE INDEX kavach_passkey_challenges_expires_at ON kavach_passkey_challenges(expires_at);
