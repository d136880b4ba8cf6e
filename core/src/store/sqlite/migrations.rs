//! The SQLite schema: versioned migrations, applied at start-up (`migrations/*.sql`).

use std::time::{SystemTime, UNIX_EPOCH};

use rusqlite::{Connection, Transaction, TransactionBehavior, ffi, params};

/// Schema migrations, in order. Migration `i` (0-based) brings the schema to version `i + 1`.
/// Never edit or reorder an entry that has shipped: append a new one.
pub(super) const MIGRATIONS: &[&str] = &[
    include_str!("migrations/0001_initial.sql"),
    include_str!("migrations/0002_attestation_root.sql"),
    include_str!("migrations/0003_stateless_challenges.sql"),
    include_str!("migrations/0004_rate_limits.sql"),
    include_str!("migrations/0005_credential_facts.sql"),
    include_str!("migrations/0006_session_renewal.sql"),
    include_str!("migrations/0007_events.sql"),
];

/// Applies pending migrations, each in its own `BEGIN IMMEDIATE` transaction that re-reads the
/// version first: two processes opening at once serialize on the write lock, and the second sees
/// the first's work and does nothing.
pub(super) fn migrate(conn: &Connection) -> Result<(), rusqlite::Error> {
    let latest = MIGRATIONS.len() as i64;
    for (index, sql) in MIGRATIONS.iter().enumerate() {
        let version = index as i64 + 1;
        let tx = Transaction::new_unchecked(conn, TransactionBehavior::Immediate)?;
        tx.execute_batch(
            "CREATE TABLE IF NOT EXISTS kavach_schema_version (
                 version    INTEGER PRIMARY KEY NOT NULL,
                 applied_at INTEGER NOT NULL
             )",
        )?;
        let current: i64 =
            tx.query_row("SELECT coalesce(max(version), 0) FROM kavach_schema_version", [], |row| row.get(0))?;
        if current > latest {
            return Err(rusqlite::Error::SqliteFailure(
                ffi::Error::new(ffi::SQLITE_ERROR),
                Some(format!("schema version {current} is newer than this build supports ({latest}); upgrade kavach")),
            ));
        }
        if current < version {
            tx.execute_batch(sql)?;
            tx.execute(
                "INSERT INTO kavach_schema_version (version, applied_at) VALUES (?1, ?2)",
                params![version, unix_millis()],
            )?;
        }
        tx.commit()?;
    }
    Ok(())
}

pub(super) fn unix_millis() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or(0)
}
