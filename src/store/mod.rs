//! SQLite storage: one file in WAL mode, schema from `migrations/` applied at start-up.
//!
//! One writing connection and two read-only ones (WAL lets them read during a write), each behind a
//! `std::sync::Mutex` that every method locks briefly and never across an `.await`. The store is synchronous;
//! the async side reaches it only through the engine's `blocking` and `handle_blocking`, on tokio's blocking
//! threads.

mod answers;
mod boards;
mod chats;
pub mod check;
mod outbox;
mod rounds;

pub use crate::vocab::ChatSettings;
pub use answers::{AnswerRow, NewAnswer, RoundRecord, SaveOutcome, Settled, Settlement};
pub use boards::{BoardRow, ScoreRow, StreakRow};
pub use chats::{ChatMove, ChatRow, UserRow};
pub use outbox::{OutboxCounts, OutboxItem};
pub use rounds::RoundRow;

use std::path::Path;
use std::sync::{LazyLock, Mutex, MutexGuard};
use std::time::Duration;

use chrono::{DateTime, NaiveDate, Utc};
use include_dir::{Dir, include_dir};
use rusqlite::Connection;
use rusqlite_migration::Migrations;

static MIGRATIONS_DIR: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/migrations");

static MIGRATIONS: LazyLock<Migrations<'static>> = LazyLock::new(|| {
    Migrations::from_directory(&MIGRATIONS_DIR)
        .expect("migrations/ holds valid migration directories")
});

/// The schema migrations, in order (exposed so tests can build older databases).
pub fn migrations() -> &'static Migrations<'static> {
    &MIGRATIONS
}

/// The schema version this binary writes (the number of migrations).
pub fn schema_version() -> usize {
    MIGRATIONS_DIR.dirs().count()
}

/// Storage failures.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// SQLite said no.
    #[error("database error: {0}")]
    Sqlite(rusqlite::Error),
    /// The disk (or the database's size limit) is full: nothing was written.
    #[error(
        "the disk holding the database is full; nothing was saved (free some space, then try again)"
    )]
    DiskFull,
    /// The database file or its directory cannot be written.
    #[error(
        "the database {0} cannot be written (read-only file, directory or mount): drillbot needs to write \
         the file and its -wal and -shm files next to it"
    )]
    ReadOnly(String),
    /// A migration failed.
    #[error("database migration failed: {0}")]
    Migration(#[from] rusqlite_migration::Error),
    /// The file was written by a newer drillbot.
    #[error(
        "the database {path} has schema version {found}, newer than this drillbot understands ({supported}); \
         it was left untouched: use a newer drillbot or another --db file"
    )]
    TooNew {
        /// The file.
        path: String,
        /// Its version.
        found: i64,
        /// Ours.
        supported: usize,
    },
    /// Stored data that does not parse (hand-edited or corrupt).
    #[error("corrupt stored value: {0}")]
    Corrupt(String),
}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        match e.sqlite_error_code() {
            Some(rusqlite::ErrorCode::DiskFull) => StoreError::DiskFull,
            Some(rusqlite::ErrorCode::ReadOnly) => StoreError::ReadOnly("file".into()),
            _ => StoreError::Sqlite(e),
        }
    }
}

/// Result type of the store.
pub type StoreResult<T> = Result<T, StoreError>;

/// Prepared statements each connection keeps (rusqlite's default, 16, is fewer than the statements one command
/// runs on the writer or a reader over a day, so they were parsed again).
const STATEMENT_CACHE: usize = 64;

/// How many read-only connections a file database keeps next to its one writer.
const READERS: usize = 2;

/// The database: one writing connection, and read-only connections that WAL lets read while a write is in
/// progress, so a command that only reads never waits behind one that is stuck waiting for the write lock.
pub struct Store {
    conn: Mutex<Connection>,
    readers: Vec<Mutex<Connection>>,
    /// This store's name on the outbox claims it makes (process id and a random part).
    owner: String,
}

/// How long a database call waits for a lock held by another connection before it fails (SQLITE_BUSY).
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// SQLite's busy handler: waits 1, 2, 4 … 64 ms, then 64 ms at a time, until [`BUSY_TIMEOUT`] is spent (what
/// `busy_timeout` does), and counts each call that had to wait for `/metrics`.
fn wait_while_busy(attempt: i32) -> bool {
    const MAX_STEP: u32 = 6;
    let attempt = attempt.max(0) as u32;
    if attempt == 0 {
        crate::metrics::metrics().busy_wait();
    }
    let step = |i: u32| 1u64 << i.min(MAX_STEP);
    let spent: u64 = (0..attempt).map(step).sum();
    if spent >= BUSY_TIMEOUT.as_millis() as u64 {
        return false;
    }
    std::thread::sleep(Duration::from_millis(step(attempt)));
    true
}

impl Store {
    /// Opens (creating if needed) the SQLite file, refuses a newer schema, and migrates an older one.
    pub fn open(path: &Path) -> StoreResult<Store> {
        let conn = Connection::open(path)?;
        let mut store = Store::from_connection(conn, &path.display().to_string())?;
        for _ in 0..READERS {
            let reader = Connection::open_with_flags(
                path,
                rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY
                    | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
            )?;
            reader.busy_handler(Some(wait_while_busy))?;
            reader.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
            store.readers.push(Mutex::new(reader));
        }
        Ok(store)
    }

    /// A private in-memory database (tests, benchmarks).
    pub fn open_in_memory() -> StoreResult<Store> {
        Store::from_connection(Connection::open_in_memory()?, ":memory:")
    }

    /// A store over an open connection (`label` names it in errors): refuses a newer schema, migrates an older
    /// one, and refuses a database it cannot write.
    pub fn from_connection(mut conn: Connection, label: &str) -> StoreResult<Store> {
        conn.busy_handler(Some(wait_while_busy))?;
        conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
        // Check the version before anything writes to the file.
        let found: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
        if found > schema_version() as i64 {
            return Err(StoreError::TooNew {
                path: label.to_string(),
                found,
                supported: schema_version(),
            });
        }
        conn.pragma_update_and_check(None, "journal_mode", "WAL", |_| Ok(()))?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        migrations().to_latest(&mut conn)?;
        // Refuse a database that opens but cannot be written now, rather than fail every command later.
        let version: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
        let writable = !conn.is_readonly(rusqlite::MAIN_DB)?
            && conn
                .execute_batch(&format!(
                    "BEGIN IMMEDIATE; PRAGMA user_version = {version}; COMMIT"
                ))
                .is_ok();
        if !writable {
            return Err(StoreError::ReadOnly(label.to_string()));
        }
        Ok(Store {
            conn: Mutex::new(conn),
            readers: Vec::new(),
            owner: format!("{}-{:08x}", std::process::id(), rand::random::<u32>()),
        })
    }

    /// Locks the connection. A poisoned lock (a panic elsewhere) still hands out the connection: SQLite's own
    /// transactions keep the data consistent.
    pub(crate) fn conn(&self) -> MutexGuard<'_, Connection> {
        self.conn.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A connection for reading: a free reader, else the first reader as soon as it is free (the writer for a
    /// database without readers: in memory, or opened from a connection). It never waits for a writer.
    pub(crate) fn read(&self) -> MutexGuard<'_, Connection> {
        for reader in &self.readers {
            match reader.try_lock() {
                Ok(guard) => return guard,
                Err(std::sync::TryLockError::Poisoned(e)) => return e.into_inner(),
                Err(std::sync::TryLockError::WouldBlock) => {}
            }
        }
        match self.readers.first() {
            Some(reader) => reader.lock().unwrap_or_else(|e| e.into_inner()),
            None => self.conn(),
        }
    }

    /// Copies the database to `dest`, a new file, as one consistent snapshot.
    pub fn backup(&self, dest: &Path) -> StoreResult<()> {
        // `VACUUM INTO` copies one consistent snapshot in a single read transaction, so it finishes under
        // sustained writes (the stepped online backup restarted on every write and never did).
        let conn = self.conn();
        conn.execute("VACUUM INTO ?1", [dest.to_string_lossy()])?;
        Ok(())
    }

    /// Runs `f` with the raw connection (benchmarks and tests that seed data in bulk).
    pub fn with_connection<T>(&self, f: impl FnOnce(&mut Connection) -> T) -> T {
        f(&mut self.conn())
    }
}

pub(crate) fn ts(t: DateTime<Utc>) -> i64 {
    t.timestamp()
}

pub(crate) fn from_ts(secs: i64) -> StoreResult<DateTime<Utc>> {
    DateTime::from_timestamp(secs, 0)
        .ok_or_else(|| StoreError::Corrupt(format!("timestamp {secs}")))
}

pub(crate) fn date_str(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

pub(crate) fn parse_date(s: &str) -> StoreResult<NaiveDate> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|_| StoreError::Corrupt(format!("date {s}")))
}
