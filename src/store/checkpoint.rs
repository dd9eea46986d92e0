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
//! grows. Past the configured limit the writer thread, after its job, waits until the WAL
//! can be emptied, that is until every such reader has ended ([`keep_within`]), so the
//! file stays within the limit plus one job's writes.

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

/// Checkpoints the WAL in the background until stopped; then hands checkpoints back to
/// the writer. Made by [`Checkpointer::start`].
pub struct Checkpointer {
    stop: Arc<(Mutex<bool>, Condvar)>,
    thread: Option<JoinHandle<()>>,
}

impl Checkpointer {
    /// Takes over checkpoints of `writer`'s database from the writer's connection.
    pub fn start(writer: &Store) -> Result<Checkpointer, StoreError> {
        let conn = Connection::open_with_flags(writer.path(), OpenFlags::SQLITE_OPEN_READ_WRITE)?;
        writer
            .conn
            .pragma_update(None, "wal_autocheckpoint", FALLBACK_PAGES)?;
        let stop = Arc::new((Mutex::new(false), Condvar::new()));
        let signal = stop.clone();
        let thread = std::thread::Builder::new()
            .name("jempol-checkpoint".into())
            .spawn(move || run(&conn, &signal))
            .map_err(|e| StoreError::Thread(e.to_string()))?;
        Ok(Checkpointer {
            stop,
            thread: Some(thread),
        })
    }

    /// Ends the background checkpoints (after a last one) and gives them back to the
    /// writer's connection.
    pub fn stop(mut self, writer: &Store) {
        self.halt();
        let _ = writer
            .conn
            .pragma_update(None, "wal_autocheckpoint", AUTOCHECKPOINT_PAGES);
    }

    fn halt(&mut self) {
        *self.stop.0.lock().unwrap_or_else(|e| e.into_inner()) = true;
        self.stop.1.notify_all();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for Checkpointer {
    fn drop(&mut self) {
        self.halt();
    }
}

fn run(conn: &Connection, stop: &(Mutex<bool>, Condvar)) {
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
        stopped = lock.lock().unwrap_or_else(|e| e.into_inner());
        if !*stopped {
            stopped = wake
                .wait_timeout(stopped, EVERY)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
    }
}

/// Called by the writer between jobs: past `limit` bytes of `wal` (the writer's WAL
/// file), holds the writer until a TRUNCATE checkpoint succeeds, which needs every
/// reader to have left the WAL. Gives up only when jempol stops.
pub(super) fn keep_within(
    writer: &Store,
    wal: &std::path::Path,
    limit: u64,
    shutdown: &tokio::sync::watch::Receiver<bool>,
) {
    let wal_size = || std::fs::metadata(wal).map_or(0, |m| m.len());
    if wal_size() <= limit {
        return;
    }
    // A connection of its own: a TRUNCATE waits its busy timeout for readers, and a
    // shutdown for it; the writer's waits longer.
    let conn = match Connection::open_with_flags(writer.path(), OpenFlags::SQLITE_OPEN_READ_WRITE)
        .and_then(|c| c.busy_timeout(HOLD_RETRY).map(|()| c))
    {
        Ok(conn) => conn,
        Err(e) => {
            tracing::warn!(error = %e, "cannot open the database to empty its WAL");
            return;
        }
    };
    let held = Instant::now();
    let mut told = held;
    let mb = |b: u64| b / (1024 * 1024);
    tracing::warn!(
        wal_mb = mb(wal_size()),
        limit_mb = mb(limit),
        "the database's WAL is past storage.wal_limit_mb: writes wait until the readers \
         that hold an old read transaction (a dashboard, a `sqlite3` shell inside BEGIN) \
         end it"
    );
    loop {
        let done = conn
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
        if *shutdown.borrow() {
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
