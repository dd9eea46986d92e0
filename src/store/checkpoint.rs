//! WAL checkpoints on a thread of their own while the daemon writes.
//!
//! SQLite checkpoints from inside the commit that crosses `wal_autocheckpoint`: the
//! writer then copies the WAL into the database file and waits for its fsync. In a
//! refresh that was a fifth of the time on a disk like ours. A checkpointer with its own
//! connection does the same work beside the writer (on the other core), so commits only
//! append to the WAL.

use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use rusqlite::{Connection, OpenFlags};

use super::{BUSY_TIMEOUT, Store, StoreError};

/// How often the checkpointer looks at the WAL.
const EVERY: Duration = Duration::from_millis(200);
/// The writer's own automatic checkpoint threshold (SQLite's default, in pages).
const AUTOCHECKPOINT_PAGES: i64 = 1000;
/// While the checkpointer runs, the writer still checkpoints past this many pages
/// (64 MB): under back-to-back commits the background checkpoint may never find the
/// whole WAL copied at the moment a transaction starts, and the WAL only restarts then.
const FALLBACK_PAGES: i64 = 16_384;

/// Checkpoints the WAL in the background until dropped; then hands checkpoints back to
/// the writer. Made by [`Checkpointer::start`].
pub struct Checkpointer {
    store: Arc<Mutex<Store>>,
    stop: Arc<(Mutex<bool>, Condvar)>,
    thread: Option<JoinHandle<()>>,
}

impl Checkpointer {
    /// Takes over checkpoints of `store`'s database from its writer connection.
    pub fn start(store: Arc<Mutex<Store>>) -> Result<Checkpointer, StoreError> {
        let conn = {
            let writer = store.lock().unwrap_or_else(|e| e.into_inner());
            let conn =
                Connection::open_with_flags(writer.path(), OpenFlags::SQLITE_OPEN_READ_WRITE)?;
            conn.busy_timeout(BUSY_TIMEOUT)?;
            writer
                .conn
                .pragma_update(None, "wal_autocheckpoint", FALLBACK_PAGES)?;
            conn
        };
        let stop = Arc::new((Mutex::new(false), Condvar::new()));
        let signal = stop.clone();
        let thread = std::thread::Builder::new()
            .name("jempol-checkpoint".into())
            .spawn(move || run(&conn, &signal))
            .map_err(|e| StoreError::Thread(e.to_string()))?;
        Ok(Checkpointer {
            store,
            stop,
            thread: Some(thread),
        })
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
