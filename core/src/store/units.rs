//! The store's units of work that take more than one statement, written once for every engine.
//!
//! Each engine runs a unit inside one of its transactions and supplies the statements
//! ([`Statements`]: one method, one SQL statement); what the unit decides from their results, and
//! in which order it runs them to keep its guarantee, lives here. A new engine writes SQL, not
//! this logic.

use super::Finish;
use super::records::{
    Audit, ChallengeUse, CredentialRecord, DeleteOutcome, InsertOutcome, RateLimitKey, RateLimitOutcome,
    RateLimitSpend, SessionChange, SessionRecord, SignInOutcome, SignInUpdate, UserInsertOutcome, UserRecord,
    UserUpdate, UserUpdateOutcome, events_for,
};
use crate::error::Result;
use crate::events::Event;
use crate::limits::{self, Bucket};

/// The statements the units run, each inside the transaction the engine opened.
pub(super) trait Statements {
    /// Records a challenge's use (and sweeps a few expired records); false if it was used
    /// already or its `keep_until` has passed by the store's clock.
    fn consume_challenge(&mut self, challenge: &ChallengeUse<'_>, now: i64) -> Result<bool>;
    /// Whether a user has this email key.
    fn email_taken(&mut self, email_key: &str) -> Result<bool>;
    /// Inserts a user row; false if a concurrent insert took the email first (the unique index
    /// decides where the engine lets two transactions check at once).
    fn insert_user_row(&mut self, user: &UserRecord, email_key: &str) -> Result<bool>;
    /// Inserts a credential row; false if its ID exists (for any user).
    fn insert_credential_row(&mut self, credential: &CredentialRecord) -> Result<bool>;
    /// Moves the counter (and BS flag, last use) if it still is `expected_counter`; whether it did.
    fn move_counter(&mut self, update: &SignInUpdate<'_>) -> Result<bool>;
    /// Whether a credential with this ID exists.
    fn credential_exists(&mut self, credential_id: &[u8]) -> Result<bool>;
    /// Inserts a session row, sweeping a few expired sessions.
    fn insert_session_row(&mut self, session: &SessionRecord) -> Result<()>;
    /// Sets a live session's `authenticated_at`; whether it exists (and has not expired).
    fn mark_session_authenticated(&mut self, session_id: &str, now: i64) -> Result<bool>;
    /// Takes the user's row lock where the engine needs one to serialize deletes (PostgreSQL);
    /// whether the user exists.
    fn lock_user(&mut self, user_id: &str) -> Result<bool>;
    /// Whether the user has this credential.
    fn owns_credential(&mut self, user_id: &str, credential_id: &[u8]) -> Result<bool>;
    /// How many credentials the user has.
    fn count_credentials(&mut self, user_id: &str) -> Result<i64>;
    /// Deletes the user's credential row.
    fn delete_credential_row(&mut self, user_id: &str, credential_id: &[u8]) -> Result<()>;
    /// Locks the rate-limit buckets of `keys` (in this order), creating each missing one as
    /// `missing` (its state as `(tokens, updated_at)`), and returns their states in the same
    /// order; sweeps a few buckets last updated at or before `idle_before`.
    fn lock_buckets(
        &mut self,
        keys: &[RateLimitKey],
        missing: &[(i64, i64)],
        idle_before: i64,
    ) -> Result<Vec<(i64, i64)>>;
    /// Stores the buckets' new states `(tokens, updated_at)`.
    fn save_buckets(&mut self, keys: &[RateLimitKey], states: &[(i64, i64)]) -> Result<()>;
    /// Inserts event rows (one round trip however many), removing a few stored before
    /// `expire_before`. Called with at least one event.
    fn insert_event_rows(&mut self, events: &[Event], expire_before: i64) -> Result<()>;
    /// Deletes a session row; its user's id if it existed.
    fn delete_session_row(&mut self, session_id: &str) -> Result<Option<String>>;
    /// Deletes the user's session rows (`only` that one, all but `except`, or all); how many.
    fn delete_session_rows(&mut self, user_id: &str, only: Option<&str>, except: Option<&str>) -> Result<u64>;
    /// Moves a live session's expiry forward (never backwards); whether it did.
    fn renew_session_row(&mut self, session_id: &str, expires_at: i64, now: i64) -> Result<bool>;
    /// Renames the user's credential; the credential as stored now, if the user has it.
    fn rename_credential_row(
        &mut self,
        user_id: &str,
        credential_id: &[u8],
        name: &str,
    ) -> Result<Option<CredentialRecord>>;
    /// Whether a user other than `user_id` has this email key.
    fn email_taken_by_other(&mut self, email_key: &str, user_id: &str) -> Result<bool>;
    /// Applies `update` to the user row: `Updated` with the user as stored now, `NotFound`, or
    /// `EmailTaken` when the unique index refuses the email (taken concurrently).
    fn update_user_row(&mut self, user_id: &str, update: &UserUpdate<'_>) -> Result<UserUpdateOutcome>;
    /// The next statement is the unit's last on its way to commit: an engine may send its
    /// COMMIT in the same round trip (PostgreSQL does; should that statement fail, the server
    /// rolls back instead). Called only where success means commit.
    fn commit_with_next(&mut self) {}
}

/// A user, unless the email is taken: checked first, inside the transaction, so that a duplicate
/// email is told apart from an id or user-handle collision without reading the engine's error.
pub(super) fn insert_user(
    tx: &mut impl Statements,
    user: &UserRecord,
    email_key: &str,
    audit: &Audit<'_>,
) -> Result<Finish<UserInsertOutcome>> {
    if tx.email_taken(email_key)? || !tx.insert_user_row(user, email_key)? {
        return Ok(Finish::Rollback(UserInsertOutcome::EmailTaken));
    }
    write_audit(tx, audit, None, None)?;
    Ok(Finish::Commit(UserInsertOutcome::Inserted))
}

/// A user's new email (unless another user has it) and/or name.
pub(super) fn update_user(
    tx: &mut impl Statements,
    user_id: &str,
    update: &UserUpdate<'_>,
) -> Result<Finish<UserUpdateOutcome>> {
    if let Some((_, key)) = update.email
        && tx.email_taken_by_other(key, user_id)?
    {
        return Ok(Finish::Rollback(UserUpdateOutcome::EmailTaken));
    }
    Ok(match tx.update_user_row(user_id, update)? {
        updated @ UserUpdateOutcome::Updated(_) => Finish::Commit(updated),
        other => Finish::Rollback(other),
    })
}

/// Stores `audit`'s events: those without a user under `user`, each with `count` if given.
pub(super) fn write_audit(
    tx: &mut impl Statements,
    audit: &Audit<'_>,
    user: Option<&str>,
    count: Option<u64>,
) -> Result<()> {
    if audit.events.is_empty() {
        return Ok(());
    }
    if user.is_none() && count.is_none() && audit.events.iter().all(|e| e.user_id.is_some()) {
        // As given (a sign-in's): no copy.
        return tx.insert_event_rows(audit.events, audit.expire_before);
    }
    let events = events_for(audit.events, user, count);
    if events.is_empty() {
        return Ok(());
    }
    tx.insert_event_rows(&events, audit.expire_before)
}

/// A session revoked by id, and its events under its user.
pub(super) fn delete_session(tx: &mut impl Statements, session_id: &str, audit: &Audit<'_>) -> Result<Option<String>> {
    let user = tx.delete_session_row(session_id)?;
    if let Some(user) = &user {
        write_audit(tx, audit, Some(user), None)?;
    }
    Ok(user)
}

/// Some of a user's sessions revoked, and (if any was) the events, with the count.
pub(super) fn delete_sessions_of_user(
    tx: &mut impl Statements,
    user_id: &str,
    only: Option<&str>,
    except: Option<&str>,
    audit: &Audit<'_>,
) -> Result<u64> {
    let deleted = tx.delete_session_rows(user_id, only, except)?;
    if deleted > 0 {
        write_audit(tx, audit, Some(user_id), Some(deleted))?;
    }
    Ok(deleted)
}

/// A renewal, and its events if it happened.
pub(super) fn renew_session(
    tx: &mut impl Statements,
    session_id: &str,
    expires_at: i64,
    now: i64,
    audit: &Audit<'_>,
) -> Result<bool> {
    let renewed = tx.renew_session_row(session_id, expires_at, now)?;
    if renewed {
        write_audit(tx, audit, None, None)?;
    }
    Ok(renewed)
}

/// A rename, and its events if the user has the credential.
pub(super) fn rename_credential(
    tx: &mut impl Statements,
    user_id: &str,
    credential_id: &[u8],
    name: &str,
    audit: &Audit<'_>,
) -> Result<Option<CredentialRecord>> {
    let renamed = tx.rename_credential_row(user_id, credential_id, name)?;
    if renamed.is_some() {
        write_audit(tx, audit, Some(user_id), None)?;
    }
    Ok(renamed)
}

/// A credential and, for a registration, the use of its challenge: both or neither.
pub(super) fn insert_credential(
    tx: &mut impl Statements,
    credential: &CredentialRecord,
    challenge: Option<&ChallengeUse<'_>>,
    now: i64,
    audit: &Audit<'_>,
) -> Result<Finish<InsertOutcome>> {
    if let Some(challenge) = challenge
        && !tx.consume_challenge(challenge, now)?
    {
        return Ok(Finish::Rollback(InsertOutcome::ChallengeUsed));
    }
    // Before the last statement: a refused insert rolls the events back with everything else.
    write_audit(tx, audit, None, None)?;
    tx.commit_with_next();
    if !tx.insert_credential_row(credential)? {
        return Ok(Finish::Rollback(InsertOutcome::CredentialExists));
    }
    Ok(Finish::Commit(InsertOutcome::Inserted))
}

/// A sign-in: the challenge's use first (of two concurrent requests with one assertion, the
/// second waits on it and then records nothing), then the counter's compare-and-set, then the
/// session. All or nothing.
pub(super) fn complete_sign_in(tx: &mut impl Statements, update: &SignInUpdate<'_>) -> Result<Finish<SignInOutcome>> {
    if !tx.consume_challenge(&update.challenge, update.now)? {
        return Ok(Finish::Rollback(SignInOutcome::ChallengeUsed));
    }
    if !tx.move_counter(update)? {
        let outcome = match tx.credential_exists(update.credential_id)? {
            true => SignInOutcome::CounterChanged,
            false => SignInOutcome::CredentialGone,
        };
        return Ok(Finish::Rollback(outcome));
    }
    match update.session {
        SessionChange::Create(session) => {
            write_audit(tx, &update.audit, None, None)?;
            tx.commit_with_next();
            tx.insert_session_row(session)?;
        }
        SessionChange::MarkAuthenticated { session_id } => {
            // The challenge and the counter stay moved: the authenticator did sign.
            if !tx.mark_session_authenticated(session_id, update.now)? {
                return Ok(Finish::Commit(SignInOutcome::SessionGone));
            }
            tx.commit_with_next();
            write_audit(tx, &update.audit, None, None)?;
        }
    }
    Ok(Finish::Commit(SignInOutcome::SignedIn))
}

/// Deletes the user's credential, refusing the last one unless `allow_last`: the count and the
/// delete run in one transaction behind the user's lock (or the engine's write lock), so two
/// concurrent deletes cannot remove both of two.
pub(super) fn delete_credential(
    tx: &mut impl Statements,
    user_id: &str,
    credential_id: &[u8],
    allow_last: bool,
    audit: &Audit<'_>,
) -> Result<DeleteOutcome> {
    if !tx.lock_user(user_id)? || !tx.owns_credential(user_id, credential_id)? {
        return Ok(DeleteOutcome::NotFound);
    }
    if tx.count_credentials(user_id)? <= 1 && !allow_last {
        return Ok(DeleteOutcome::LastCredential);
    }
    tx.delete_credential_row(user_id, credential_id)?;
    write_audit(tx, audit, Some(user_id), None)?;
    Ok(DeleteOutcome::Deleted)
}

/// The shared rate limit: the buckets are locked in a fixed order (by name, so two requests
/// sharing buckets never wait on each other in a cycle), spent with the same arithmetic as the
/// in-memory limiter, and saved only if every one had a token.
pub(super) fn spend_rate_limit(
    tx: &mut impl Statements,
    spend: &RateLimitSpend<'_>,
) -> Result<Finish<RateLimitOutcome>> {
    let mut keys = spend.keys.to_vec();
    keys.sort_unstable_by_key(|key| key.name);
    keys.dedup_by(|a, b| a.name == b.name);
    let (window, now) = (spend.window_ms, spend.now);
    let missing: Vec<(i64, i64)> = keys
        .iter()
        .map(|key| {
            let full = Bucket::full(key.max, window, now);
            (full.tokens, full.updated_at)
        })
        .collect();
    let states = tx.lock_buckets(&keys, &missing, now.saturating_sub(window))?;
    let mut buckets: Vec<Bucket> = keys
        .iter()
        .zip(&states)
        .map(|(key, &(tokens, updated_at))| Bucket { tokens, updated_at, max: key.max })
        .collect();
    match limits::spend(&mut buckets, window, now) {
        RateLimitOutcome::Spent => {
            let states: Vec<(i64, i64)> = buckets.iter().map(|b| (b.tokens, b.updated_at)).collect();
            tx.commit_with_next();
            tx.save_buckets(&keys, &states)?;
            Ok(Finish::Commit(RateLimitOutcome::Spent))
        }
        refused => Ok(Finish::Rollback(refused)),
    }
}
