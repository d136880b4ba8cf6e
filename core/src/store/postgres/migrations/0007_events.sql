-- 7: the audit log (issue #19, DESIGN §10). One row per security event, written in the
-- transaction of the change it records; removed with its user, or after audit.retentionDays.
-- A failed sign-in with someone's passkey is aggregated: one row per user, code and window
-- (window_start set, count incremented), so nobody can flood another user's history. Other rows
-- have window_start NULL, which the unique index never compares equal.
CREATE TABLE kavach_events (
    id            bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id       text        NOT NULL REFERENCES kavach_users(id) ON DELETE CASCADE,
    type          text        NOT NULL,
    at            timestamptz NOT NULL,
    credential_id text,
    session_id    text,
    client        text,
    code          text,
    count         bigint      NOT NULL DEFAULT 1,
    window_start  timestamptz
);
CREATE INDEX kavach_events_by_user ON kavach_events (user_id, id);
CREATE INDEX kavach_events_by_time ON kavach_events (at);
CREATE UNIQUE INDEX kavach_events_window ON kavach_events (user_id, type, code, window_start);
