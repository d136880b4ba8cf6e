//! The PostgreSQL statements: the [`Store`] methods, the [`Statements`] the shared units run, and
//! how a result row's columns are read. Times are `timestamptz`, transports `text[]`; consumed
//! challenges are compared with the database's clock (`now()`), which every instance shares.

use std::sync::LazyLock;

use time::OffsetDateTime;
use tokio_postgres::Row;
use tokio_postgres::types::FromSql;

use super::pool::{Fail, Tx, describe};
use super::{BEGIN, BEGIN_RELAXED, PostgresStore};
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

/// At most this many expired rows (consumed challenges; sessions) are removed per insert of one.
const SWEEP_PER_INSERT: i64 = 16;
/// `touch_session` skips the write unless the stored `last_seen_at` is older than this.
const TOUCH_INTERVAL_MS: i64 = 60_000;

/// SQL built once from the shared column lists, `'static` for the statement cache.
macro_rules! sql {
    ($($format:tt)*) => {{
        static SQL: LazyLock<String> = LazyLock::new(|| format!($($format)*));
        SQL.as_str()
    }};
}

/// Unix milliseconds to `timestamptz` (microsecond precision: milliseconds round-trip exactly).
fn ts(ms: i64) -> Result<OffsetDateTime> {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .map_err(|_| Error::internal(format_args!("postgres: time {ms} ms is out of range")))
}

fn ms(t: OffsetDateTime) -> i64 {
    t.unix_timestamp_nanos().div_euclid(1_000_000) as i64
}

/// A result row.
struct PgRow<'a>(&'a Row);

impl PgRow<'_> {
    fn get<'r, T: FromSql<'r>>(&'r self, i: usize) -> Result<T> {
        self.0.try_get(i).map_err(|e| bad_row(format_args!("column {i}: {}", describe(&e))))
    }
}

impl Columns for PgRow<'_> {
    fn text(&self, i: usize) -> Result<String> {
        self.get(i)
    }
    fn opt_text(&self, i: usize) -> Result<Option<String>> {
        self.get(i)
    }
    fn bytes(&self, i: usize) -> Result<Vec<u8>> {
        self.get(i)
    }
    fn opt_bytes(&self, i: usize) -> Result<Option<Vec<u8>>> {
        self.get(i)
    }
    fn int(&self, i: usize) -> Result<i64> {
        self.get(i)
    }
    fn flag(&self, i: usize) -> Result<bool> {
        self.get(i)
    }
    fn opt_flag(&self, i: usize) -> Result<Option<bool>> {
        self.get(i)
    }
    fn time(&self, i: usize) -> Result<i64> {
        Ok(ms(self.get(i)?))
    }
    fn opt_time(&self, i: usize) -> Result<Option<i64>> {
        Ok(self.get::<Option<OffsetDateTime>>(i)?.map(ms))
    }
    fn strings(&self, i: usize) -> Result<Vec<String>> {
        self.get(i)
    }
}

/// PostgreSQL text cannot hold U+0000, so no stored key contains it: a lookup by such a key (from
/// hostile input) finds nothing, without asking the server (which would refuse the parameter).
fn storable(key: &str) -> bool {
    !key.contains('\0')
}

fn sweep_sessions(tx: &mut Tx<'_>, now: i64, limit: i64) -> Result<u64, Fail> {
    let sql = "DELETE FROM kavach_sessions WHERE id IN \
               (SELECT id FROM kavach_sessions WHERE expires_at <= $1 LIMIT $2 FOR UPDATE SKIP LOCKED)";
    tx.execute(sql, &[&ts(now)?, &limit])
}

impl Statements for Tx<'_> {
    fn commit_with_next(&mut self) {
        self.pipeline_commit();
    }

    /// Every event in one statement (arrays, unnested); with the retention sweep, in the same
    /// round trip.
    fn insert_event_rows(&mut self, events: &[Event], expire_before: i64) -> Result<()> {
        const INSERT: &str = "INSERT INTO kavach_events (user_id, type, at, credential_id, session_id, client, code, count) \
                              SELECT * FROM unnest($1::text[], $2::text[], $3::timestamptz[], $4::text[], $5::text[], \
                                                   $6::text[], $7::text[], $8::bigint[])";
        // The oldest ids are the oldest events (ids grow with time; an aggregated row only moves
        // `at` forward), so the sweep needs no index on `at`.
        const SWEEP_AND_INSERT: &str = "WITH swept AS (DELETE FROM kavach_events WHERE id IN \
                (SELECT id FROM kavach_events ORDER BY id LIMIT $10 FOR UPDATE SKIP LOCKED) AND at < $9) \
            INSERT INTO kavach_events (user_id, type, at, credential_id, session_id, client, code, count) \
            SELECT * FROM unnest($1::text[], $2::text[], $3::timestamptz[], $4::text[], $5::text[], \
                                 $6::text[], $7::text[], $8::bigint[])";
        let users: Vec<Option<&str>> = events.iter().map(|e| e.user_id.as_deref()).collect();
        let types: Vec<&str> = events.iter().map(|e| e.kind.as_str()).collect();
        let times = events.iter().map(|e| ts(e.at)).collect::<Result<Vec<_>>>()?;
        let credentials: Vec<Option<&str>> = events.iter().map(|e| e.credential_id.as_deref()).collect();
        let sessions: Vec<Option<&str>> = events.iter().map(|e| e.session_id.as_deref()).collect();
        let clients: Vec<Option<&str>> = events.iter().map(|e| e.client.as_deref().filter(|c| storable(c))).collect();
        let codes: Vec<Option<&str>> = events.iter().map(|e| e.code.as_deref()).collect();
        let counts: Vec<i64> = events.iter().map(|e| i64::try_from(e.count).unwrap_or(i64::MAX)).collect();
        let boundary = ts(expire_before.max(0))?;
        let mut params: Vec<&(dyn tokio_postgres::types::ToSql + Sync)> =
            vec![&users, &types, &times, &credentials, &sessions, &clients, &codes, &counts];
        let sql = if expire_before > i64::MIN {
            params.extend([&boundary as &(dyn tokio_postgres::types::ToSql + Sync), &EVENT_SWEEP]);
            SWEEP_AND_INSERT
        } else {
            INSERT
        };
        let inserted = self.execute(sql, &params);
        self.lift(inserted).map(|_| ())
    }

    fn delete_session_row(&mut self, session_id: &str) -> Result<Option<String>> {
        let row = self.query_opt("DELETE FROM kavach_sessions WHERE id = $1 RETURNING user_id", &[&session_id]);
        self.lift(row)?.map(|row| PgRow(&row).text(0)).transpose()
    }

    fn delete_session_rows(&mut self, user_id: &str, only: Option<&str>, except: Option<&str>) -> Result<u64> {
        let sql = "DELETE FROM kavach_sessions WHERE user_id = $1 AND ($2::text IS NULL OR id = $2) \
                   AND ($3::text IS NULL OR id <> $3)";
        let deleted = self.execute(sql, &[&user_id, &only, &except]);
        self.lift(deleted)
    }

    fn renew_session_row(&mut self, session_id: &str, expires_at: i64, now: i64) -> Result<bool> {
        // Never a session that is gone or expired (revoked sessions are deleted), never backwards.
        let sql = "UPDATE kavach_sessions SET expires_at = $2, renewed_at = $3 \
                   WHERE id = $1 AND expires_at > $3 AND expires_at < $2";
        let renewed = self.execute(sql, &[&session_id, &ts(expires_at)?, &ts(now)?]);
        Ok(self.lift(renewed)? > 0)
    }

    fn rename_credential_row(
        &mut self,
        user_id: &str,
        credential_id: &[u8],
        name: &str,
    ) -> Result<Option<CredentialRecord>> {
        let sql = sql!(
            "UPDATE kavach_passkey_credentials SET name = $3 WHERE user_id = $1 AND credential_id = $2 \
             RETURNING {CREDENTIAL_COLUMNS}"
        );
        let row = self.query_opt(sql, &[&user_id, &credential_id, &name]);
        self.lift(row)?.map(|row| credential_from(&PgRow(&row))).transpose()
    }

    fn email_taken_by_other(&mut self, email_key: &str, user_id: &str) -> Result<bool> {
        let sql = "SELECT 1 FROM kavach_users WHERE email_key = $1 AND id <> $2";
        let found = self.query_opt(sql, &[&email_key, &user_id]);
        Ok(self.lift(found)?.is_some())
    }

    /// Two transactions can both find the email free (READ COMMITTED): the unique index
    /// refuses the second.
    fn update_user_row(&mut self, user_id: &str, update: &UserUpdate<'_>) -> Result<UserUpdateOutcome> {
        let sql = sql!(
            "UPDATE kavach_users SET email = coalesce($2, email), email_key = coalesce($3, email_key), \
             name = CASE WHEN $4 THEN $5 ELSE name END WHERE id = $1 RETURNING {USER_COLUMNS}"
        );
        let (email, key) = update.email.unzip();
        let name = update.name.flatten();
        match self.query_opt(sql, &[&user_id, &email, &key, &update.name.is_some(), &name]) {
            Ok(Some(row)) => Ok(UserUpdateOutcome::Updated(user_from(&PgRow(&row), 0)?)),
            Ok(None) => Ok(UserUpdateOutcome::NotFound),
            Err(e) if e.unique_violation() == Some("kavach_users_email_key_unique") => {
                Ok(UserUpdateOutcome::EmailTaken)
            }
            Err(e) => self.lift(Err(e)),
        }
    }

    /// One round trip with a bounded sweep; `keep_until` is compared with the database's clock
    /// (instances' clocks may disagree; the database's is the one the sweep goes by).
    fn consume_challenge(&mut self, challenge: &ChallengeUse<'_>, _now: i64) -> Result<bool> {
        let sql = "WITH swept AS (DELETE FROM kavach_consumed_challenges WHERE nonce IN \
                       (SELECT nonce FROM kavach_consumed_challenges WHERE keep_until <= now() LIMIT $3 \
                        FOR UPDATE SKIP LOCKED)) \
                   INSERT INTO kavach_consumed_challenges (nonce, keep_until) SELECT $1, $2 WHERE $2 > now() \
                   ON CONFLICT DO NOTHING";
        let inserted = self.execute(sql, &[&&challenge.nonce[..], &ts(challenge.keep_until)?, &SWEEP_PER_INSERT]);
        Ok(self.lift(inserted)? == 1)
    }

    fn email_taken(&mut self, email_key: &str) -> Result<bool> {
        let found = self.query_opt("SELECT 1 FROM kavach_users WHERE email_key = $1", &[&email_key]);
        Ok(self.lift(found)?.is_some())
    }

    /// Two transactions can both find the email free (READ COMMITTED): the second insert waits
    /// for the first to commit, then the unique index refuses it.
    fn insert_user_row(&mut self, user: &UserRecord, email_key: &str) -> Result<bool> {
        let sql = sql!("INSERT INTO kavach_users ({USER_COLUMNS}, email_key) VALUES ($1, $2, $3, $4, $5, $6, $7)");
        let params: [&(dyn tokio_postgres::types::ToSql + Sync); 7] = [
            &user.id,
            &user.email,
            &user.name,
            &user.webauthn_user_id,
            &user.has_other_sign_in,
            &ts(user.created_at)?,
            &email_key,
        ];
        match self.execute(sql, &params) {
            Ok(_) => Ok(true),
            Err(e) if e.unique_violation() == Some("kavach_users_email_key_unique") => Ok(false),
            Err(e) => self.lift(Err(e)),
        }
    }

    fn insert_credential_row(&mut self, credential: &CredentialRecord) -> Result<bool> {
        let sql = sql!(
            "INSERT INTO kavach_passkey_credentials ({CREDENTIAL_COLUMNS}) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23)"
        );
        let params: [&(dyn tokio_postgres::types::ToSql + Sync); 23] = [
            &credential.credential_id,
            &credential.user_id,
            &credential.name,
            &credential.public_key,
            &credential.algorithm,
            &i64::from(credential.counter),
            &&credential.aaguid[..],
            &credential.backup_eligible,
            &credential.backup_state,
            &credential.transports,
            &credential.attestation_format,
            &credential.attestation_trust,
            &ts(credential.created_at)?,
            &credential.last_used_at.map(ts).transpose()?,
            &credential.attestation_root,
            &credential.attestation_source,
            &credential.aaguid_attested,
            &credential.discoverable,
            &credential.prf_enabled,
            &credential.clone_warning,
            &credential.created_by.as_str(),
            &credential.u2f,
            &credential.user_handle,
        ];
        match self.execute(sql, &params) {
            Ok(_) => Ok(true),
            // The primary key is the credential ID, across all users.
            Err(e) if e.unique_violation() == Some("kavach_passkey_credentials_pkey") => Ok(false),
            Err(e) => self.lift(Err(e)),
        }
    }

    /// READ COMMITTED re-checks the WHERE on the row version a concurrent update left: a sign-in
    /// that moved the counter first makes this match nothing.
    fn move_counter(&mut self, update: &SignInUpdate<'_>) -> Result<bool> {
        let sql = "UPDATE kavach_passkey_credentials SET counter = $3, backup_state = $4, last_used_at = $5, \
                   clone_warning = clone_warning OR $6 WHERE credential_id = $1 AND counter = $2";
        let params: [&(dyn tokio_postgres::types::ToSql + Sync); 6] = [
            &update.credential_id,
            &i64::from(update.expected_counter),
            &i64::from(update.new_counter),
            &update.backup_state,
            &ts(update.now)?,
            &update.clone_warning,
        ];
        let changed = self.execute(sql, &params);
        Ok(self.lift(changed)? > 0)
    }

    fn mark_session_authenticated(&mut self, session_id: &str, now: i64) -> Result<bool> {
        let sql = "UPDATE kavach_sessions SET authenticated_at = $2 WHERE id = $1 AND expires_at > $2";
        let changed = self.execute(sql, &[&session_id, &ts(now)?]);
        Ok(self.lift(changed)? > 0)
    }

    fn credential_exists(&mut self, credential_id: &[u8]) -> Result<bool> {
        let sql = "SELECT 1 FROM kavach_passkey_credentials WHERE credential_id = $1";
        let found = self.query_opt(sql, &[&credential_id]);
        Ok(self.lift(found)?.is_some())
    }

    /// The insert and a bounded sweep of expired sessions, in one round trip.
    fn insert_session_row(&mut self, session: &SessionRecord) -> Result<()> {
        let sql = sql!(
            "WITH swept AS (DELETE FROM kavach_sessions WHERE id IN \
                 (SELECT id FROM kavach_sessions WHERE expires_at <= $4 LIMIT $7 FOR UPDATE SKIP LOCKED)) \
             INSERT INTO kavach_sessions ({SESSION_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $8, $9)"
        );
        let params: [&(dyn tokio_postgres::types::ToSql + Sync); 9] = [
            &session.id,
            &&session.token_hash[..],
            &session.user_id,
            &ts(session.created_at)?,
            &ts(session.expires_at)?,
            &ts(session.last_seen_at)?,
            &SWEEP_PER_INSERT,
            &ts(session.renewed_at)?,
            &session.authenticated_at.map(ts).transpose()?,
        ];
        let inserted = self.execute(sql, &params);
        self.lift(inserted).map(|_| ())
    }

    /// Every delete for this user takes the user's row lock first, so they run one after the
    /// other; each statement after it sees the previous delete (READ COMMITTED). NO KEY UPDATE
    /// does not block the foreign-key checks of concurrent inserts.
    fn lock_user(&mut self, user_id: &str) -> Result<bool> {
        let found = self.query_opt("SELECT 1 FROM kavach_users WHERE id = $1 FOR NO KEY UPDATE", &[&user_id]);
        Ok(self.lift(found)?.is_some())
    }

    fn owns_credential(&mut self, user_id: &str, credential_id: &[u8]) -> Result<bool> {
        let sql = "SELECT 1 FROM kavach_passkey_credentials WHERE user_id = $1 AND credential_id = $2";
        let found = self.query_opt(sql, &[&user_id, &credential_id]);
        Ok(self.lift(found)?.is_some())
    }

    fn count_credentials(&mut self, user_id: &str) -> Result<i64> {
        let sql = "SELECT count(*) FROM kavach_passkey_credentials WHERE user_id = $1";
        let row = self.query_opt(sql, &[&user_id]);
        match self.lift(row)? {
            Some(row) => PgRow(&row).int(0),
            None => Ok(0),
        }
    }

    fn delete_credential_row(&mut self, user_id: &str, credential_id: &[u8]) -> Result<()> {
        let sql = "DELETE FROM kavach_passkey_credentials WHERE user_id = $1 AND credential_id = $2";
        let deleted = self.execute(sql, &[&user_id, &credential_id]);
        self.lift(deleted).map(|_| ())
    }

    /// One round trip for every bucket: the upsert creates missing buckets and, through its
    /// no-op update, locks existing ones (a concurrent spend of the same bucket waits here). The
    /// sweep leaves this request's own buckets alone.
    fn lock_buckets(
        &mut self,
        keys: &[RateLimitKey],
        missing: &[(i64, i64)],
        idle_before: i64,
    ) -> Result<Vec<(i64, i64)>> {
        let sql = "WITH swept AS (DELETE FROM kavach_rate_limits WHERE name IN \
                       (SELECT name FROM kavach_rate_limits WHERE updated_at <= $4 AND name <> ALL($1) LIMIT $5 \
                        FOR UPDATE SKIP LOCKED)) \
                   INSERT INTO kavach_rate_limits AS b (name, tokens, updated_at) \
                   SELECT * FROM unnest($1::bytea[], $2::int8[], $3::int8[]) \
                   ON CONFLICT (name) DO UPDATE SET name = EXCLUDED.name \
                   RETURNING b.name, b.tokens, b.updated_at";
        let names: Vec<&[u8]> = keys.iter().map(|key| &key.name[..]).collect();
        let tokens: Vec<i64> = missing.iter().map(|state| state.0).collect();
        let times: Vec<i64> = missing.iter().map(|state| state.1).collect();
        let rows = self.query(sql, &[&names, &tokens, &times, &idle_before, &SWEEP_PER_INSERT]);
        let rows = self.lift(rows)?;
        let mut states = Vec::with_capacity(keys.len());
        for key in keys {
            let row = rows
                .iter()
                .map(PgRow)
                .find(|row| row.bytes(0).is_ok_and(|name| name == key.name))
                .ok_or_else(|| bad_row("a rate-limit bucket was not returned"))?;
            states.push((row.int(1)?, row.int(2)?));
        }
        Ok(states)
    }

    fn save_buckets(&mut self, keys: &[RateLimitKey], states: &[(i64, i64)]) -> Result<()> {
        let sql = "UPDATE kavach_rate_limits AS b SET tokens = u.tokens, updated_at = u.updated_at \
                   FROM unnest($1::bytea[], $2::int8[], $3::int8[]) AS u(name, tokens, updated_at) \
                   WHERE b.name = u.name";
        let names: Vec<&[u8]> = keys.iter().map(|key| &key.name[..]).collect();
        let tokens: Vec<i64> = states.iter().map(|state| state.0).collect();
        let times: Vec<i64> = states.iter().map(|state| state.1).collect();
        let saved = self.execute(sql, &[&names, &tokens, &times]);
        self.lift(saved).map(|_| ())
    }
}

impl Store for PostgresStore {
    fn insert_user(&self, user: &UserRecord, audit: &Audit<'_>) -> Result<UserInsertOutcome> {
        let key = email_key(&user.email);
        self.transaction_or_rollback(BEGIN, |tx| Ok(units::insert_user(tx, user, &key, audit)?))
    }

    fn update_user(&self, user_id: &str, update: &UserUpdate<'_>) -> Result<UserUpdateOutcome> {
        let email_ok = update.email.is_none_or(|(email, key)| storable(email) && storable(key));
        if !storable(user_id) || !update.name.flatten().is_none_or(storable) || !email_ok {
            return Ok(UserUpdateOutcome::NotFound);
        }
        self.transaction_or_rollback(BEGIN, |tx| Ok(units::update_user(tx, user_id, update)?))
    }

    fn delete_user(&self, user_id: &str) -> Result<bool> {
        if !storable(user_id) {
            return Ok(false);
        }
        // Passkeys and sessions go with it (ON DELETE CASCADE); events have no foreign key. The
        // user's row lock first: a failed sign-in's upsert checks the user exists under it.
        self.unit(|tx| {
            if tx.query_opt("SELECT 1 FROM kavach_users WHERE id = $1 FOR UPDATE", &[&user_id])?.is_none() {
                return Ok(false);
            }
            tx.execute("DELETE FROM kavach_events WHERE user_id = $1", &[&user_id])?;
            Ok(tx.execute("DELETE FROM kavach_users WHERE id = $1", &[&user_id])? > 0)
        })
    }

    fn user_by_id(&self, id: &str) -> Result<Option<UserRecord>> {
        if !storable(id) {
            return Ok(None);
        }
        let sql = sql!("SELECT {USER_COLUMNS} FROM kavach_users WHERE id = $1");
        self.single(|tx| Ok(tx.query_opt(sql, &[&id])?.map(|row| user_from(&PgRow(&row), 0)).transpose()?))
    }

    fn user_by_email(&self, email: &str) -> Result<Option<UserRecord>> {
        let key = email_key(email);
        if !storable(&key) {
            return Ok(None);
        }
        let sql = sql!("SELECT {USER_COLUMNS} FROM kavach_users WHERE email_key = $1");
        self.single(|tx| Ok(tx.query_opt(sql, &[&key])?.map(|row| user_from(&PgRow(&row), 0)).transpose()?))
    }

    fn set_has_other_sign_in(&self, user_id: &str, value: bool) -> Result<bool> {
        if !storable(user_id) {
            return Ok(false);
        }
        let sql = "UPDATE kavach_users SET has_other_sign_in = $2 WHERE id = $1";
        self.single(|tx| Ok(tx.execute(sql, &[&user_id, &value])? > 0))
    }

    fn insert_session(&self, session: &SessionRecord, audit: &Audit<'_>) -> Result<()> {
        self.unit(|tx| {
            tx.insert_session_row(session)?;
            Ok(units::write_audit(tx, audit, None, None)?)
        })
    }

    fn session_by_token_hash(&self, token_hash: &[u8; 32], now: i64) -> Result<Option<(SessionRecord, UserRecord)>> {
        let sql = "SELECT s.id, s.token_hash, s.user_id, s.created_at, s.expires_at, s.last_seen_at, s.renewed_at, \
                          s.authenticated_at, u.id, u.email, u.name, u.webauthn_user_id, u.has_other_sign_in, u.created_at \
                   FROM kavach_sessions s JOIN kavach_users u ON u.id = s.user_id \
                   WHERE s.token_hash = $1 AND s.expires_at > $2";
        self.single(|tx| {
            let row = tx.query_opt(sql, &[&&token_hash[..], &ts(now)?])?;
            Ok(row
                .map(|row| Ok::<_, Error>((session_from(&PgRow(&row), 0)?, user_from(&PgRow(&row), 8)?)))
                .transpose()?)
        })
    }

    fn touch_session(&self, session_id: &str, now: i64) -> Result<()> {
        let threshold = now.saturating_sub(TOUCH_INTERVAL_MS);
        if !storable(session_id) {
            return Ok(());
        }
        // Matches (and locks, and writes) nothing unless the last write is older than a minute;
        // the condition also keeps last_seen_at from moving backwards under concurrency.
        let sql = "UPDATE kavach_sessions SET last_seen_at = $2 WHERE id = $1 AND last_seen_at < $3";
        self.single(|tx| tx.execute(sql, &[&session_id, &ts(now)?, &ts(threshold)?]).map(|_| ()))
    }

    fn delete_session(&self, session_id: &str, audit: &Audit<'_>) -> Result<Option<String>> {
        if !storable(session_id) {
            return Ok(None);
        }
        self.unit(|tx| Ok(units::delete_session(tx, session_id, audit)?))
    }

    fn sessions_of_user(&self, user_id: &str, now: i64) -> Result<Vec<SessionRecord>> {
        if !storable(user_id) {
            return Ok(Vec::new());
        }
        let sql = sql!(
            "SELECT {SESSION_COLUMNS} FROM kavach_sessions WHERE user_id = $1 AND expires_at > $2 \
             ORDER BY created_at DESC, id"
        );
        self.single(|tx| {
            Ok(tx
                .query(sql, &[&user_id, &ts(now)?])?
                .iter()
                .map(|row| session_from(&PgRow(row), 0))
                .collect::<Result<_>>()?)
        })
    }

    fn renew_session(&self, session_id: &str, expires_at: i64, now: i64, audit: &Audit<'_>) -> Result<bool> {
        if !storable(session_id) {
            return Ok(false);
        }
        self.relaxed_unit(|tx| Ok(units::renew_session(tx, session_id, expires_at, now, audit)?))
    }

    fn delete_sessions_of_user(
        &self,
        user_id: &str,
        only: Option<&str>,
        except: Option<&str>,
        audit: &Audit<'_>,
    ) -> Result<u64> {
        if !storable(user_id) || only.is_some_and(|id| !storable(id)) || except.is_some_and(|id| !storable(id)) {
            return Ok(0);
        }
        self.unit(|tx| Ok(units::delete_sessions_of_user(tx, user_id, only, except, audit)?))
    }

    fn use_challenge(&self, challenge: &ChallengeUse<'_>, now: i64) -> Result<bool> {
        self.relaxed_unit(|tx| Ok(tx.consume_challenge(challenge, now)?))
    }

    fn insert_credential(
        &self,
        credential: &CredentialRecord,
        challenge: Option<&ChallengeUse<'_>>,
        now: i64,
        audit: &Audit<'_>,
    ) -> Result<InsertOutcome> {
        self.transaction_or_rollback(BEGIN, |tx| Ok(units::insert_credential(tx, credential, challenge, now, audit)?))
    }

    fn credential_by_id(&self, credential_id: &[u8]) -> Result<Option<CredentialRecord>> {
        let sql = sql!("SELECT {CREDENTIAL_COLUMNS} FROM kavach_passkey_credentials WHERE credential_id = $1");
        self.single(|tx| {
            Ok(tx.query_opt(sql, &[&credential_id])?.map(|row| credential_from(&PgRow(&row))).transpose()?)
        })
    }

    fn credentials_of_user(&self, user_id: &str) -> Result<Vec<CredentialRecord>> {
        if !storable(user_id) {
            return Ok(Vec::new());
        }
        let sql = sql!(
            "SELECT {CREDENTIAL_COLUMNS} FROM kavach_passkey_credentials WHERE user_id = $1 \
             ORDER BY created_at DESC, seq DESC"
        );
        self.single(|tx| {
            Ok(tx.query(sql, &[&user_id])?.iter().map(|row| credential_from(&PgRow(row))).collect::<Result<_>>()?)
        })
    }

    fn user_and_descriptors_by_email(
        &self,
        email: &str,
    ) -> Result<Option<(UserRecord, Vec<CredentialDescriptorRecord>)>> {
        let key = email_key(email);
        if !storable(&key) {
            return Ok(None);
        }
        let sql = "SELECT u.id, u.email, u.name, u.webauthn_user_id, u.has_other_sign_in, u.created_at, \
                          c.credential_id, c.transports \
                   FROM kavach_users u LEFT JOIN kavach_passkey_credentials c ON c.user_id = u.id \
                   WHERE u.email_key = $1 ORDER BY c.created_at DESC, c.seq DESC";
        let rows = self.single(|tx| tx.query(sql, &[&key]))?;
        let Some(first) = rows.first() else { return Ok(None) };
        let user = user_from(&PgRow(first), 0)?;
        let mut descriptors = Vec::with_capacity(rows.len());
        for row in rows.iter().map(PgRow) {
            // A user without passkeys is one row with NULL credential columns.
            if let Some(credential_id) = row.get::<Option<Vec<u8>>>(6)? {
                descriptors.push(CredentialDescriptorRecord { credential_id, transports: row.strings(7)? });
            }
        }
        Ok(Some((user, descriptors)))
    }

    fn complete_sign_in(&self, update: &SignInUpdate<'_>) -> Result<SignInOutcome> {
        self.transaction_or_rollback(BEGIN, |tx| Ok(units::complete_sign_in(tx, update)?))
    }

    fn rename_credential(
        &self,
        user_id: &str,
        credential_id: &[u8],
        name: &str,
        audit: &Audit<'_>,
    ) -> Result<Option<CredentialRecord>> {
        if !storable(user_id) || !storable(name) {
            return Ok(None);
        }
        self.unit(|tx| Ok(units::rename_credential(tx, user_id, credential_id, name, audit)?))
    }

    fn delete_credential(
        &self,
        user_id: &str,
        credential_id: &[u8],
        allow_last: bool,
        audit: &Audit<'_>,
    ) -> Result<DeleteOutcome> {
        if !storable(user_id) {
            return Ok(DeleteOutcome::NotFound);
        }
        self.unit(|tx| Ok(units::delete_credential(tx, user_id, credential_id, allow_last, audit)?))
    }

    fn record_events(&self, audit: &Audit<'_>) -> Result<()> {
        self.unit(|tx| Ok(units::write_audit(tx, audit, None, None)?))
    }

    fn record_failure(&self, event: &Event, window_start: i64) -> Result<()> {
        let Some(user_id) = event.user_id.as_deref().filter(|id| storable(id)) else {
            return Ok(());
        };
        // The upsert is a no-op if the user is gone.
        let sql = "INSERT INTO kavach_events (user_id, type, at, credential_id, client, code, count, window_start) \
                   SELECT $1, $2, $3, $4, $5, $6, 1, $7 WHERE EXISTS (SELECT 1 FROM kavach_users WHERE id = $1 FOR KEY SHARE) \
                   ON CONFLICT (user_id, type, code, window_start) WHERE window_start IS NOT NULL DO UPDATE SET count = kavach_events.count + 1, \
                   at = excluded.at, credential_id = excluded.credential_id, client = excluded.client";
        let client = event.client.as_deref().filter(|c| storable(c));
        // Relaxed: a notification of an attempt, not a change anyone depends on.
        self.relaxed_unit(|tx| {
            tx.execute(
                sql,
                &[
                    &user_id,
                    &event.kind.as_str(),
                    &ts(event.at)?,
                    &event.credential_id,
                    &client,
                    &event.code,
                    &ts(window_start)?,
                ],
            )?;
            Ok(())
        })
    }

    fn events_of_user(&self, user_id: &str, before: Option<i64>, limit: u32) -> Result<Vec<StoredEvent>> {
        if !storable(user_id) {
            return Ok(Vec::new());
        }
        let sql = sql!(
            "SELECT {EVENT_COLUMNS} FROM kavach_events WHERE user_id = $1 AND ($2::bigint IS NULL OR id < $2) \
             ORDER BY id DESC LIMIT $3"
        );
        let limit = i64::from(limit);
        self.single(|tx| {
            Ok(tx
                .query(sql, &[&user_id, &before, &limit])?
                .iter()
                .map(|row| event_from(&PgRow(row)))
                .collect::<Result<_>>()?)
        })
    }

    fn pool_gauge(&self) -> Option<crate::metrics::PoolGauge> {
        let state = self.pool.state.lock();
        Some(crate::metrics::PoolGauge { open: state.open, idle: state.idle.len(), max: self.pool.max })
    }

    fn sweep_expired(&self, now: i64, limit: u32) -> Result<u64> {
        let limit = i64::from(limit);
        let sql = "DELETE FROM kavach_consumed_challenges WHERE nonce IN \
                   (SELECT nonce FROM kavach_consumed_challenges WHERE keep_until <= now() LIMIT $1 \
                    FOR UPDATE SKIP LOCKED)";
        self.relaxed_unit(|tx| Ok(tx.execute(sql, &[&limit])? + sweep_sessions(tx, now, limit)?))
    }

    fn spend_rate_limit(&self, spend: &RateLimitSpend<'_>) -> Result<RateLimitOutcome> {
        self.transaction_or_rollback(BEGIN_RELAXED, |tx| Ok(units::spend_rate_limit(tx, spend)?))
    }

    fn instance_key(&self, purpose: &str, candidate: &[u8; 32]) -> Result<Vec<u8>> {
        if !storable(purpose) {
            return Err(Error::internal("postgres: instance key purpose holds NUL"));
        }
        self.unit(|tx| {
            let insert = "INSERT INTO kavach_keys (purpose, key) VALUES ($1, $2) ON CONFLICT DO NOTHING";
            tx.execute(insert, &[&purpose, &&candidate[..]])?;
            let row = tx.query_opt("SELECT key FROM kavach_keys WHERE purpose = $1", &[&purpose])?;
            Ok(row.map(|row| PgRow(&row).bytes(0)).transpose()?.ok_or_else(|| bad_row("instance key vanished"))?)
        })
    }
}
