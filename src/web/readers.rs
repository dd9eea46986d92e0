//! Read-only connections for the web face: every page and API call reads through one,
//! on the blocking pool, so a long read never holds the writer (or another reader) up.
//! Connections are opened as needed and kept for the next read.

use std::path::PathBuf;
use std::sync::Mutex;

use crate::store::{Store, StoreError};

pub struct Readers {
    path: PathBuf,
    idle: Mutex<Vec<Store>>,
}

/// How many idle connections are kept (each holds its statement cache).
const KEPT: usize = 8;

impl Readers {
    pub fn new(path: PathBuf) -> Readers {
        Readers {
            path,
            idle: Mutex::new(Vec::new()),
        }
    }

    /// The database file.
    pub fn path(&self) -> &std::path::Path {
        &self.path
    }

    /// Runs `read` on a read-only connection, off the async threads.
    pub async fn read<R: Send + 'static>(
        self: &std::sync::Arc<Self>,
        read: impl FnOnce(&Store) -> Result<R, StoreError> + Send + 'static,
    ) -> Result<R, StoreError> {
        let me = self.clone();
        tokio::task::spawn_blocking(move || me.read_blocking(read))
            .await
            .map_err(|e| StoreError::Thread(e.to_string()))?
    }

    /// [`Readers::read`] on this thread.
    pub fn read_blocking<R>(
        &self,
        read: impl FnOnce(&Store) -> Result<R, StoreError>,
    ) -> Result<R, StoreError> {
        let taken = self.idle.lock().unwrap_or_else(|p| p.into_inner()).pop();
        let store = match taken {
            Some(s) => s,
            None => Store::open_read_only(&self.path)?,
        };
        let out = read(&store);
        let mut idle = self.idle.lock().unwrap_or_else(|p| p.into_inner());
        if idle.len() < KEPT {
            idle.push(store);
        }
        out
    }
}
