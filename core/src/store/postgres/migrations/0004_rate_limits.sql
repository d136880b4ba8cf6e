-- 4: shared rate limits (issue #18, rateLimit.storage 'database'): one token bucket per client
-- key or session, named by a keyed hash (no client addresses are stored). UNLOGGED: no WAL
-- traffic for a counter whose loss in a crash only refunds some requests. Tokens are scaled by
-- the window length in milliseconds; updated_at is Unix milliseconds (instances' clocks).
CREATE UNLOGGED TABLE kavach_rate_limits (
    name       bytea  PRIMARY KEY CHECK (length(name) = 16),
    tokens     bigint NOT NULL,
    updated_at bigint NOT NULL
);
CREATE INDEX kavach_rate_limits_updated_at ON kavach_rate_limits(updated_at);
