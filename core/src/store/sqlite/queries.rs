//! The SQLite statements: the [`Store`] methods, the [`Statements`] the shared units run, and
//! how a result row's columns are read.

use rusqlite::{Connection, Params, Row, Transaction, ffi, params};

use super::migrations::unix_millis;
use super::{Durability, SWEEP_PER_INSERT, SqliteStore, TOUCH_INTERVAL_MS};
use crate::error::{Error, Result};
use crate::events::Event;
use crate::store::EVENT_SWEEP;
use crate::store::records::{
    CREDENTIAL_COLUMNS, Columns, EVENT_COLUMNS, SESSION_COLUMNS, USER_COLUMNS, bad_row, credential_from, event_from,
    session_from, user_from,
};
use crate::store::units::{self, Statements};
use crate::store::{
    Audit, ChallengeUse, CredentialDescriptorRecord, CredentialRecord, DeleteOutcome, InsertOutcome, RateLimitKey,
    RateLimitOutcome, RateLimitSpend, SessionRecord, SignInOutcome, SignInUpdate, Store, StoredEvent,
    UserInsertOutcome, UserRecord, UserUpdate, UserUpdateOutcome, email_key,
};

/// A result row; integers are what SQLite stores for booleans and times.
struct SqliteRow<'a, 'r>(&'a Row<'r>);

impl Columns for SqliteRow<'_, '_> {
    fn text(&self, i: usize) -> Result<String> {
        Ok(self.0.get(i)?)
    }
    fn opt_text(&self, i: usize) -> Result<Option<String>> {
        Ok(self.0.get(i)?)
    }
    fn bytes(&self, i: usize) -> Result<Vec<u8>> {
        Ok(self.0.get(i)?)
    }
    fn opt_bytes(&self, i: usize) -> Result<Option<Vec<u8>>> {
        Ok(self.0.get(i)?)
    }
    fn int(&self, i: usize) -> Result<i64> {
        Ok(self.0.get(i)?)
    }
    fn flag(&self, i: usize) -> Result<bool> {
        Ok(self.0.get(i)?)
    }
    fn opt_flag(&self, i: usize) -> Result<Option<bool>> {
        Ok(self.0.get(i)?)
    }
    fn time(&self, i: usize) -> Result<i64> {
        Ok(self.0.get(i)?)
    }
    fn opt_time(&self, i: usize) -> Result<Option<i64>> {
        Ok(self.0.get(i)?)
    }
    /// Transports are a JSON array in text.
    fn strings(&self, i: usize) -> Result<Vec<String>> {
        let text: String = self.0.get(i)?;
        serde_json::from_str(&text).map_err(|e| bad_row(format_args!("column {i}: {e}")))
    }
}

/// The first row of `sql` mapped by `map`, if any.
fn one<T>(
    conn: &Connection,
    sql: &str,
    params: impl Params,
    map: impl FnOnce(&SqliteRow<'_, '_>) -> Result<T>,
) -> Result<Option<T>> {
    let mut statement = conn.prepare_cached(sql)?;
    let mut rows = statement.query(params)?;
    rows.next()?.map(|row| map(&SqliteRow(row))).transpose()
}

/// Every row of `sql` mapped by `map`.
fn all<T>(
    conn: &Connection,
    sql: &str,
    params: impl Params,
    mut map: impl FnMut(&SqliteRow<'_, '_>) -> Result<T>,
) -> Result<Vec<T>> {
    let mut statement = conn.prepare_cached(sql)?;
    let mut rows = statement.query(params)?;
    let mut out = Vec::new();
    while let Some(row) = rows.next()? {
        out.push(map(&SqliteRow(row))?);
    }
    Ok(out)
}

/// Whether `sql` returns a row.
fn exists(conn: &Connection, sql: &str, params: impl Params) -> Result<bool> {
    Ok(conn.prepare_cached(sql)?.exists(params)?)
}

/// The extended result code of a constraint violation, if `err` is one.
fn constraint_code(err: &rusqlite::Error) -> Option<i32> {
    match err {
        rusqlite::Error::SqliteFailure(e, _) if e.code == ffi::ErrorCode::ConstraintViolation => Some(e.extended_code),
        _ => None,
    }
}

/// Deletes at most `limit` expired consumed-challenge records (bounded, by the keep_until index).
fn sweep_challenges(conn: &Connection, now: i64, limit: u32) -> Result<u64> {
    let sql = "DELETE FROM kavach_consumed_challenges WHERE nonce IN \
               (SELECT nonce FROM kavach_consumed_challenges WHERE keep_until <= ?1 LIMIT ?2)";
    Ok(conn.prepare_cached(sql)?.execute(params![now, limit])? as u64)
}

/// Deletes at most `limit` rate-limit buckets idle since `idle_before` (full: nothing is lost).
fn sweep_buckets(conn: &Connection, idle_before: i64, limit: u32) -> Result<u64> {
    let sql = "DELETE FROM kavach_rate_limits WHERE name IN \
               (SELECT name FROM kavach_rate_limits WHERE updated_at <= ?1 LIMIT ?2)";
    Ok(conn.prepare_cached(sql)?.execute(params![idle_before, limit])? as u64)
}

/// Deletes at most `limit` expired sessions (bounded, by the expires_at index).
fn sweep_sessions(conn: &Connection, now: i64, limit: u32) -> Result<u64> {
    let sql = "DELETE FROM kavach_sessions WHERE rowid IN \
               (SELECT rowid FROM kavach_sessions WHERE expires_at <= ?1 LIMIT ?2)";
    Ok(conn.prepare_cached(sql)?.execute(params![now, limit])? as u64)
}

impl Statements for Transaction<'_> {
    fn insert_event_rows(&mut self, events: &[Event], expire_before: i64) -> Result<()> {
        if expire_before > i64::MIN {
            // The oldest ids are the oldest events (an aggregated row keeps its first id and only
            // moves `at` forward, so it is never swept early).
            let sweep = "DELETE FROM kavach_events WHERE id IN (SELECT id FROM kavach_events ORDER BY id LIMIT ?2) \
                         AND at < ?1";
            self.prepare_cached(sweep)?.execute(params![expire_before, EVENT_SWEEP])?;
        }
        let sql = "INSERT INTO kavach_events (user_id, type, at, credential_id, session_id, client, code, count) \
                   VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)";
        let mut insert = self.prepare_cached(sql)?;
        for event in events {
            insert.execute(params![
                event.user_id,
                event.kind.as_str(),
                event.at,
                event.credential_id,
                event.session_id,
                event.client,
                event.code,
                i64::try_from(event.count).unwrap_or(i64::MAX),
            ])?;
        }
        Ok(())
    }

    fn delete_session_row(&mut self, session_id: &str) -> Result<Option<String>> {
        one(self, "DELETE FROM kavach_sessions WHERE id = ?1 RETURNING user_id", params![session_id], |row| row.text(0))
    }

    fn delete_session_rows(&mut self, user_id: &str, only: Option<&str>, except: Option<&str>) -> Result<u64> {
        let sql = "DELETE FROM kavach_sessions WHERE user_id = ?1 AND (?2 IS NULL OR id = ?2) \
                   AND (?3 IS NULL OR id <> ?3)";
        Ok(self.prepare_cached(sql)?.execute(params![user_id, only, except])? as u64)
    }

    fn renew_session_row(&mut self, session_id: &str, expires_at: i64, now: i64) -> Result<bool> {
        // Never a session that is gone or expired (revoked sessions are deleted), never backwards.
        let sql = "UPDATE kavach_sessions SET expires_at = ?2, renewed_at = ?3 \
                   WHERE id = ?1 AND expires_at > ?3 AND expires_at < ?2";
        Ok(self.prepare_cached(sql)?.execute(params![session_id, expires_at, now])? > 0)
    }

    fn rename_credential_row(
        &mut self,
        user_id: &str,
        credential_id: &[u8],
        name: &str,
    ) -> Result<Option<CredentialRecord>> {
        let sql = format!(
            "UPDATE kavach_passkey_credentials SET name = ?3 WHERE user_id = ?1 AND credential_id = ?2 \
             RETURNING {CREDENTIAL_COLUMNS}"
        );
        one(self, &sql, params![user_id, credential_id, name], |row| credential_from(row))
    }

    fn email_taken_by_other(&mut self, email_key: &str, user_id: &str) -> Result<bool> {
        exists(self, "SELECT 1 FROM kavach_users WHERE email_key = ?1 AND id <> ?2", params![email_key, user_id])
    }

    /// Writes are serialized (`BEGIN IMMEDIATE`): the check before it saw every committed email.
    fn update_user_row(&mut self, user_id: &str, update: &UserUpdate<'_>) -> Result<UserUpdateOutcome> {
        let sql = format!(
            "UPDATE kavach_users SET email = coalesce(?2, email), email_key = coalesce(?3, email_key), \
             name = CASE WHEN ?4 THEN ?5 ELSE name END WHERE id = ?1 RETURNING {USER_COLUMNS}"
        );
        let (email, key) = update.email.unzip();
        let updated =
            one(self, &sql, params![user_id, email, key, update.name.is_some(), update.name.flatten()], |row| {
                user_from(row, 0)
            })?;
        Ok(updated.map_or(UserUpdateOutcome::NotFound, UserUpdateOutcome::Updated))
    }

    fn consume_challenge(&mut self, challenge: &ChallengeUse<'_>, now: i64) -> Result<bool> {
        sweep_challenges(self, now, SWEEP_PER_INSERT)?;
        if challenge.keep_until <= now {
            return Ok(false);
        }
        let sql = "INSERT INTO kavach_consumed_challenges (nonce, keep_until) VALUES (?1, ?2) ON CONFLICT DO NOTHING";
        Ok(self.prepare_cached(sql)?.execute(params![&challenge.nonce[..], challenge.keep_until])? == 1)
    }

    fn email_taken(&mut self, email_key: &str) -> Result<bool> {
        exists(self, "SELECT 1 FROM kavach_users WHERE email_key = ?1", params![email_key])
    }

    /// Writes are serialized (`BEGIN IMMEDIATE`): the check before it saw every committed email.
    fn insert_user_row(&mut self, user: &UserRecord, email_key: &str) -> Result<bool> {
        let sql = format!("INSERT INTO kavach_users ({USER_COLUMNS}, email_key) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)");
        self.prepare_cached(&sql)?.execute(params![
            user.id,
            user.email,
            user.name,
            user.webauthn_user_id,
            user.has_other_sign_in,
            user.created_at,
            email_key
        ])?;
        Ok(true)
    }

    fn insert_credential_row(&mut self, credential: &CredentialRecord) -> Result<bool> {
        let transports = serde_json::to_string(&credential.transports).map_err(Error::internal)?;
        let sql = format!(
            "INSERT INTO kavach_passkey_credentials ({CREDENTIAL_COLUMNS}) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23)"
        );
        let inserted = self.prepare_cached(&sql)?.execute(params![
            credential.credential_id,
            credential.user_id,
            credential.name,
            credential.public_key,
            credential.algorithm,
            credential.counter,
            &credential.aaguid[..],
            credential.backup_eligible,
            credential.backup_state,
            transports,
            credential.attestation_format,
            credential.attestation_trust,
            credential.created_at,
            credential.last_used_at,
            credential.attestation_root,
            credential.attestation_source,
            credential.aaguid_attested,
            credential.discoverable,
            credential.prf_enabled,
            credential.clone_warning,
            credential.created_by.as_str(),
            credential.u2f,
            credential.user_handle
        ]);
        match inserted {
            Ok(_) => Ok(true),
            // credential_id is the table's only PRIMARY KEY / UNIQUE constraint.
            Err(e)
                if matches!(
                    constraint_code(&e),
                    Some(ffi::SQLITE_CONSTRAINT_PRIMARYKEY | ffi::SQLITE_CONSTRAINT_UNIQUE)
                ) =>
            {
                Ok(false)
            }
            Err(e) => Err(e.into()),
        }
    }

    fn move_counter(&mut self, update: &SignInUpdate<'_>) -> Result<bool> {
        let sql = "UPDATE kavach_passkey_credentials SET counter = ?3, backup_state = ?4, last_used_at = ?5, \
                   clone_warning = clone_warning OR ?6 WHERE credential_id = ?1 AND counter = ?2";
        let changed = self.prepare_cached(sql)?.execute(params![
            update.credential_id,
            update.expected_counter,
            update.new_counter,
            update.backup_state,
            update.now,
            update.clone_warning
        ])?;
        Ok(changed > 0)
    }

    fn credential_exists(&mut self, credential_id: &[u8]) -> Result<bool> {
        exists(self, "SELECT 1 FROM kavach_passkey_credentials WHERE credential_id = ?1", params![credential_id])
    }

    fn mark_session_authenticated(&mut self, session_id: &str, now: i64) -> Result<bool> {
        let sql = "UPDATE kavach_sessions SET authenticated_at = ?2 WHERE id = ?1 AND expires_at > ?2";
        Ok(self.prepare_cached(sql)?.execute(params![session_id, now])? > 0)
    }

    fn insert_session_row(&mut self, session: &SessionRecord) -> Result<()> {
        sweep_sessions(self, session.created_at, SWEEP_PER_INSERT)?;
        let sql = format!("INSERT INTO kavach_sessions ({SESSION_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)");
        self.prepare_cached(&sql)?.execute(params![
            session.id,
            &session.token_hash[..],
            session.user_id,
            session.created_at,
            session.expires_at,
            session.last_seen_at,
            session.renewed_at,
            session.authenticated_at
        ])?;
        Ok(())
    }

    /// Every write holds SQLite's write lock (`BEGIN IMMEDIATE`): nothing more to take.
    fn lock_user(&mut self, user_id: &str) -> Result<bool> {
        exists(self, "SELECT 1 FROM kavach_users WHERE id = ?1", params![user_id])
    }

    fn owns_credential(&mut self, user_id: &str, credential_id: &[u8]) -> Result<bool> {
        let sql = "SELECT 1 FROM kavach_passkey_credentials WHERE user_id = ?1 AND credential_id = ?2";
        exists(self, sql, params![user_id, credential_id])
    }

    fn count_credentials(&mut self, user_id: &str) -> Result<i64> {
        let sql = "SELECT count(*) FROM kavach_passkey_credentials WHERE user_id = ?1";
        Ok(self.prepare_cached(sql)?.query_row(params![user_id], |row| row.get(0))?)
    }

    fn delete_credential_row(&mut self, user_id: &str, credential_id: &[u8]) -> Result<()> {
        let sql = "DELETE FROM kavach_passkey_credentials WHERE user_id = ?1 AND credential_id = ?2";
        self.prepare_cached(sql)?.execute(params![user_id, credential_id])?;
        Ok(())
    }

    /// The transaction holds SQLite's write lock (`BEGIN IMMEDIATE`): reading is locking.
    fn lock_buckets(
        &mut self,
        keys: &[RateLimitKey],
        missing: &[(i64, i64)],
        idle_before: i64,
    ) -> Result<Vec<(i64, i64)>> {
        sweep_buckets(self, idle_before, SWEEP_PER_INSERT)?;
        let insert = "INSERT INTO kavach_rate_limits (name, tokens, updated_at) VALUES (?1, ?2, ?3) \
                      ON CONFLICT DO NOTHING";
        let select = "SELECT tokens, updated_at FROM kavach_rate_limits WHERE name = ?1";
        keys.iter()
            .zip(missing)
            .map(|(key, (tokens, updated_at))| {
                self.prepare_cached(insert)?.execute(params![&key.name[..], tokens, updated_at])?;
                Ok(self
                    .prepare_cached(select)?
                    .query_row(params![&key.name[..]], |row| Ok((row.get(0)?, row.get(1)?)))?)
            })
            .collect()
    }

    fn save_buckets(&mut self, keys: &[RateLimitKey], states: &[(i64, i64)]) -> Result<()> {
        let sql = "UPDATE kavach_rate_limits SET tokens = ?2, updated_at = ?3 WHERE name = ?1";
        for (key, (tokens, updated_at)) in keys.iter().zip(states) {
            self.prepare_cached(sql)?.execute(params![&key.name[..], tokens, updated_at])?;
        }
        Ok(())
    }
}

impl Store for SqliteStore {
    fn insert_user(&self, user: &UserRecord, audit: &Audit<'_>) -> Result<UserInsertOutcome> {
        let key = email_key(&user.email);
        self.write_or_rollback(Durability::Durable, |tx| units::insert_user(tx, user, &key, audit))
    }

    fn update_user(&self, user_id: &str, update: &UserUpdate<'_>) -> Result<UserUpdateOutcome> {
        self.write_or_rollback(Durability::Durable, |tx| units::update_user(tx, user_id, update))
    }

    fn delete_user(&self, user_id: &str) -> Result<bool> {
        // Passkeys and sessions go with it (ON DELETE CASCADE); events have no foreign key.
        self.write(Durability::Durable, |tx| {
            tx.prepare_cached("DELETE FROM kavach_events WHERE user_id = ?1")?.execute(params![user_id])?;
            Ok(tx.prepare_cached("DELETE FROM kavach_users WHERE id = ?1")?.execute(params![user_id])? > 0)
        })
    }

    fn user_by_id(&self, id: &str) -> Result<Option<UserRecord>> {
        let sql = format!("SELECT {USER_COLUMNS} FROM kavach_users WHERE id = ?1");
        one(&self.reader(), &sql, params![id], |row| user_from(row, 0))
    }

    fn user_by_email(&self, email: &str) -> Result<Option<UserRecord>> {
        let sql = format!("SELECT {USER_COLUMNS} FROM kavach_users WHERE email_key = ?1");
        one(&self.reader(), &sql, params![email_key(email)], |row| user_from(row, 0))
    }

    fn set_has_other_sign_in(&self, user_id: &str, value: bool) -> Result<bool> {
        self.write(Durability::Durable, |tx| {
            let sql = "UPDATE kavach_users SET has_other_sign_in = ?2 WHERE id = ?1";
            Ok(tx.prepare_cached(sql)?.execute(params![user_id, value])? > 0)
        })
    }

    fn insert_session(&self, session: &SessionRecord, audit: &Audit<'_>) -> Result<()> {
        self.write(Durability::Durable, |tx| {
            tx.insert_session_row(session)?;
            units::write_audit(tx, audit, None, None)
        })
    }

    fn session_by_token_hash(&self, token_hash: &[u8; 32], now: i64) -> Result<Option<(SessionRecord, UserRecord)>> {
        let sql = "SELECT s.id, s.token_hash, s.user_id, s.created_at, s.expires_at, s.last_seen_at, s.renewed_at, \
                          s.authenticated_at, u.id, u.email, u.name, u.webauthn_user_id, u.has_other_sign_in, u.created_at \
                   FROM kavach_sessions s JOIN kavach_users u ON u.id = s.user_id \
                   WHERE s.token_hash = ?1 AND s.expires_at > ?2";
        one(&self.reader(), sql, params![&token_hash[..], now], |row| Ok((session_from(row, 0)?, user_from(row, 8)?)))
    }

    fn touch_session(&self, session_id: &str, now: i64) -> Result<()> {
        let threshold = now.saturating_sub(TOUCH_INTERVAL_MS);
        // Read first, on a reader: most requests then cost no write (and no write lock) at all.
        let stale = exists(
            &self.reader(),
            "SELECT 1 FROM kavach_sessions WHERE id = ?1 AND last_seen_at < ?2",
            params![session_id, threshold],
        )?;
        if stale {
            self.write(Durability::Relaxed, |tx| {
                // Re-checked in the UPDATE: last_seen_at never moves backwards under concurrency.
                let sql = "UPDATE kavach_sessions SET last_seen_at = ?2 WHERE id = ?1 AND last_seen_at < ?3";
                tx.prepare_cached(sql)?.execute(params![session_id, now, threshold])?;
                Ok(())
            })?;
        }
        Ok(())
    }

    fn delete_session(&self, session_id: &str, audit: &Audit<'_>) -> Result<Option<String>> {
        self.write(Durability::Durable, |tx| units::delete_session(tx, session_id, audit))
    }

    fn sessions_of_user(&self, user_id: &str, now: i64) -> Result<Vec<SessionRecord>> {
        let sql = format!(
            "SELECT {SESSION_COLUMNS} FROM kavach_sessions WHERE user_id = ?1 AND expires_at > ?2 \
             ORDER BY created_at DESC, id"
        );
        all(&self.reader(), &sql, params![user_id, now], |row| session_from(row, 0))
    }

    fn renew_session(&self, session_id: &str, expires_at: i64, now: i64, audit: &Audit<'_>) -> Result<bool> {
        self.write(Durability::Relaxed, |tx| units::renew_session(tx, session_id, expires_at, now, audit))
    }

    fn delete_sessions_of_user(
        &self,
        user_id: &str,
        only: Option<&str>,
        except: Option<&str>,
        audit: &Audit<'_>,
    ) -> Result<u64> {
        self.write(Durability::Durable, |tx| units::delete_sessions_of_user(tx, user_id, only, except, audit))
    }

    fn use_challenge(&self, challenge: &ChallengeUse<'_>, now: i64) -> Result<bool> {
        self.write(Durability::Relaxed, |tx| tx.consume_challenge(challenge, now))
    }

    fn insert_credential(
        &self,
        credential: &CredentialRecord,
        challenge: Option<&ChallengeUse<'_>>,
        now: i64,
        audit: &Audit<'_>,
    ) -> Result<InsertOutcome> {
        self.write_or_rollback(Durability::Durable, |tx| {
            units::insert_credential(tx, credential, challenge, now, audit)
        })
    }

    fn credential_by_id(&self, credential_id: &[u8]) -> Result<Option<CredentialRecord>> {
        let sql = format!("SELECT {CREDENTIAL_COLUMNS} FROM kavach_passkey_credentials WHERE credential_id = ?1");
        one(&self.reader(), &sql, params![credential_id], |row| credential_from(row))
    }

    fn credentials_of_user(&self, user_id: &str) -> Result<Vec<CredentialRecord>> {
        let sql = format!(
            "SELECT {CREDENTIAL_COLUMNS} FROM kavach_passkey_credentials WHERE user_id = ?1 \
             ORDER BY created_at DESC, rowid DESC"
        );
        all(&self.reader(), &sql, params![user_id], |row| credential_from(row))
    }

    fn user_and_descriptors_by_email(
        &self,
        email: &str,
    ) -> Result<Option<(UserRecord, Vec<CredentialDescriptorRecord>)>> {
        let sql = "SELECT u.id, u.email, u.name, u.webauthn_user_id, u.has_other_sign_in, u.created_at, \
                          c.credential_id, c.transports \
                   FROM kavach_users u LEFT JOIN kavach_passkey_credentials c ON c.user_id = u.id \
                   WHERE u.email_key = ?1 ORDER BY c.created_at DESC, c.rowid DESC";
        let rows = all(&self.reader(), sql, params![email_key(email)], |row| {
            // A user without passkeys is one row with NULL credential columns.
            let descriptor = match row.0.get::<_, Option<Vec<u8>>>(6)? {
                Some(credential_id) => Some(CredentialDescriptorRecord { credential_id, transports: row.strings(7)? }),
                None => None,
            };
            Ok((user_from(row, 0)?, descriptor))
        })?;
        let mut rows = rows.into_iter();
        Ok(rows.next().map(|(user, first)| (user, first.into_iter().chain(rows.filter_map(|(_, d)| d)).collect())))
    }

    fn complete_sign_in(&self, update: &SignInUpdate<'_>) -> Result<SignInOutcome> {
        self.write_or_rollback(Durability::Durable, |tx| units::complete_sign_in(tx, update))
    }

    fn rename_credential(
        &self,
        user_id: &str,
        credential_id: &[u8],
        name: &str,
        audit: &Audit<'_>,
    ) -> Result<Option<CredentialRecord>> {
        self.write(Durability::Durable, |tx| units::rename_credential(tx, user_id, credential_id, name, audit))
    }

    fn delete_credential(
        &self,
        user_id: &str,
        credential_id: &[u8],
        allow_last: bool,
        audit: &Audit<'_>,
    ) -> Result<DeleteOutcome> {
        // One IMMEDIATE transaction: the count cannot change between the check and the delete,
        // in this process or any other.
        self.write(Durability::Durable, |tx| units::delete_credential(tx, user_id, credential_id, allow_last, audit))
    }

    fn record_events(&self, audit: &Audit<'_>) -> Result<()> {
        self.write(Durability::Durable, |tx| units::write_audit(tx, audit, None, None))
    }

    fn record_failure(&self, event: &Event, window_start: i64) -> Result<()> {
        // Relaxed: a notification of an attempt, not a change anyone depends on.
        self.write(Durability::Relaxed, |tx| {
            let sql = "INSERT INTO kavach_events (user_id, type, at, credential_id, client, code, count, window_start) \
                       SELECT ?1, ?2, ?3, ?4, ?5, ?6, 1, ?7 WHERE EXISTS (SELECT 1 FROM kavach_users WHERE id = ?1) \
                       ON CONFLICT (user_id, type, code, window_start) WHERE window_start IS NOT NULL DO UPDATE SET count = count + 1, \
                       at = excluded.at, credential_id = excluded.credential_id, client = excluded.client";
            tx.prepare_cached(sql)?.execute(params![
                event.user_id,
                event.kind.as_str(),
                event.at,
                event.credential_id,
                event.client,
                event.code,
                window_start
            ])?;
            Ok(())
        })
    }

    fn events_of_user(&self, user_id: &str, before: Option<i64>, limit: u32) -> Result<Vec<StoredEvent>> {
        let sql = format!(
            "SELECT {EVENT_COLUMNS} FROM kavach_events WHERE user_id = ?1 AND (?2 IS NULL OR id < ?2) \
             ORDER BY id DESC LIMIT ?3"
        );
        all(&self.reader(), &sql, params![user_id, before, limit], |row| event_from(row))
    }

    fn sweep_expired(&self, now: i64, limit: u32) -> Result<u64> {
        self.write(Durability::Relaxed, |tx| Ok(sweep_challenges(tx, now, limit)? + sweep_sessions(tx, now, limit)?))
    }

    fn spend_rate_limit(&self, spend: &RateLimitSpend<'_>) -> Result<RateLimitOutcome> {
        self.write_or_rollback(Durability::Relaxed, |tx| units::spend_rate_limit(tx, spend))
    }

    fn instance_key(&self, purpose: &str, candidate: &[u8; 32]) -> Result<Vec<u8>> {
        self.write(Durability::Durable, |tx| {
            let sql = "INSERT INTO kavach_keys (purpose, key, created_at) VALUES (?1, ?2, ?3) ON CONFLICT DO NOTHING";
            tx.prepare_cached(sql)?.execute(params![purpose, &candidate[..], unix_millis()])?;
            Ok(tx
                .prepare_cached("SELECT key FROM kavach_keys WHERE purpose = ?1")?
                .query_row(params![purpose], |row| row.get(0))?)
        })
    }
}
