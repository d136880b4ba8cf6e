-- 3: stateless challenges (issue #14): single use by a consumed-nonce table (logged: a crash
-- must not forget which challenges were used); instance keys; attestation facts. The
-- challenge table of versions 1-2 is no longer written; it stays for a rolling deploy.
CREATE TABLE kavach_consumed_challenges (
    nonce      bytea       PRIMARY KEY CHECK (length(nonce) = 16),
    keep_until timestamptz NOT NULL
);
CREATE INDEX kavach_consumed_challenges_keep_until ON kavach_consumed_challenges(keep_until);

CREATE TABLE kavach_keys (
    purpose    text        PRIMARY KEY,
    key        bytea       NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);

ALTER TABLE kavach_passkey_credentials ADD COLUMN attestation_source text;
ALTER TABLE kavach_passkey_credentials ADD COLUMN aaguid_attested boolean NOT NULL DEFAULT false;
