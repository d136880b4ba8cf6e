-- 5: what WebAuthn Level 3 tells us about a credential (issue #17). discoverable is credProps.rk
-- (NULL: the client did not say); prf_enabled is the PRF extension's result at registration;
-- clone_warning is set by a counter regression under counterPolicy 'flag'; created_by is
-- 'registration', 'conditional' (automatic passkey upgrade) or 'import'; u2f marks a credential
-- imported from FIDO U2F, whose assertions may use the appid extension; user_handle is the user
-- handle an imported credential was created with elsewhere (NULL: the owner's own).
ALTER TABLE kavach_passkey_credentials ADD COLUMN discoverable INTEGER;
ALTER TABLE kavach_passkey_credentials ADD COLUMN prf_enabled INTEGER NOT NULL DEFAULT 0;
ALTER TABLE kavach_passkey_credentials ADD COLUMN clone_warning INTEGER NOT NULL DEFAULT 0;
ALTER TABLE kavach_passkey_credentials ADD COLUMN created_by TEXT NOT NULL DEFAULT 'registration';
ALTER TABLE kavach_passkey_credentials ADD COLUMN u2f INTEGER NOT NULL DEFAULT 0;
ALTER TABLE kavach_passkey_credentials ADD COLUMN user_handle BLOB;
