-- 6: sessions slide and remember the last passkey check (issue #19). renewed_at is when the
-- expiry was last moved (NULL: never, so created_at); authenticated_at is when a passkey last
-- verified this session's user (a passkey sign-in or a step-up; NULL for sessions.create).
ALTER TABLE kavach_sessions ADD COLUMN renewed_at timestamptz;
ALTER TABLE kavach_sessions ADD COLUMN authenticated_at timestamptz;
