-- 7: the audit log (issue #19, DESIGN §10). One row per security event, written in the
-- transaction of the change it records; removed with its user (users.delete deletes them in its
-- transaction: no foreign key, whose check would cost every sign-in a lookup, and on PostgreSQL a
-- lock of the user's row), or after audit.retentionDays (the sweep takes the oldest ids: ids grow
-- with time, so no index on `at` is needed).
-- A failed sign-in with someone's passkey is aggregated: one row per user, code and window
-- (window_start set, count incremented), so nobody can flood another user's history. The unique
-- index covers those rows only: other rows (window_start NULL) cost it nothing.
CREATE TABLE kavach_events (
    id            INTEGER PRIMARY KEY,
    user_id       TEXT    NOT NULL,
    type          TEXT    NOT NULL,
    at            INTEGER NOT NULL,
    credential_id TEXT,
    session_id    TEXT,
    client        TEXT,
    code          TEXT,
    count         INTEGER NOT NULL DEFAULT 1,
    window_start  INTEGER
);
CREATE INDEX kavach_events_by_user ON kavach_events (user_id, id);
CREATE UNIQUE INDEX kavach_events_window ON kavach_events (user_id, type, code, window_start)
    WHERE window_start IS NOT NULL;
