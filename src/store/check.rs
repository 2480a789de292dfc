//! `drillbot db check` and `db migrate --dry-run`: what an operator needs to know about a database file
//! before and after an upgrade, read without writing anything (the file is opened read-only, so a check never
//! migrates, never creates a file and never takes the write lock).

use std::collections::BTreeMap;
use std::path::Path;

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OpenFlags};
use serde::Serialize;

use super::{MIGRATIONS_DIR, StoreResult};

/// What `db check` found.
#[derive(Debug, Serialize)]
pub struct DbReport {
    /// What `PRAGMA integrity_check` reported besides `ok` (empty when the file is sound).
    pub integrity: Vec<String>,
    /// Rows whose foreign key points at nothing: `table row N -> parent`.
    pub foreign_keys: Vec<String>,
    /// The file's schema version.
    pub schema_version: i64,
    /// The schema version this binary writes.
    pub binary_schema_version: usize,
    /// Migrations this binary would apply at start-up, by name.
    pub pending_migrations: Vec<String>,
    /// Outbox messages by state (`pending`, `sending`, `sent`, `failed`).
    pub outbox: BTreeMap<String, i64>,
    /// Age in seconds of the oldest message not yet sent (pending or sending).
    pub oldest_unsent_secs: Option<i64>,
    /// Rows per table.
    pub rows: BTreeMap<String, i64>,
}

impl DbReport {
    /// The problems that make `db check` fail: damage, broken references, a schema newer than this binary.
    /// An older schema is not one: start-up migrates it.
    pub fn problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        if !self.integrity.is_empty() {
            problems.push(format!(
                "integrity check failed: {}",
                self.integrity.join("; ")
            ));
        }
        if !self.foreign_keys.is_empty() {
            problems.push(format!(
                "{} row(s) refer to rows that do not exist: {}",
                self.foreign_keys.len(),
                self.foreign_keys.join("; ")
            ));
        }
        if self.schema_version > self.binary_schema_version as i64 {
            problems.push(format!(
                "schema version {} is newer than this drillbot's ({}): upgrade drillbot before running it on this file",
                self.schema_version, self.binary_schema_version
            ));
        }
        problems
    }
}

/// The migrations in order, by directory name.
pub fn migration_names() -> Vec<String> {
    let mut names: Vec<String> = MIGRATIONS_DIR
        .dirs()
        .map(|d| d.path().display().to_string())
        .collect();
    names.sort();
    names
}

/// Opens a database file read-only (it must exist).
pub fn open_read_only(path: &Path) -> StoreResult<Connection> {
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    conn.busy_timeout(std::time::Duration::from_secs(5))?;
    Ok(conn)
}

/// The migrations this binary would apply to the file, by name (none for a file at or past its version).
pub fn pending_migrations(conn: &Connection) -> StoreResult<Vec<String>> {
    let version: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
    Ok(migration_names()
        .into_iter()
        .skip(version.max(0) as usize)
        .collect())
}

/// Checks a database file without writing to it.
pub fn check(conn: &Connection, now: DateTime<Utc>) -> StoreResult<DbReport> {
    let integrity: Vec<String> = conn
        .prepare("PRAGMA integrity_check")?
        .query_map([], |r| r.get::<_, String>(0))?
        .collect::<Result<Vec<_>, _>>()?
        .into_iter()
        .filter(|line| line != "ok")
        .collect();
    let foreign_keys = conn
        .prepare("PRAGMA foreign_key_check")?
        .query_map([], |r| {
            Ok(format!(
                "{} row {} -> {}",
                r.get::<_, String>(0)?,
                r.get::<_, Option<i64>>(1)?
                    .map_or("?".to_string(), |id| id.to_string()),
                r.get::<_, String>(2)?
            ))
        })?
        .collect::<Result<Vec<_>, _>>()?;
    let schema_version: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
    let tables: Vec<String> = conn
        .prepare(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name",
        )?
        .query_map([], |r| r.get(0))?
        .collect::<Result<Vec<_>, _>>()?;
    let mut rows = BTreeMap::new();
    for table in &tables {
        let n: i64 = conn.query_row(
            &format!("SELECT COUNT(*) FROM \"{}\"", table.replace('"', "\"\"")),
            [],
            |r| r.get(0),
        )?;
        rows.insert(table.clone(), n);
    }
    let (outbox, oldest_unsent_secs) = if tables.iter().any(|t| t == "outbox") {
        let outbox = conn
            .prepare("SELECT state, COUNT(*) FROM outbox GROUP BY state ORDER BY state")?
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<Result<BTreeMap<_, _>, _>>()?;
        (outbox, super::outbox::backlog(conn, now)?.1)
    } else {
        (BTreeMap::new(), None)
    };
    Ok(DbReport {
        integrity,
        foreign_keys,
        schema_version,
        binary_schema_version: super::schema_version(),
        pending_migrations: pending_migrations(conn)?,
        outbox,
        oldest_unsent_secs,
        rows,
    })
}

/// The report as text, one fact per line, problems last.
pub fn render(report: &DbReport) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    let ok_or = |v: &[String]| {
        if v.is_empty() {
            "ok".to_string()
        } else {
            v.join("; ")
        }
    };
    let _ = writeln!(out, "integrity: {}", ok_or(&report.integrity));
    let _ = writeln!(out, "foreign keys: {}", ok_or(&report.foreign_keys));
    let pending = &report.pending_migrations;
    let _ = writeln!(
        out,
        "schema: version {} (this drillbot: {}){}",
        report.schema_version,
        report.binary_schema_version,
        if pending.is_empty() {
            String::new()
        } else {
            format!(
                "; {} migration(s) to apply at start-up: {}",
                pending.len(),
                pending.join(", ")
            )
        }
    );
    let outbox: Vec<String> = report
        .outbox
        .iter()
        .map(|(state, n)| format!("{state} {n}"))
        .collect();
    let _ = writeln!(
        out,
        "outbox: {}{}",
        if outbox.is_empty() {
            "empty".to_string()
        } else {
            outbox.join(", ")
        },
        report.oldest_unsent_secs.map_or(String::new(), |s| format!(
            "; oldest unsent message is {s} s old"
        ))
    );
    let rows: Vec<String> = report
        .rows
        .iter()
        .map(|(t, n)| format!("{t} {n}"))
        .collect();
    let _ = writeln!(out, "rows: {}", rows.join(", "));
    let problems = report.problems();
    if problems.is_empty() {
        let _ = writeln!(out, "no problems found");
    } else {
        for p in problems {
            let _ = writeln!(out, "PROBLEM: {p}");
        }
    }
    out
}
