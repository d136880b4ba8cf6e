//! The store behaviour suite, written once against [`Store`] and run for every engine: each
//! engine's test module instantiates it with [`store_behaviour_tests!`] over a [`Fixture`] that
//! gives a fresh, isolated database.

use super::*;
use crate::error::ErrorCode;

/// Schema versions every engine's migrations reach.
const MIGRATIONS: i64 = 7;
/// `touch_session` writes at most this often (the same for every engine).
const TOUCH_INTERVAL_MS: i64 = 60_000;

/// A fresh database for one test, removed when dropped.
pub(crate) trait Fixture {
    /// The store under test.
    fn store(&self) -> &dyn Store;
    /// Another store opened on the same database, as another process would (runs migrations).
    fn another(&self) -> Box<dyn Store>;
    /// Rows in a table, counted outside the store.
    fn count(&self, table: &str) -> i64;
    /// Runs SQL outside the store.
    fn execute(&self, sql: &str);
}

/// Instantiates every behaviour test as a `#[test]` in the calling module. `$fixture` is an
/// expression of type `Option<impl Fixture>`; `None` skips the test (an engine whose server is not
/// configured for this run), saying so on stderr.
macro_rules! store_behaviour_tests {
    ($fixture:expr) => {
        $crate::store::tests::store_behaviour_tests!(@each $fixture; migrations_are_idempotent_on_reopen,
            version_1_database_gains_attestation_root_keeping_credentials,
            users_round_trip_and_lookup_by_email_is_case_insensitive,
            lookups_by_keys_with_nul_find_nothing,
            duplicate_email_is_email_taken_case_insensitive,
            duplicate_user_id_or_handle_is_internal_not_user_exists,
            credentials_round_trip_newest_first,
            user_and_descriptors_by_email_in_one_read,
            counter_above_i32_round_trips,
            duplicate_credential_id_across_users_is_credential_exists,
            credential_for_unknown_user_is_internal,
            rename_credential_only_for_its_owner,
            a_challenge_is_used_once,
            a_challenge_past_its_keep_until_is_refused,
            concurrent_uses_of_one_challenge_succeed_once,
            consumed_challenges_are_swept_boundedly,
            inserting_sessions_sweeps_expired_ones,
            sweep_expired_respects_limit,
            sessions_expire,
            touch_session_writes_at_most_once_a_minute,
            insert_credential_consumes_its_challenge_or_nothing,
            complete_sign_in_is_compare_and_set,
            complete_sign_in_rolls_back_counter_if_session_insert_fails,
            complete_sign_in_needs_an_unused_challenge,
            concurrent_sign_ins_with_one_challenge_complete_once,
            instance_keys_are_created_once_and_shared,
            last_credential_is_refused_unless_allowed,
            concurrent_deletes_never_remove_the_last,
            deleting_user_cascades,
            many_threads_share_one_store,
            rate_limit_spends_from_every_bucket_or_none,
            rate_limit_buckets_are_shared_by_every_store_on_the_database,
            concurrent_rate_limit_spends_never_exceed_the_bucket,
            idle_rate_limit_buckets_are_swept_boundedly);
    };
    (@each $fixture:expr; $($name:ident),* $(,)?) => {
        $(
            #[test]
            fn $name() {
                match $fixture {
                    Some(db) => $crate::store::tests::$name(&db),
                    None => eprintln!("skipped: {}: no database for this engine", stringify!($name)),
                }
            }
        )*
    };
}
pub(crate) use store_behaviour_tests;

pub(crate) fn user(id: &str, email: &str) -> UserRecord {
    let mut handle = [0u8; 32];
    handle[..id.len().min(32)].copy_from_slice(&id.as_bytes()[..id.len().min(32)]);
    UserRecord {
        id: id.to_owned(),
        email: email.to_owned(),
        name: Some(format!("{id} name")),
        webauthn_user_id: handle.to_vec(),
        has_other_sign_in: false,
        created_at: 1_000,
    }
}

pub(crate) fn credential(id: &[u8], user_id: &str, created_at: i64) -> CredentialRecord {
    CredentialRecord {
        credential_id: id.to_vec(),
        user_id: user_id.to_owned(),
        name: "YubiKey 5".to_owned(),
        public_key: vec![0xa5, 1, 2, 3],
        algorithm: -7,
        counter: 5,
        aaguid: [7; 16],
        backup_eligible: true,
        backup_state: false,
        transports: vec!["usb".to_owned(), "nfc".to_owned()],
        attestation_format: "packed".to_owned(),
        attestation_trust: "verified".to_owned(),
        created_at,
        last_used_at: None,
        attestation_root: Some("Test Attestation Root".to_owned()),
        attestation_source: Some("configured".to_owned()),
        aaguid_attested: true,
        discoverable: Some(true),
        prf_enabled: true,
        clone_warning: false,
        created_by: CreatedBy::Conditional,
        u2f: false,
        user_handle: Some(vec![9; 32]),
    }
}

pub(crate) fn session(id: &str, user_id: &str, hash_byte: u8, expires_at: i64) -> SessionRecord {
    SessionRecord {
        id: id.to_owned(),
        token_hash: [hash_byte; 32],
        user_id: user_id.to_owned(),
        created_at: 1_000,
        expires_at,
        last_seen_at: 1_000,
        renewed_at: 1_000,
        authenticated_at: Some(1_000),
    }
}

/// Now by the wall clock: consumed challenges are compared with the database's own clock on
/// PostgreSQL, so their times in these tests must be real.
pub(crate) fn wall_clock() -> i64 {
    crate::time::now_ms()
}

/// A challenge use whose record is kept for `keep_for_ms` from now.
pub(crate) fn usage(nonce: &[u8; 16], keep_for_ms: i64) -> ChallengeUse<'_> {
    ChallengeUse { nonce, keep_until: wall_clock() + keep_for_ms }
}

/// A 16-byte nonce from a number.
pub(crate) fn nonce(n: u32) -> [u8; 16] {
    let mut bytes = [0u8; 16];
    bytes[..4].copy_from_slice(&n.to_be_bytes());
    bytes
}

pub(crate) fn migrations_are_idempotent_on_reopen(db: &dyn Fixture) {
    db.store().insert_user(&user("u1", "a@example.com"), &Audit::NONE).unwrap();
    for _ in 0..3 {
        let store = db.another();
        assert_eq!(db.count("kavach_schema_version"), MIGRATIONS);
        assert!(store.user_by_id("u1").unwrap().is_some());
    }
}

/// Migrations 2 to 5 on a database at version 1 that already holds a credential: the credential
/// survives, with no root, source, attested model or Level 3 facts recorded.
pub(crate) fn version_1_database_gains_attestation_root_keeping_credentials(db: &dyn Fixture) {
    let store = db.store();
    store.insert_user(&user("u1", "a@example.com"), &Audit::NONE).unwrap();
    store.insert_credential(&credential(b"cred-1", "u1", 1_000), None, 0, &Audit::NONE).unwrap();
    db.execute(
        "ALTER TABLE kavach_passkey_credentials DROP COLUMN attestation_root; \
         ALTER TABLE kavach_passkey_credentials DROP COLUMN attestation_source; \
         ALTER TABLE kavach_passkey_credentials DROP COLUMN aaguid_attested; \
         ALTER TABLE kavach_passkey_credentials DROP COLUMN discoverable; \
         ALTER TABLE kavach_passkey_credentials DROP COLUMN prf_enabled; \
         ALTER TABLE kavach_passkey_credentials DROP COLUMN clone_warning; \
         ALTER TABLE kavach_passkey_credentials DROP COLUMN created_by; \
         ALTER TABLE kavach_passkey_credentials DROP COLUMN u2f; \
         ALTER TABLE kavach_passkey_credentials DROP COLUMN user_handle; \
         ALTER TABLE kavach_sessions DROP COLUMN renewed_at; \
         ALTER TABLE kavach_sessions DROP COLUMN authenticated_at; \
         DROP TABLE kavach_consumed_challenges; DROP TABLE kavach_keys; DROP TABLE kavach_rate_limits; \
         DROP TABLE kavach_events; \
         DELETE FROM kavach_schema_version WHERE version > 1;",
    );
    assert_eq!(db.count("kavach_schema_version"), 1);
    let upgraded = db.another();
    assert_eq!(db.count("kavach_schema_version"), MIGRATIONS);
    let stored = upgraded.credential_by_id(b"cred-1").unwrap().unwrap();
    let expected = CredentialRecord {
        attestation_root: None,
        attestation_source: None,
        aaguid_attested: false,
        discoverable: None,
        prf_enabled: false,
        created_by: CreatedBy::Registration,
        user_handle: None,
        ..credential(b"cred-1", "u1", 1_000)
    };
    assert_eq!(stored, expected);
}

pub(crate) fn users_round_trip_and_lookup_by_email_is_case_insensitive(db: &dyn Fixture) {
    let store = db.store();
    let u = user("u1", "Alice@Example.com");
    store.insert_user(&u, &Audit::NONE).unwrap();
    assert_eq!(store.user_by_id("u1").unwrap(), Some(u.clone()));
    assert_eq!(store.user_by_email("alice@example.COM").unwrap(), Some(u.clone()));
    assert_eq!(store.user_by_email("bob@example.com").unwrap(), None);
    assert_eq!(store.user_by_id("nobody").unwrap(), None);

    assert!(store.set_has_other_sign_in("u1", true).unwrap());
    assert!(store.user_by_id("u1").unwrap().unwrap().has_other_sign_in);
    assert!(!store.set_has_other_sign_in("nobody", true).unwrap());
}

pub(crate) fn duplicate_email_is_email_taken_case_insensitive(db: &dyn Fixture) {
    let store = db.store();
    assert_eq!(store.insert_user(&user("u1", "alice@example.com"), &Audit::NONE).unwrap(), UserInsertOutcome::Inserted);
    assert_eq!(
        store.insert_user(&user("u2", "ALICE@example.com"), &Audit::NONE).unwrap(),
        UserInsertOutcome::EmailTaken
    );
    // Non-ASCII case folding too (SQLite's lower() would miss this one).
    store.insert_user(&user("u3", "élodie@example.com"), &Audit::NONE).unwrap();
    assert_eq!(
        store.insert_user(&user("u4", "ÉLODIE@example.com"), &Audit::NONE).unwrap(),
        UserInsertOutcome::EmailTaken
    );
    assert_eq!(db.count("kavach_users"), 2);
}

pub(crate) fn duplicate_user_id_or_handle_is_internal_not_user_exists(db: &dyn Fixture) {
    let store = db.store();
    store.insert_user(&user("u1", "a@example.com"), &Audit::NONE).unwrap();
    let err = store.insert_user(&user("u1", "b@example.com"), &Audit::NONE).unwrap_err();
    assert_eq!(err.code(), ErrorCode::Internal);
    assert_eq!(err.message(), "internal error", "no database text reaches the client");
}

pub(crate) fn credentials_round_trip_newest_first(db: &dyn Fixture) {
    let store = db.store();
    store.insert_user(&user("u1", "a@example.com"), &Audit::NONE).unwrap();
    store.insert_user(&user("u2", "b@example.com"), &Audit::NONE).unwrap();
    let old = credential(b"old", "u1", 1_000);
    let new = credential(b"new", "u1", 2_000);
    let same_time_later = credential(b"same", "u1", 2_000);
    store.insert_credential(&old, None, 0, &Audit::NONE).unwrap();
    store.insert_credential(&new, None, 0, &Audit::NONE).unwrap();
    store.insert_credential(&same_time_later, None, 0, &Audit::NONE).unwrap();
    store.insert_credential(&credential(b"other", "u2", 3_000), None, 0, &Audit::NONE).unwrap();

    assert_eq!(store.credential_by_id(b"old").unwrap(), Some(old.clone()));
    assert_eq!(store.credential_by_id(b"missing").unwrap(), None);
    assert_eq!(store.credentials_of_user("u1").unwrap(), vec![same_time_later, new, old]);
    assert!(store.credentials_of_user("nobody").unwrap().is_empty());
}

pub(crate) fn user_and_descriptors_by_email_in_one_read(db: &dyn Fixture) {
    let store = db.store();
    store.insert_user(&user("u1", "Ada@Example.com"), &Audit::NONE).unwrap();
    store.insert_user(&user("u2", "bob@example.com"), &Audit::NONE).unwrap();
    assert_eq!(store.user_and_descriptors_by_email("nobody@example.com").unwrap(), None);
    assert_eq!(store.user_and_descriptors_by_email("nobody\0").unwrap(), None);
    let (found, none) = store.user_and_descriptors_by_email("ada@example.com").unwrap().unwrap();
    assert_eq!((found.id.as_str(), none), ("u1", vec![]), "a user without passkeys");

    let mut older = credential(b"old", "u1", 1);
    older.transports = vec!["usb".into()];
    let mut newer = credential(b"new", "u1", 2);
    newer.transports = vec!["hybrid".into(), "internal".into()];
    store.insert_credential(&older, None, 0, &Audit::NONE).unwrap();
    store.insert_credential(&newer, None, 0, &Audit::NONE).unwrap();
    store.insert_credential(&credential(b"bobs", "u2", 3), None, 0, &Audit::NONE).unwrap();
    let (found, descriptors) = store.user_and_descriptors_by_email(" ADA@example.COM ").unwrap().unwrap();
    assert_eq!(found, store.user_by_id("u1").unwrap().unwrap());
    assert_eq!(
        descriptors,
        vec![
            CredentialDescriptorRecord { credential_id: b"new".to_vec(), transports: newer.transports },
            CredentialDescriptorRecord { credential_id: b"old".to_vec(), transports: older.transports },
        ],
        "only this user's, newest first"
    );
}

pub(crate) fn counter_above_i32_round_trips(db: &dyn Fixture) {
    let store = db.store();
    store.insert_user(&user("u1", "a@example.com"), &Audit::NONE).unwrap();
    let mut c = credential(b"c", "u1", 1);
    c.counter = u32::MAX;
    c.transports = vec![];
    store.insert_credential(&c, None, 0, &Audit::NONE).unwrap();
    assert_eq!(store.credential_by_id(b"c").unwrap(), Some(c));
}

pub(crate) fn duplicate_credential_id_across_users_is_credential_exists(db: &dyn Fixture) {
    let store = db.store();
    store.insert_user(&user("u1", "a@example.com"), &Audit::NONE).unwrap();
    store.insert_user(&user("u2", "b@example.com"), &Audit::NONE).unwrap();
    store.insert_credential(&credential(b"cred", "u1", 1), None, 0, &Audit::NONE).unwrap();
    for owner in ["u1", "u2"] {
        let outcome = store.insert_credential(&credential(b"cred", owner, 2), None, 0, &Audit::NONE).unwrap();
        assert_eq!(outcome, InsertOutcome::CredentialExists);
    }
    assert_eq!(store.credential_by_id(b"cred").unwrap().unwrap().user_id, "u1");
}

pub(crate) fn credential_for_unknown_user_is_internal(db: &dyn Fixture) {
    let store = db.store();
    let err = store.insert_credential(&credential(b"cred", "ghost", 1), None, 0, &Audit::NONE).unwrap_err();
    assert_eq!(err.code(), ErrorCode::Internal);
}

pub(crate) fn rename_credential_only_for_its_owner(db: &dyn Fixture) {
    let store = db.store();
    store.insert_user(&user("u1", "a@example.com"), &Audit::NONE).unwrap();
    store.insert_user(&user("u2", "b@example.com"), &Audit::NONE).unwrap();
    store.insert_credential(&credential(b"cred", "u1", 1), None, 0, &Audit::NONE).unwrap();
    assert_eq!(store.rename_credential("u2", b"cred", "mine now", &Audit::NONE).unwrap(), None);
    let renamed = store.rename_credential("u1", b"cred", "Work key", &Audit::NONE).unwrap().unwrap();
    assert_eq!(renamed.name, "Work key");
    assert_eq!(store.credential_by_id(b"cred").unwrap(), Some(renamed));
    assert_eq!(store.rename_credential("u1", b"missing", "x", &Audit::NONE).unwrap(), None);
}

pub(crate) fn a_challenge_is_used_once(db: &dyn Fixture) {
    let store = db.store();
    let (a, b) = (nonce(1), nonce(2));
    assert!(store.use_challenge(&usage(&a, 60_000), wall_clock()).unwrap());
    assert!(!store.use_challenge(&usage(&a, 60_000), wall_clock()).unwrap(), "a second use");
    assert!(!db.another().use_challenge(&usage(&a, 60_000), wall_clock()).unwrap(), "from another process too");
    assert!(store.use_challenge(&usage(&b, 60_000), wall_clock()).unwrap());
    assert_eq!(db.count("kavach_consumed_challenges"), 2);
}

pub(crate) fn a_challenge_past_its_keep_until_is_refused(db: &dyn Fixture) {
    // Its record of an earlier use may have been swept: it cannot be told apart from a replay.
    let store = db.store();
    assert!(!store.use_challenge(&usage(&nonce(1), -1_000), wall_clock()).unwrap());
    assert_eq!(db.count("kavach_consumed_challenges"), 0);
}

pub(crate) fn concurrent_uses_of_one_challenge_succeed_once(db: &dyn Fixture) {
    let stores: Vec<_> = (0..6).map(|_| db.another()).collect();
    for round in 0..10 {
        let n = nonce(round);
        let outcomes: Vec<bool> = std::thread::scope(|s| {
            let handles: Vec<_> = stores
                .iter()
                .map(|store| s.spawn(|| store.use_challenge(&usage(&n, 60_000), wall_clock()).unwrap()))
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        assert_eq!(outcomes.iter().filter(|used| **used).count(), 1, "round {round}: {outcomes:?}");
    }
}

pub(crate) fn consumed_challenges_are_swept_boundedly(db: &dyn Fixture) {
    let store = db.store();
    for i in 0..40 {
        assert!(store.use_challenge(&usage(&nonce(i), 50), wall_clock()).unwrap());
    }
    assert!(store.use_challenge(&usage(&nonce(1_000), 600_000), wall_clock()).unwrap());
    std::thread::sleep(std::time::Duration::from_millis(120));
    // Each use sweeps at most 16 expired records; live ones stay.
    assert!(store.use_challenge(&usage(&nonce(1_001), 600_000), wall_clock()).unwrap());
    assert_eq!(db.count("kavach_consumed_challenges"), 40 - 16 + 2);
    assert!(store.use_challenge(&usage(&nonce(1_002), 600_000), wall_clock()).unwrap());
    assert_eq!(db.count("kavach_consumed_challenges"), 40 - 32 + 3);
    assert!(!store.use_challenge(&usage(&nonce(1_000), 600_000), wall_clock()).unwrap(), "live records stay");
}

pub(crate) fn inserting_sessions_sweeps_expired_ones(db: &dyn Fixture) {
    let store = db.store();
    store.insert_user(&user("u1", "a@example.com"), &Audit::NONE).unwrap();
    for i in 0..40u8 {
        // Created at 0: each insert sweeps by its own creation time, which these do not pass.
        store
            .insert_session(
                &SessionRecord { created_at: 0, ..session(&format!("old-{i}"), "u1", i, 500) },
                &Audit::NONE,
            )
            .unwrap();
    }
    let mut fresh = session("new", "u1", 200, 99_000);
    fresh.created_at = 1_000;
    store.insert_session(&fresh, &Audit::NONE).unwrap();
    assert_eq!(db.count("kavach_sessions"), 40 - 16 + 1);
}

pub(crate) fn sweep_expired_respects_limit(db: &dyn Fixture) {
    let store = db.store();
    store.insert_user(&user("u1", "a@example.com"), &Audit::NONE).unwrap();
    for i in 0..3u8 {
        store
            .insert_session(&SessionRecord { created_at: 0, ..session(&format!("s{i}"), "u1", i, 500) }, &Audit::NONE)
            .unwrap();
    }
    for i in 0..10 {
        store.use_challenge(&usage(&nonce(i), 50), wall_clock()).unwrap();
    }
    std::thread::sleep(std::time::Duration::from_millis(120));
    let now = wall_clock();
    assert_eq!(store.sweep_expired(now, 0).unwrap(), 0);
    assert_eq!(store.sweep_expired(now, 4).unwrap(), 4 + 3);
    assert_eq!(store.sweep_expired(now, 100).unwrap(), 6);
    assert_eq!(store.sweep_expired(now, 100).unwrap(), 0);
}

pub(crate) fn sessions_expire(db: &dyn Fixture) {
    let store = db.store();
    let u = user("u1", "a@example.com");
    store.insert_user(&u, &Audit::NONE).unwrap();
    let s = session("s1", "u1", 9, 5_000);
    store.insert_session(&s, &Audit::NONE).unwrap();
    assert_eq!(store.session_by_token_hash(&[9; 32], 4_999).unwrap(), Some((s.clone(), u)));
    assert_eq!(store.session_by_token_hash(&[9; 32], 5_000).unwrap(), None);
    assert_eq!(store.session_by_token_hash(&[8; 32], 1_000).unwrap(), None);
    assert_eq!(store.delete_session("s1", &Audit::NONE).unwrap().as_deref(), Some("u1"));
    assert_eq!(store.delete_session("s1", &Audit::NONE).unwrap(), None);
    assert_eq!(store.session_by_token_hash(&[9; 32], 1_000).unwrap(), None);
}

pub(crate) fn touch_session_writes_at_most_once_a_minute(db: &dyn Fixture) {
    let store = db.store();
    store.insert_user(&user("u1", "a@example.com"), &Audit::NONE).unwrap();
    store.insert_session(&session("s1", "u1", 1, 1_000_000), &Audit::NONE).unwrap();
    let seen = |store: &dyn Store| store.session_by_token_hash(&[1; 32], 0).unwrap().unwrap().0.last_seen_at;
    store.touch_session("s1", 1_000 + TOUCH_INTERVAL_MS).unwrap();
    assert_eq!(seen(store), 1_000, "exactly 60 s: not yet");
    store.touch_session("s1", 1_001 + TOUCH_INTERVAL_MS).unwrap();
    assert_eq!(seen(store), 1_001 + TOUCH_INTERVAL_MS);
    store.touch_session("s1", 2_000 + TOUCH_INTERVAL_MS).unwrap();
    assert_eq!(seen(store), 1_001 + TOUCH_INTERVAL_MS);
    store.touch_session("nobody", 999_999).unwrap();
}

/// A sign-in update for `cred` answering the challenge `n`, moving the counter from `from` to `to`.
pub(crate) fn sign_in<'a>(
    n: &'a [u8; 16],
    from: u32,
    to: u32,
    now: i64,
    session: &'a SessionRecord,
) -> SignInUpdate<'a> {
    SignInUpdate {
        audit: Audit::NONE,
        challenge: usage(n, 60_000),
        credential_id: b"cred",
        expected_counter: from,
        new_counter: to,
        backup_state: to.is_multiple_of(2),
        now,
        session: SessionChange::Create(session),
        clone_warning: false,
    }
}

pub(crate) fn insert_credential_consumes_its_challenge_or_nothing(db: &dyn Fixture) {
    let store = db.store();
    store.insert_user(&user("u1", "a@example.com"), &Audit::NONE).unwrap();
    let (first, second) = (nonce(1), nonce(2));
    let now = wall_clock();
    let outcome =
        store.insert_credential(&credential(b"cred", "u1", 1), Some(&usage(&first, 60_000)), now, &Audit::NONE);
    assert_eq!(outcome.unwrap(), InsertOutcome::Inserted);
    // The challenge is spent: a second registration with it stores nothing.
    let outcome =
        store.insert_credential(&credential(b"cred-2", "u1", 2), Some(&usage(&first, 60_000)), now, &Audit::NONE);
    assert_eq!(outcome.unwrap(), InsertOutcome::ChallengeUsed);
    assert!(store.credential_by_id(b"cred-2").unwrap().is_none());
    // A credential that exists already: refused, and the challenge's use rolled back with it.
    let outcome =
        store.insert_credential(&credential(b"cred", "u1", 3), Some(&usage(&second, 60_000)), now, &Audit::NONE);
    assert_eq!(outcome.unwrap(), InsertOutcome::CredentialExists);
    assert!(store.use_challenge(&usage(&second, 60_000), now).unwrap(), "not consumed by the refused insert");
}

pub(crate) fn complete_sign_in_is_compare_and_set(db: &dyn Fixture) {
    let store = db.store();
    store.insert_user(&user("u1", "a@example.com"), &Audit::NONE).unwrap();
    store.insert_credential(&credential(b"cred", "u1", 1), None, 0, &Audit::NONE).unwrap();
    let (c1, c2, c3) = (nonce(1), nonce(2), nonce(3));
    let first = session("s1", "u1", 1, 99_000);
    assert_eq!(store.complete_sign_in(&sign_in(&c1, 5, 6, 7_000, &first)).unwrap(), SignInOutcome::SignedIn);
    let stored = store.credential_by_id(b"cred").unwrap().unwrap();
    assert_eq!((stored.counter, stored.backup_state, stored.last_used_at), (6, true, Some(7_000)));
    assert!(store.session_by_token_hash(&[1; 32], 8_000).unwrap().is_some());
    assert!(!store.use_challenge(&usage(&c1, 60_000), wall_clock()).unwrap(), "the challenge was consumed with it");

    // A concurrent sign-in that read counter 5 loses, and writes nothing: not even the
    // challenge's consumption (the ceremony burns it separately).
    let second = session("s2", "u1", 2, 99_000);
    assert_eq!(store.complete_sign_in(&sign_in(&c2, 5, 7, 8_000, &second)).unwrap(), SignInOutcome::CounterChanged);
    assert_eq!(store.credential_by_id(b"cred").unwrap().unwrap(), stored);
    assert_eq!(store.session_by_token_hash(&[2; 32], 8_000).unwrap(), None);
    assert!(store.use_challenge(&usage(&c2, 60_000), wall_clock()).unwrap(), "not consumed");

    // A credential deleted meanwhile is not a counter problem.
    store.delete_credential("u1", b"cred", true, &Audit::NONE).unwrap();
    assert_eq!(store.complete_sign_in(&sign_in(&c3, 6, 7, 9_000, &second)).unwrap(), SignInOutcome::CredentialGone);
    assert_eq!(store.session_by_token_hash(&[2; 32], 9_000).unwrap(), None);
}

pub(crate) fn complete_sign_in_needs_an_unused_challenge(db: &dyn Fixture) {
    let store = db.store();
    store.insert_user(&user("u1", "a@example.com"), &Audit::NONE).unwrap();
    store.insert_credential(&credential(b"cred", "u1", 1), None, 0, &Audit::NONE).unwrap();
    let s = session("s1", "u1", 1, 99_000);
    let used = nonce(1);
    store.use_challenge(&usage(&used, 60_000), wall_clock()).unwrap();
    let expired = nonce(2);
    let now = wall_clock();
    let past_keep_until =
        SignInUpdate { audit: Audit::NONE, challenge: usage(&expired, -1), ..sign_in(&expired, 5, 6, now, &s) };
    for update in [sign_in(&used, 5, 6, now, &s), past_keep_until] {
        assert_eq!(store.complete_sign_in(&update).unwrap(), SignInOutcome::ChallengeUsed);
        assert_eq!(store.credential_by_id(b"cred").unwrap().unwrap().counter, 5, "nothing written");
        assert_eq!(db.count("kavach_sessions"), 0);
    }
    // Used once, gone: the same challenge cannot complete a second sign-in.
    let once = nonce(3);
    assert_eq!(store.complete_sign_in(&sign_in(&once, 5, 6, 2_000, &s)).unwrap(), SignInOutcome::SignedIn);
    let again = session("s2", "u1", 2, 99_000);
    assert_eq!(store.complete_sign_in(&sign_in(&once, 6, 7, 2_000, &again)).unwrap(), SignInOutcome::ChallengeUsed);
}

pub(crate) fn concurrent_sign_ins_with_one_challenge_complete_once(db: &dyn Fixture) {
    // Different stores on one database behave like different processes: exactly one completes,
    // the others find the challenge used (or the counter moved, whichever they reach first).
    let stores: Vec<_> = (0..6).map(|_| db.another()).collect();
    stores[0].insert_user(&user("u1", "a@example.com"), &Audit::NONE).unwrap();
    stores[0].insert_credential(&credential(b"cred", "u1", 1), None, 0, &Audit::NONE).unwrap();
    for round in 0..5u8 {
        let n = nonce(u32::from(round));
        let counter = stores[0].credential_by_id(b"cred").unwrap().unwrap().counter;
        let sessions: Vec<_> =
            (0..6u8).map(|i| session(&format!("s{round}-{i}"), "u1", round * 10 + i, 99_000)).collect();
        let outcomes: Vec<_> = std::thread::scope(|scope| {
            let handles: Vec<_> = stores
                .iter()
                .zip(&sessions)
                .map(|(store, s)| scope.spawn(|| store.complete_sign_in(&sign_in(&n, counter, counter + 1, 2_000, s))))
                .collect();
            handles.into_iter().map(|h| h.join().unwrap().unwrap()).collect()
        });
        assert_eq!(
            outcomes.iter().filter(|o| **o == SignInOutcome::SignedIn).count(),
            1,
            "round {round}: {outcomes:?}"
        );
        for failure in outcomes.iter().filter(|o| **o != SignInOutcome::SignedIn) {
            assert!(
                matches!(failure, SignInOutcome::ChallengeUsed | SignInOutcome::CounterChanged),
                "round {round}: {failure:?}"
            );
        }
    }
    assert_eq!(db.count("kavach_sessions"), 5);
}

pub(crate) fn complete_sign_in_rolls_back_counter_if_session_insert_fails(db: &dyn Fixture) {
    let store = db.store();
    store.insert_user(&user("u1", "a@example.com"), &Audit::NONE).unwrap();
    store.insert_credential(&credential(b"cred", "u1", 1), None, 0, &Audit::NONE).unwrap();
    store.insert_session(&session("dup", "u1", 1, 99_000), &Audit::NONE).unwrap();
    let c1 = nonce(1);
    let err = store.complete_sign_in(&sign_in(&c1, 5, 6, 7_000, &session("dup", "u1", 2, 99_000))).unwrap_err();
    assert_eq!(err.code(), ErrorCode::Internal);
    assert_eq!(store.credential_by_id(b"cred").unwrap().unwrap().counter, 5);
    assert!(
        store.use_challenge(&usage(&c1, 60_000), wall_clock()).unwrap(),
        "the challenge's consumption rolled back too"
    );
}

pub(crate) fn instance_keys_are_created_once_and_shared(db: &dyn Fixture) {
    let first = db.store().instance_key("fake-credentials", &[1; 32]).unwrap();
    assert_eq!(first, [1; 32]);
    assert_eq!(db.another().instance_key("fake-credentials", &[2; 32]).unwrap(), first, "the stored key wins");
    assert_eq!(db.store().instance_key("other", &[3; 32]).unwrap(), [3; 32]);
}

pub(crate) fn last_credential_is_refused_unless_allowed(db: &dyn Fixture) {
    let store = db.store();
    store.insert_user(&user("u1", "a@example.com"), &Audit::NONE).unwrap();
    store.insert_user(&user("u2", "b@example.com"), &Audit::NONE).unwrap();
    store.insert_credential(&credential(b"a", "u1", 1), None, 0, &Audit::NONE).unwrap();
    store.insert_credential(&credential(b"b", "u1", 2), None, 0, &Audit::NONE).unwrap();

    assert_eq!(store.delete_credential("u2", b"a", true, &Audit::NONE).unwrap(), DeleteOutcome::NotFound);
    assert_eq!(store.delete_credential("u1", b"zzz", true, &Audit::NONE).unwrap(), DeleteOutcome::NotFound);
    assert_eq!(store.delete_credential("u1", b"a", false, &Audit::NONE).unwrap(), DeleteOutcome::Deleted);
    assert_eq!(store.delete_credential("u1", b"b", false, &Audit::NONE).unwrap(), DeleteOutcome::LastCredential);
    assert!(store.credential_by_id(b"b").unwrap().is_some());
    assert_eq!(store.delete_credential("u1", b"b", true, &Audit::NONE).unwrap(), DeleteOutcome::Deleted);
    assert!(store.credentials_of_user("u1").unwrap().is_empty());
}

pub(crate) fn concurrent_deletes_never_remove_the_last(db: &dyn Fixture) {
    // Two stores on one database (like two processes), one thread each.
    let stores = [db.another(), db.another()];
    stores[0].insert_user(&user("u1", "a@example.com"), &Audit::NONE).unwrap();
    for round in 0..20u8 {
        let (a, b) = ([b'a', round], [b'b', round]);
        stores[0].insert_credential(&credential(&a, "u1", 1), None, 0, &Audit::NONE).unwrap();
        stores[0].insert_credential(&credential(&b, "u1", 2), None, 0, &Audit::NONE).unwrap();
        let outcomes = std::thread::scope(|s| {
            let ta = s.spawn(|| stores[0].delete_credential("u1", &a, false, &Audit::NONE).unwrap());
            let tb = s.spawn(|| stores[1].delete_credential("u1", &b, false, &Audit::NONE).unwrap());
            [ta.join().unwrap(), tb.join().unwrap()]
        });
        let deleted = outcomes.iter().filter(|o| **o == DeleteOutcome::Deleted).count();
        let refused = outcomes.iter().filter(|o| **o == DeleteOutcome::LastCredential).count();
        assert_eq!((deleted, refused), (1, 1), "round {round}: {outcomes:?}");
        let left = stores[1].credentials_of_user("u1").unwrap();
        assert_eq!(left.len(), 1);
        stores[0].delete_credential("u1", &left[0].credential_id, true, &Audit::NONE).unwrap();
    }
}

pub(crate) fn deleting_user_cascades(db: &dyn Fixture) {
    let store = db.store();
    store.insert_user(&user("u1", "a@example.com"), &Audit::NONE).unwrap();
    store.insert_user(&user("u2", "b@example.com"), &Audit::NONE).unwrap();
    store.insert_credential(&credential(b"a", "u1", 1), None, 0, &Audit::NONE).unwrap();
    store.insert_credential(&credential(b"b", "u2", 1), None, 0, &Audit::NONE).unwrap();
    store.insert_session(&session("s1", "u1", 1, 99_000), &Audit::NONE).unwrap();
    store.insert_session(&session("s2", "u2", 2, 99_000), &Audit::NONE).unwrap();
    db.execute("DELETE FROM kavach_users WHERE id = 'u1'");
    assert_eq!(store.credential_by_id(b"a").unwrap(), None);
    assert_eq!(store.session_by_token_hash(&[1; 32], 0).unwrap(), None);
    assert!(store.credential_by_id(b"b").unwrap().is_some());
    assert!(store.session_by_token_hash(&[2; 32], 0).unwrap().is_some());
}

pub(crate) fn many_threads_share_one_store(db: &dyn Fixture) {
    let store = db.store();
    std::thread::scope(|s| {
        for t in 0..8 {
            let store = &store;
            s.spawn(move || {
                let id = format!("u{t}");
                store.insert_user(&user(&id, &format!("{id}@example.com")), &Audit::NONE).unwrap();
                for i in 0..20u8 {
                    store.insert_credential(&credential(&[t, i], &id, i64::from(i)), None, 0, &Audit::NONE).unwrap();
                    assert_eq!(store.user_by_id(&id).unwrap().unwrap().id, id);
                }
                assert_eq!(store.credentials_of_user(&id).unwrap().len(), 20);
            });
        }
    });
    assert_eq!(db.count("kavach_passkey_credentials"), 160);
}

pub(crate) fn lookups_by_keys_with_nul_find_nothing(db: &dyn Fixture) {
    // Hostile input reaches these lookups (an email, a challenge from clientDataJSON, a session id
    // in a body); PostgreSQL text cannot hold U+0000, SQLite can: both must just find nothing.
    let store = db.store();
    store.insert_user(&user("u1", "a@example.com"), &Audit::NONE).unwrap();
    store.insert_credential(&credential(b"c", "u1", 1), None, 0, &Audit::NONE).unwrap();
    assert_eq!(store.user_by_email("a@example.com\0").unwrap(), None);
    assert_eq!(store.user_by_id("u1\0").unwrap(), None);
    assert!(!store.set_has_other_sign_in("\0", true).unwrap());
    assert_eq!(store.delete_session("\0", &Audit::NONE).unwrap(), None);
    store.touch_session("\0", 2_000).unwrap();
    assert!(store.credentials_of_user("u1\0").unwrap().is_empty());
    assert_eq!(store.rename_credential("u1\0", b"c", "x", &Audit::NONE).unwrap(), None);
    assert_eq!(store.delete_credential("u1\0", b"c", true, &Audit::NONE).unwrap(), DeleteOutcome::NotFound);
}

pub(crate) fn bucket(name: u8, max: i64) -> RateLimitKey {
    RateLimitKey { name: [name; 16], max }
}

pub(crate) fn spend(store: &dyn Store, keys: &[RateLimitKey], now: i64) -> RateLimitOutcome {
    store.spend_rate_limit(&RateLimitSpend { keys, window_ms: 60_000, now }).unwrap()
}

pub(crate) fn rate_limit_spends_from_every_bucket_or_none(db: &dyn Fixture) {
    let store = db.store();
    let (small, large) = (bucket(1, 1), bucket(2, 3));
    assert_eq!(spend(store, &[small, large], 0), RateLimitOutcome::Spent);
    // `small` is empty: nothing is taken from `large` either.
    assert_eq!(spend(store, &[large, small], 0), RateLimitOutcome::Refused { wait_ms: 60_000 });
    assert_eq!(spend(store, &[large], 0), RateLimitOutcome::Spent);
    assert_eq!(spend(store, &[large], 0), RateLimitOutcome::Spent);
    assert_eq!(spend(store, &[large], 0), RateLimitOutcome::Refused { wait_ms: 20_000 });
    // Refilled at max per window.
    assert_eq!(spend(store, &[large], 20_000), RateLimitOutcome::Spent);
    assert_eq!(spend(store, &[small, large], 60_000), RateLimitOutcome::Spent);
    assert_eq!(db.count("kavach_rate_limits"), 2);
}

pub(crate) fn rate_limit_buckets_are_shared_by_every_store_on_the_database(db: &dyn Fixture) {
    let other = db.another();
    let key = bucket(3, 2);
    assert_eq!(spend(db.store(), &[key], 0), RateLimitOutcome::Spent);
    assert_eq!(spend(other.as_ref(), &[key], 0), RateLimitOutcome::Spent);
    assert!(matches!(spend(db.store(), &[key], 0), RateLimitOutcome::Refused { .. }));
    assert!(matches!(spend(other.as_ref(), &[key], 0), RateLimitOutcome::Refused { .. }));
}

pub(crate) fn concurrent_rate_limit_spends_never_exceed_the_bucket(db: &dyn Fixture) {
    let stores: Vec<_> = (0..4).map(|_| db.another()).collect();
    // Every request counts in a shared bucket and one of its own, locked in any order.
    let shared = bucket(9, 10);
    let spent: usize = std::thread::scope(|s| {
        let handles: Vec<_> = stores
            .iter()
            .enumerate()
            .map(|(i, store)| {
                s.spawn(move || {
                    let own = bucket(20 + i as u8, 100);
                    let keys = if i % 2 == 0 { [shared, own] } else { [own, shared] };
                    (0..10).filter(|_| spend(store.as_ref(), &keys, 0) == RateLimitOutcome::Spent).count()
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).sum()
    });
    assert_eq!(spent, 10, "40 requests against a bucket of 10");
}

pub(crate) fn idle_rate_limit_buckets_are_swept_boundedly(db: &dyn Fixture) {
    let store = db.store();
    for i in 0..40 {
        assert_eq!(spend(store, &[bucket(i, 1)], 0), RateLimitOutcome::Spent);
    }
    assert_eq!(db.count("kavach_rate_limits"), 40);
    // A window later the buckets are full again: each spend forgets at most 16 of them.
    assert_eq!(spend(store, &[bucket(200, 1)], 60_000), RateLimitOutcome::Spent);
    assert_eq!(db.count("kavach_rate_limits"), 40 - 16 + 1);
    // A bucket still being spent from is never idle, so never forgotten.
    for at in [60_001, 60_002, 60_003] {
        assert_eq!(spend(store, &[bucket(201 + (at % 10) as u8, 1)], at), RateLimitOutcome::Spent);
    }
    assert!(matches!(spend(store, &[bucket(200, 1)], 60_004), RateLimitOutcome::Refused { .. }));
}
