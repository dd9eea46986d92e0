//! The one thread that writes the database. Every write the daemon makes (posts and
//! their snapshots, cursors, the quota ledger, run records) is a job sent to it, and the
//! platforms' tasks await the answer without holding a runtime thread; reports, `status`
//! and dashboards read through connections of their own. Between jobs the writer keeps
//! the WAL within its limit (see [`super::checkpoint`]).

use std::any::Any;
use std::panic::AssertUnwindSafe;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, mpsc};
use std::thread::JoinHandle;

use tokio::sync::{oneshot, watch};

use super::checkpoint::{self, Checkpointer};
use super::{Store, StoreError};

type Job = Box<dyn FnOnce(&mut Store) + Send>;

/// A handle on the writer thread; clones share it. The thread ends, and the database
/// is closed, when the last handle is dropped.
#[derive(Clone)]
pub struct Writer {
    // Dropped before `owner`: the last handle closes the queue, then joins the thread.
    jobs: mpsc::Sender<Job>,
    owner: Arc<Owner>,
}

struct Owner {
    path: PathBuf,
    thread: Mutex<Option<JoinHandle<()>>>,
}

/// A job's answer, or the panic it ended in (raised again in the caller).
type Answer<R> = Result<R, Box<dyn Any + Send>>;

impl Writer {
    /// Moves `store` onto a writer thread of its own. Past `wal_limit` bytes of WAL the
    /// writer waits for readers to let it be emptied, until `shutdown` is set.
    pub fn start(
        store: Store,
        wal_limit: u64,
        shutdown: watch::Receiver<bool>,
    ) -> Result<Writer, StoreError> {
        let path = store.path().to_path_buf();
        let checkpointer = Checkpointer::start(&store)?;
        let (jobs, queue) = mpsc::channel::<Job>();
        let thread = std::thread::Builder::new()
            .name("jempol-writer".into())
            .spawn(move || {
                let mut store = store;
                let wal = super::wal_path(store.path());
                while let Ok(job) = queue.recv() {
                    job(&mut store);
                    if !*shutdown.borrow() {
                        checkpoint::keep_within(&store, &wal, wal_limit, &shutdown);
                    }
                }
                checkpointer.stop(&store);
            })
            .map_err(|e| StoreError::Thread(e.to_string()))?;
        Ok(Writer {
            jobs,
            owner: Arc::new(Owner {
                path,
                thread: Mutex::new(Some(thread)),
            }),
        })
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.owner.path
    }

    /// Runs `work` on the writer thread and waits for its answer without blocking the
    /// caller's thread (jobs run one at a time, in the order sent).
    pub async fn run<R: Send + 'static>(
        &self,
        work: impl FnOnce(&mut Store) -> Result<R, StoreError> + Send + 'static,
    ) -> Result<R, StoreError> {
        let (tx, rx) = oneshot::channel();
        self.send(work, move |answer| {
            let _ = tx.send(answer);
        })?;
        answered(rx.await.ok())
    }

    /// [`Writer::run`] for code that is not async (setup, tests): blocks this thread.
    pub fn run_blocking<R: Send + 'static>(
        &self,
        work: impl FnOnce(&mut Store) -> Result<R, StoreError> + Send + 'static,
    ) -> Result<R, StoreError> {
        let (tx, rx) = mpsc::sync_channel(1);
        self.send(work, move |answer| {
            let _ = tx.send(answer);
        })?;
        answered(rx.recv().ok())
    }

    fn send<R: Send + 'static>(
        &self,
        work: impl FnOnce(&mut Store) -> Result<R, StoreError> + Send + 'static,
        reply: impl FnOnce(Answer<Result<R, StoreError>>) + Send + 'static,
    ) -> Result<(), StoreError> {
        let job: Job = Box::new(move |store| {
            // A panicking job rolls its transaction back (dropped) and the writer goes
            // on; the caller sees the panic.
            reply(std::panic::catch_unwind(AssertUnwindSafe(|| work(store))));
        });
        self.jobs.send(job).map_err(|_| stopped())
    }
}

fn stopped() -> StoreError {
    StoreError::Thread("the database writer has stopped".into())
}

fn answered<R>(answer: Option<Answer<Result<R, StoreError>>>) -> Result<R, StoreError> {
    match answer {
        Some(Ok(result)) => result,
        Some(Err(panic)) => std::panic::resume_unwind(panic),
        None => Err(stopped()),
    }
}

impl Drop for Owner {
    fn drop(&mut self) {
        let thread = self
            .thread
            .get_mut()
            .unwrap_or_else(|e| e.into_inner())
            .take();
        // Every handle is gone, so the queue is closed: the thread ends after its last
        // job. (Never joined from itself: a job does not hold a handle.)
        if let Some(thread) = thread
            && thread.thread().id() != std::thread::current().id()
        {
            let _ = thread.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn writer(dir: &tempfile::TempDir) -> Writer {
        let store = Store::open(&dir.path().join("w.db")).unwrap();
        Writer::start(store, u64::MAX, watch::channel(false).1).unwrap()
    }

    #[tokio::test]
    async fn jobs_run_one_at_a_time_in_the_order_sent() {
        let dir = tempfile::tempdir().unwrap();
        let w = writer(&dir);
        let seen = Arc::new(Mutex::new(Vec::new()));
        let runs: Vec<_> = (0..20)
            .map(|i| {
                let seen = seen.clone();
                w.run(move |_| {
                    seen.lock().unwrap().push(i);
                    Ok(i)
                })
            })
            .collect();
        let answers = futures::future::join_all(runs).await;
        let answers: Vec<i32> = answers.into_iter().map(Result::unwrap).collect();
        assert_eq!(answers, (0..20).collect::<Vec<_>>());
        assert_eq!(*seen.lock().unwrap(), (0..20).collect::<Vec<_>>());
    }

    #[tokio::test]
    async fn a_job_that_panics_raises_in_its_caller_and_the_writer_goes_on() {
        let dir = tempfile::tempdir().unwrap();
        let w = writer(&dir);
        let panicking = w.clone();
        let caller = tokio::spawn(async move {
            panicking
                .run(|_| -> Result<(), StoreError> { panic!("a bug in a job") })
                .await
        });
        assert!(caller.await.unwrap_err().is_panic());
        let posts = w.run(|s| s.posts_count()).await.unwrap();
        assert_eq!(posts, 0, "the writer still answers");
    }

    #[test]
    fn the_database_is_closed_when_the_last_handle_goes() {
        let dir = tempfile::tempdir().unwrap();
        let w = writer(&dir);
        let other = w.clone();
        other.run_blocking(|s| s.posts_count()).unwrap();
        drop(w);
        drop(other);
        // Closed cleanly: SQLite removes the WAL when its last connection closes.
        let wal = super::super::wal_path(&dir.path().join("w.db"));
        assert!(!wal.exists(), "{} is still there", wal.display());
    }
}
