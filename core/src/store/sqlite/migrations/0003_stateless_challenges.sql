-- 3: stateless challenges (issue #14): single use by a consumed-nonce table; instance keys
-- (the anti-enumeration key, which must outlive secret rotation); attestation facts. The
-- challenge table of versions 1-2 is no longer written; it stays (unused) so that instances of
-- the previous version can run beside this one during a rolling deploy.
CREATE TABLE kavach_consumed_challenges (
    nonce      BLOB    PRIMARY KEY NOT NULL CHECK (length(nonce) = 16),
    keep_until INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX kavach_consumed_challenges_keep_until ON kavach_consumed_challenges(keep_until);

CREATE TABLE kavach_keys (
    purpose    TEXT    PRIMARY KEY NOT NULL,
    key        BLOB    NOT NULL,
    created_at INTEGER NOT NULL
);

ALTER TABLE kavach_passkey_credentials ADD COLUMN attestation_source TEXT;
ALTER TABLE kavach_passkey_credentials ADD COLUMN aaguid_attested INTEGER NOT NULL DEFAULT 0;
