-- 4: shared rate limits (issue #18, rateLimit.storage 'database'): one token bucket per client
-- key or session, named by a keyed hash (no client addresses are stored). Tokens are scaled by
-- the window length in milliseconds; updated_at is Unix milliseconds.
CREATE TABLE kavach_rate_limits (
    name       BLOB    PRIMARY KEY NOT NULL CHECK (length(name) = 16),
    tokens     INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX kavach_rate_limits_updated_at ON kavach_rate_limits(updated_at);
