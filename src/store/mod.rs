//! The SQLite store: the only Rust code that holds SQL.
//!
//! One writer (the daemon or a command) and any number of readers (dashboards) share the
//! file: WAL mode lets readers see a consistent snapshot while the writer goes on.

// Grouped by what they store.
mod alerts;
mod businesses;
mod checkpoint;
mod clock;
mod connections;
mod coordinators;
pub mod datasette;
mod discovery;
mod due;
mod gains;
mod history;
mod ingest;
pub mod migrate;
mod observed;
mod posts;
mod quota;
mod registry_reads;
mod reported;
mod rollup;
mod runs;
mod writer;

use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{Connection, OpenFlags, OptionalExtension};

pub use writer::Writer;

pub use alerts::StandingAlert;

pub use crate::config::Tiers;
pub use businesses::{BusinessRow, ImportOutcome, ImportPlan, ImportSummary};
pub use clock::CLOCK_SLACK;
pub use connections::{
    Connection as ConsentConnection, ConnectionStatus, Lapsing, NewConnection, OauthState,
    TokenUpdate,
};
pub use coordinators::{Coordinator, CoordinatorRow};
pub use discovery::SyncState;
pub use gains::{AccountFollowers, DayGain, Gains, Outsider, PostDay, PostGain, Published};
pub use history::{AccountInfo, BusinessDay, BusinessInfo, DayScore, PostInfo, Snapshot};
pub use migrate::Migration;
pub use posts::IngestSummary;
pub use registry_reads::{RegistryEntry, RegistryField};
pub use reported::PushRecord;
pub use runs::PlatformStatus;

// The model's row ids go in and out of SQL as the integers they are.
macro_rules! sql_row_id {
    ($($name:ident),*) => {$(
        impl rusqlite::types::ToSql for crate::model::$name {
            fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
                Ok(self.0.into())
            }
        }

        impl rusqlite::types::FromSql for crate::model::$name {
            fn column_result(
                v: rusqlite::types::ValueRef<'_>,
            ) -> rusqlite::types::FromSqlResult<Self> {
                i64::column_result(v).map(crate::model::$name)
            }
        }
    )*};
}

sql_row_id!(PostId, BusinessId, AccountId, RunId, ConnectionId);

/// What can go wrong with the database, in the store's terms.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error(
        "the database has schema version {found}, newer than this jempol knows ({known}); \
         upgrade jempol instead of opening it with an older binary"
    )]
    NewerSchema { found: u32, known: u32 },
    #[error("migration to schema version {version} failed: {source}")]
    Migration {
        version: u32,
        source: rusqlite::Error,
    },
    #[error("cannot create the database folder {path}: {source}")]
    CreateDir {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "{path} is read-only for this user: jempol writes its database (and the -wal and \
         -shm files beside it); give the user that runs jempol write access to the file \
         and its folder"
    )]
    ReadOnly { path: PathBuf },
    #[error(
        "there is no database at {path}: `jempol poll --once` or `jempol db migrate` makes one"
    )]
    Missing { path: PathBuf },
    #[error(
        "{path} has schema version {found}, older than this jempol's {known}: run \
         `jempol db migrate` as the user that runs the daemon, then read it again"
    )]
    OlderSchema {
        path: PathBuf,
        found: u32,
        known: u32,
    },
    #[error(
        "{path} cannot be read: it has a -wal file but no -shm file, and this user may not \
         make one in its folder; read it as the user that runs the daemon, or while the \
         daemon runs"
    )]
    NoSharedMemory { path: PathBuf },
    #[error("cannot start a thread: {0}")]
    Thread(String),
    #[error(transparent)]
    Sqlite(#[from] rusqlite::Error),
}

/// How long a connection waits for another's lock before failing with SQLITE_BUSY.
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// An open jempol database.
pub struct Store {
    conn: Connection,
    path: PathBuf,
    migration: Migration,
    /// The campaign's UTC offset in seconds: what campaign days are cut by.
    utc_offset: i32,
}

impl Store {
    /// Opens (creating if needed) the database at `path` and applies pending migrations.
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        Self::open_at_version(path, None)
    }

    /// Opens and migrates only up to `version`: how tests make a file of an older release.
    pub fn open_at_version(path: &Path, version: Option<u32>) -> Result<Store, StoreError> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|source| StoreError::CreateDir {
                path: dir.to_path_buf(),
                source,
            })?;
        }
        create_private(path);
        let mut conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE,
        )?;
        // SQLite falls back to reading a file it may not write, and only fails at the
        // first write with "attempt to write a readonly database": say so up front.
        let read_only = || StoreError::ReadOnly {
            path: path.to_path_buf(),
        };
        if conn.is_readonly(rusqlite::MAIN_DB)? {
            return Err(read_only());
        }
        // A writable file in a folder this user may not write: no -wal file (1544).
        configure(&conn).map_err(|e| match e {
            StoreError::Sqlite(rusqlite::Error::SqliteFailure(f, _))
                if f.code == rusqlite::ErrorCode::ReadOnly =>
            {
                read_only()
            }
            e => e,
        })?;
        let migration = migrate::migrate(&mut conn, version)?;
        let utc_offset = stored_offset(&conn);
        let mut store = Store {
            conn,
            path: path.to_path_buf(),
            migration,
            utc_offset,
        };
        // The rollups need migrations 5 (tracking starts) and 6 (business days).
        if migration.to >= 6 {
            store.ensure_rollup()?;
        }
        Ok(store)
    }

    /// Opens an existing database for reading only: what `report`, `status`, `db check`
    /// and `businesses list` use, so that they work on a file they may not write and never
    /// wait for the daemon's write lock. Migrates nothing and writes no setting; days are
    /// cut at the offset the writer last stored. A file of an older schema opens (so
    /// `db check` can say so); [`Store::require_latest_schema`] refuses it for the rest.
    pub fn open_read_only(path: &Path) -> Result<Store, StoreError> {
        if !path.is_file() {
            return Err(StoreError::Missing {
                path: path.to_path_buf(),
            });
        }
        let open = |immutable: bool| -> Result<(Connection, u32), rusqlite::Error> {
            let mut conn = if immutable {
                let uri = format!("file:{}?immutable=1", uri_path(path));
                Connection::open_with_flags(
                    uri,
                    OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_URI,
                )?
            } else {
                Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY)?
            };
            conn.busy_handler(Some(polite_wait))?;
            conn.set_prepared_statement_cache_capacity(128);
            let version = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
            Ok((conn, version))
        };
        let (conn, version) = match open(false) {
            Ok(opened) => opened,
            // A WAL file needs its -shm beside it, which SQLite makes on first read; in
            // a folder this user may not write, that fails. With no -wal file there is
            // no writer (a writer makes one), so the file is read as it is.
            Err(rusqlite::Error::SqliteFailure(f, _))
                if matches!(
                    f.code,
                    rusqlite::ErrorCode::CannotOpen | rusqlite::ErrorCode::ReadOnly
                ) =>
            {
                if wal_path(path).exists() {
                    return Err(StoreError::NoSharedMemory {
                        path: path.to_path_buf(),
                    });
                }
                open(true)?
            }
            Err(e) => return Err(e.into()),
        };
        migrate::refuse_newer(version)?;
        let utc_offset = stored_offset(&conn);
        Ok(Store {
            conn,
            path: path.to_path_buf(),
            migration: Migration {
                from: version,
                to: version,
            },
            utc_offset,
        })
    }

    /// Refuses a file that `jempol db migrate` has not brought to this binary's schema.
    pub fn require_latest_schema(&self) -> Result<(), StoreError> {
        let known = migrate::latest_version();
        match self.migration.to {
            v if v < known => Err(StoreError::OlderSchema {
                path: self.path.clone(),
                found: v,
                known,
            }),
            _ => Ok(()),
        }
    }

    /// The file this store writes.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// What opening this store migrated.
    pub fn migration(&self) -> Migration {
        self.migration
    }

    /// The schema version in the file (`PRAGMA user_version`).
    pub fn schema_version(&self) -> Result<u32, StoreError> {
        migrate::user_version(&self.conn)
    }

    /// Records the campaign time zone that the views convert times into.
    pub fn set_campaign_timezone(
        &mut self,
        name: &str,
        offset_seconds: i32,
        offset: &str,
    ) -> Result<(), StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "INSERT INTO settings (key, value) VALUES (?1, ?2)
             ON CONFLICT (key) DO UPDATE SET value = excluded.value
             WHERE value IS NOT excluded.value",
        )?;
        stmt.execute(["timezone", name])?;
        stmt.execute(["utc_offset_seconds", &offset_seconds.to_string()])?;
        stmt.execute(["utc_offset", offset])?;
        drop(stmt);
        self.utc_offset = offset_seconds;
        self.ensure_rollup()
    }

    /// Records how many days after a day's end its figures stay provisional (the views'
    /// `settled` column reads it).
    pub fn set_settle_days(&mut self, days: i32) -> Result<(), StoreError> {
        self.conn
            .prepare_cached(
                "INSERT INTO settings (key, value) VALUES ('settle_days', ?1)
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value WHERE value IS NOT excluded.value",
            )?
            .execute([days.to_string()])?;
        Ok(())
    }

    /// Runs SQLite's integrity and foreign-key checks.
    pub fn check(&self) -> Result<CheckReport, StoreError> {
        let mut stmt = self.conn.prepare("PRAGMA integrity_check")?;
        let integrity = stmt
            .query_map([], |r| r.get::<_, String>(0))?
            .collect::<Result<Vec<_>, _>>()?;
        let foreign_key_violations: i64 =
            self.conn
                .query_row("SELECT count(*) FROM pragma_foreign_key_check", [], |r| {
                    r.get(0)
                })?;
        Ok(CheckReport {
            integrity_ok: integrity == ["ok"],
            integrity,
            foreign_key_violations,
            schema_version: self.schema_version()?,
            latest_version: migrate::latest_version(),
        })
    }

    /// The database file's size in bytes (main file and WAL).
    pub fn size_bytes(&self) -> u64 {
        let main = std::fs::metadata(&self.path).map_or(0, |m| m.len());
        let wal = std::fs::metadata(wal_path(&self.path)).map_or(0, |m| m.len());
        main + wal
    }

    /// Direct access for tests and benchmarks that compare against raw SQL.
    pub fn connection(&self) -> &Connection {
        &self.conn
    }
}

/// What `jempol db check` reports.
#[derive(Debug, Clone, serde::Serialize)]
pub struct CheckReport {
    pub integrity_ok: bool,
    pub integrity: Vec<String>,
    pub foreign_key_violations: i64,
    pub schema_version: u32,
    pub latest_version: u32,
}

impl CheckReport {
    pub fn is_healthy(&self) -> bool {
        self.integrity_ok
            && self.foreign_key_violations == 0
            && self.schema_version == self.latest_version
    }
}

/// The write-ahead log SQLite keeps beside a database file.
pub(crate) fn wal_path(db: &Path) -> PathBuf {
    let mut wal = db.as_os_str().to_owned();
    wal.push("-wal");
    PathBuf::from(wal)
}

/// The campaign's UTC offset as the writer last stored it.
fn stored_offset(conn: &Connection) -> i32 {
    conn.query_row(
        "SELECT CAST(value AS INTEGER) FROM settings WHERE key = 'utc_offset_seconds'",
        [],
        |r| r.get(0),
    )
    .optional()
    .unwrap_or(None)
    .unwrap_or(rollup::DEFAULT_OFFSET)
}

/// A path as the path of a `file:` URI (`?`, `#` and `%` escaped).
fn uri_path(path: &Path) -> String {
    let mut out = String::new();
    for c in path.to_string_lossy().chars() {
        match c {
            '?' => out.push_str("%3f"),
            '#' => out.push_str("%23"),
            '%' => out.push_str("%25"),
            c => out.push(c),
        }
    }
    out
}

/// A reader's busy handler: waits in 50 ms steps, says after 2 s what it waits for, and
/// gives up after a minute (SQLite then reports the database as locked).
fn polite_wait(tries: i32) -> bool {
    const STEP: Duration = Duration::from_millis(50);
    const TELL_AFTER: i32 = 40;
    const GIVE_UP_AFTER: i32 = 1_200;
    if tries == TELL_AFTER {
        tracing::warn!(
            "waiting for the database: another connection holds a lock that keeps readers \
             out (a writer in exclusive locking mode, or a recovery under way); giving up \
             after a minute"
        );
    }
    if tries >= GIVE_UP_AFTER {
        return false;
    }
    std::thread::sleep(STEP);
    true
}

fn configure(conn: &Connection) -> Result<(), StoreError> {
    conn.busy_timeout(BUSY_TIMEOUT)?;
    // One ingest uses more statements than rusqlite's default cache of 16 holds;
    // re-preparing them on every row cost 20x.
    conn.set_prepared_statement_cache_capacity(128);
    let mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))?;
    if !mode.eq_ignore_ascii_case("wal") {
        tracing::warn!(%mode, "SQLite refused WAL mode; readers may block the writer");
    }
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    // A WAL that grew during a busy spell is cut back to 64 MB when it restarts.
    conn.pragma_update(None, "journal_size_limit", 64 * 1024 * 1024)?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    // SQLite's default page cache (2 MB) on purpose: 8 MB made the refresh benchmark
    // faster (11 s -> 8 s at 16 MB) but took peak RSS past 150 MB at 400k posts.
    Ok(())
}

/// Creates the file readable by its owner and group only (0640), so other local users
/// cannot read the campaign's data; SQLite gives its -wal and -shm files the same mode.
fn create_private(path: &Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        if !path.exists() {
            // A failure here surfaces as SQLite's own error on open.
            let _ = std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o640)
                .open(path);
        }
    }
    #[cfg(not(unix))]
    let _ = path;
}
