-- 2: attestation trust anchor (issue #7): the name of the root a verified attestation chain
-- reached; NULL for none/self/unverified and for credentials registered before version 2.
ALTER TABLE kavach_passkey_credentials ADD COLUMN attestation_root TEXT;
