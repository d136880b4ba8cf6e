//! The PostgreSQL schema: versioned migrations (`migrations/*.sql`), applied at start-up in one
//! transaction under an advisory lock, so instances starting at once serialize and the later ones
//! find nothing to do.

use super::pool::{Fail, PooledConn, get};
use crate::error::Error;

/// `pg_advisory_xact_lock` key for migrations ("kavach" in ASCII, then 1).
const MIGRATION_LOCK: i64 = 0x6b61_7661_6368_0001;

/// Schema migrations, in order; the same versions as the SQLite store's. Migration `i` (0-based)
/// brings the schema to version `i + 1`. Never edit or reorder an entry that has shipped.
pub(super) const MIGRATIONS: &[&str] = &[
    include_str!("migrations/0001_initial.sql"),
    include_str!("migrations/0002_attestation_root.sql"),
    include_str!("migrations/0003_stateless_challenges.sql"),
    include_str!("migrations/0004_rate_limits.sql"),
    include_str!("migrations/0005_credential_facts.sql"),
    include_str!("migrations/0006_session_renewal.sql"),
    include_str!("migrations/0007_events.sql"),
];

pub(super) fn migrate(conn: &mut PooledConn) -> std::result::Result<(), String> {
    let latest = MIGRATIONS.len() as i32;
    conn.simple("BEGIN").map_err(|e| e.describe())?;
    let mut tx = conn.tx();
    let mut run = || -> std::result::Result<(), Fail> {
        // Serializes instances starting at once; released at commit or rollback.
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])?;
        tx.batch(
            "CREATE TABLE IF NOT EXISTS kavach_schema_version (
                 version    integer     PRIMARY KEY,
                 applied_at timestamptz NOT NULL DEFAULT now()
             )",
        )?;
        let rows = tx.query("SELECT coalesce(max(version), 0) FROM kavach_schema_version", &[])?;
        let current: i32 = rows.first().map(|row| get(row, 0)).transpose()?.unwrap_or(0);
        if current > latest {
            return Err(Fail::Kavach(Error::config(format!(
                "schema version {current} is newer than this build supports ({latest}); upgrade kavach"
            ))));
        }
        for (index, sql) in MIGRATIONS.iter().enumerate().skip(current as usize) {
            let version = index as i32 + 1;
            tx.batch(sql)?;
            tx.execute("INSERT INTO kavach_schema_version (version) VALUES ($1)", &[&version])?;
        }
        Ok(())
    };
    let outcome = run();
    match outcome {
        Ok(()) => conn.simple("COMMIT").map_err(|e| e.describe()),
        Err(fail) => {
            let _ = conn.simple("ROLLBACK");
            Err(match fail {
                Fail::Kavach(err) => err.message().to_owned(),
                other => other.describe(),
            })
        }
    }
}
