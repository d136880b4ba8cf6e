//! `database`: which engine, where, and how many connections.

use serde::Deserialize;
use url::Url;

use crate::error::{Error, Result};

/// `database`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatabaseConfig {
    /// `sqlite` (default) or `postgres`.
    #[serde(default = "default_provider")]
    pub provider: String,
    /// `file:kavach.db`, a path, or `:memory:` for SQLite; a `postgres://` URL for PostgreSQL.
    #[serde(default = "default_database_url")]
    pub url: String,
    /// PostgreSQL: the most connections this instance opens (1 to 100, default 8). SQLite
    /// ignores it (it uses one writer and a few readers).
    #[serde(default, rename = "poolSize", alias = "pool_size")]
    pub pool_size: Option<u32>,
}

impl Default for DatabaseConfig {
    fn default() -> Self {
        Self { provider: default_provider(), url: default_database_url(), pool_size: None }
    }
}

/// Default `database.poolSize`.
pub const DEFAULT_POOL_SIZE: u32 = 8;
const POOL_SIZE_RANGE: std::ops::RangeInclusive<u32> = 1..=100;

fn default_provider() -> String {
    "sqlite".into()
}

fn default_database_url() -> String {
    "file:kavach.db".into()
}

/// Which database. `Debug` hides a password in the URL.
#[derive(Clone, PartialEq, Eq)]
pub enum Database {
    /// SQLite at this location (`file:...`, a path, or `:memory:`).
    Sqlite(String),
    /// PostgreSQL at this URL.
    Postgres(String),
}

impl std::fmt::Debug for Database {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Database::Sqlite(url) => f.debug_tuple("Sqlite").field(url).finish(),
            Database::Postgres(url) => f.debug_tuple("Postgres").field(&redact_url(url)).finish(),
        }
    }
}

/// A database URL without its password (`postgres://user:***@host/db`); a libpq `key=value`
/// string has its `password=` value hidden.
fn redact_url(url: &str) -> String {
    if let Ok(mut parsed) = Url::parse(url) {
        if parsed.password().is_some() {
            let _ = parsed.set_password(Some("***"));
        }
        return parsed.to_string();
    }
    url.split_whitespace()
        .map(|pair| if pair.starts_with("password=") { "password=***" } else { pair })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Validates `database`: the engine and, for PostgreSQL, the pool size.
pub(super) fn database_settings(config: &DatabaseConfig) -> Result<(Database, u32)> {
    let database = match config.provider.as_str() {
        "sqlite" => Database::Sqlite(config.url.clone()),
        "postgres" | "postgresql" => Database::Postgres(config.url.clone()),
        other => {
            return Err(Error::config(format!("database.provider must be 'sqlite' or 'postgres', not '{other}'")));
        }
    };
    let pool_size = config.pool_size.unwrap_or(DEFAULT_POOL_SIZE);
    if !POOL_SIZE_RANGE.contains(&pool_size) {
        return Err(Error::config(format!("database.poolSize must be between 1 and 100 (got {pool_size})")));
    }
    Ok((database, pool_size))
}
