//! WAL checkpoints on a thread of their own while the daemon writes.
//!
//! SQLite checkpoints from inside the commit that crosses `wal_autocheckpoint`: the
//! writer then copies the WAL into the database file and waits for its fsync. In a
//! refresh that was a fifth of the time on a disk like ours. A checkpointer with its own
//! connection does the same work beside the writer (on the other core), so commits only
//! append to the WAL.
//!
//! A reader that keeps one read transaction open (a dashboard, a shell left inside
//! `BEGIN`) pins the WAL: nothing it may still read can be copied back, so the file only
//! grows. Past the configured limit the checkpointer holds the writer (it takes the
//! store's lock) until the WAL can be emptied, that is until every such reader has ended,
//! so the file stays within the limit plus what the writer appends before the
//! checkpointer next looks (every [`EVERY`]).

use std::path::PathBuf;
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use rusqlite::{Connection, OpenFlags};

use super::{Store, StoreError};

/// How often the checkpointer looks at the WAL.
const EVERY: Duration = Duration::from_millis(200);
/// The writer's own automatic checkpoint threshold (SQLite's default, in pages).
const AUTOCHECKPOINT_PAGES: i64 = 1000;
/// While the checkpointer runs, the writer still checkpoints past this many pages
/// (64 MB): under back-to-back commits the background checkpoint may never find the
/// whole WAL copied at the moment a transaction starts, and the WAL only restarts then.
const FALLBACK_PAGES: i64 = 16_384;
/// While the writer is held, how often the readers are asked again...
const HOLD_RETRY: Duration = Duration::from_millis(200);
/// ...and how often the log is told that writes still wait.
const HOLD_WARN_EVERY: Duration = Duration::from_secs(60);

/// Checkpoints the WAL in the background until dropped; then hands checkpoints back to
/// the writer. Made by [`Checkpointer::start`].
pub struct Checkpointer {
    store: Arc<Mutex<Store>>,
    stop: Arc<(Mutex<bool>, Condvar)>,
    thread: Option<JoinHandle<()>>,
}

/// What the checkpointer thread works with.
struct Job {
    conn: Connection,
    store: Arc<Mutex<Store>>,
    wal: PathBuf,
    limit: u64,
    /// Set when the daemon shuts down: the writer is not held any more, so that the
    /// cycle under way can end.
    shutdown: tokio::sync::watch::Receiver<bool>,
}

impl Checkpointer {
    /// Takes over checkpoints of `store`'s database from its writer connection, and
    /// keeps its WAL under `wal_limit` bytes (see the module's text).
    pub fn start(
        store: Arc<Mutex<Store>>,
        wal_limit: u64,
        shutdown: tokio::sync::watch::Receiver<bool>,
    ) -> Result<Checkpointer, StoreError> {
        let (conn, wal) = {
            let writer = store.lock().unwrap_or_else(|e| e.into_inner());
            let conn =
                Connection::open_with_flags(writer.path(), OpenFlags::SQLITE_OPEN_READ_WRITE)?;
            // Short: a TRUNCATE waits this long for readers, and a shutdown for it.
            conn.busy_timeout(HOLD_RETRY)?;
            writer
                .conn
                .pragma_update(None, "wal_autocheckpoint", FALLBACK_PAGES)?;
            (conn, super::wal_path(writer.path()))
        };
        let stop = Arc::new((Mutex::new(false), Condvar::new()));
        let signal = stop.clone();
        let job = Job {
            conn,
            store: store.clone(),
            wal,
            limit: wal_limit,
            shutdown,
        };
        let thread = std::thread::Builder::new()
            .name("jempol-checkpoint".into())
            .spawn(move || run(&job, &signal))
            .map_err(|e| StoreError::Thread(e.to_string()))?;
        Ok(Checkpointer {
            store,
            stop,
            thread: Some(thread),
        })
    }
}

fn run(job: &Job, stop: &(Mutex<bool>, Condvar)) {
    let conn = &job.conn;
    let (lock, wake) = stop;
    let mut stopped = lock.lock().unwrap_or_else(|e| e.into_inner());
    loop {
        let finishing = *stopped;
        drop(stopped);
        // PASSIVE: copies what no reader still needs, never waits for or blocks anyone.
        // (busy, WAL frames, frames copied); a failure is retried on the next round.
        let result = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, i64>(1)?,
                r.get::<_, i64>(2)?,
            ))
        });
        if let Err(e) = result {
            tracing::debug!(error = %e, "background checkpoint failed; trying again");
        }
        if finishing {
            return;
        }
        if job.wal_size() > job.limit && !job.shutting_down() {
            job.hold_writer_until_emptied(stop);
        }
        stopped = lock.lock().unwrap_or_else(|e| e.into_inner());
        if !*stopped {
            stopped = wake
                .wait_timeout(stopped, EVERY)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
    }
}

impl Job {
    fn wal_size(&self) -> u64 {
        std::fs::metadata(&self.wal).map_or(0, |m| m.len())
    }

    fn shutting_down(&self) -> bool {
        *self.shutdown.borrow()
    }

    /// Holds the writer until a TRUNCATE checkpoint succeeds: that needs every reader
    /// to have left the WAL. Gives up only when jempol stops.
    fn hold_writer_until_emptied(&self, stop: &(Mutex<bool>, Condvar)) {
        let _writer = self.store.lock().unwrap_or_else(|e| e.into_inner());
        let held = Instant::now();
        let mut told = held;
        let mb = |b: u64| b / (1024 * 1024);
        tracing::warn!(
            wal_mb = mb(self.wal_size()),
            limit_mb = mb(self.limit),
            "the database's WAL is past storage.wal_limit_mb: writes wait until the readers \
             that hold an old read transaction (a dashboard, a `sqlite3` shell inside BEGIN) \
             end it"
        );
        loop {
            let done = self
                .conn
                .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |r| {
                    r.get::<_, i64>(0)
                })
                .is_ok_and(|busy| busy == 0);
            if done {
                tracing::info!(
                    waited_s = held.elapsed().as_secs(),
                    "the WAL is emptied; writes go on"
                );
                return;
            }
            if self.shutting_down() || *stop.0.lock().unwrap_or_else(|e| e.into_inner()) {
                return;
            }
            if told.elapsed() >= HOLD_WARN_EVERY {
                told = Instant::now();
                tracing::warn!(
                    waited_s = held.elapsed().as_secs(),
                    "writes still wait for a reader to end its read transaction"
                );
            }
            std::thread::sleep(HOLD_RETRY);
        }
    }
}

impl Drop for Checkpointer {
    fn drop(&mut self) {
        *self.stop.0.lock().unwrap_or_else(|e| e.into_inner()) = true;
        self.stop.1.notify_all();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
        let writer = self.store.lock().unwrap_or_else(|e| e.into_inner());
        let _ = writer
            .conn
            .pragma_update(None, "wal_autocheckpoint", AUTOCHECKPOINT_PAGES);
    }
}
