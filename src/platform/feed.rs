//! Where a client hands over what it reads: a backlog between fetching and storing,
//! bounded by items (a few large harvests or many small), so that a platform that answers
//! faster than the database writes cannot fill the memory.

use std::sync::Arc;

use tokio::sync::{OwnedSemaphorePermit, Semaphore, mpsc};

use super::Harvest;

/// The fetching side. Dropping every feeder ends the backlog.
pub struct Feeder {
    /// The backlog's room, and all of it.
    room: Option<(Arc<Semaphore>, usize)>,
    tx: mpsc::UnboundedSender<(Harvest, Option<OwnedSemaphorePermit>)>,
}

/// The storing side.
pub struct Backlog {
    rx: mpsc::UnboundedReceiver<(Harvest, Option<OwnedSemaphorePermit>)>,
}

/// Room in the backlog that stays taken until dropped (after the harvest is stored).
pub struct Held(#[allow(dead_code)] Vec<OwnedSemaphorePermit>);

/// A backlog of at most `items` posts and account figures.
pub fn bounded(items: usize) -> (Feeder, Backlog) {
    let (tx, rx) = mpsc::unbounded_channel();
    let items = items.clamp(1, u32::MAX as usize);
    let room = Some((Arc::new(Semaphore::new(items)), items));
    (Feeder { room, tx }, Backlog { rx })
}

/// A backlog without a bound, for a caller that takes every part at the end.
pub fn unbounded() -> (Feeder, Backlog) {
    let (tx, rx) = mpsc::unbounded_channel();
    (Feeder { room: None, tx }, Backlog { rx })
}

/// Posts and account figures in a harvest (what the backlog counts).
pub fn items(h: &Harvest) -> usize {
    h.posts.len() + h.stats.len()
}

impl Feeder {
    /// Waits for room, then queues `harvest`; `false` once the storing side has gone
    /// (its error is the one reported).
    pub async fn feed(&self, harvest: Harvest) -> bool {
        let held = match &self.room {
            Some((room, all)) => {
                // A harvest larger than the whole backlog waits for all of it.
                let want = items(&harvest).clamp(1, *all) as u32;
                let Ok(held) = room.clone().acquire_many_owned(want).await else {
                    return false;
                };
                Some(held)
            }
            None => None,
        };
        self.tx.send((harvest, held)).is_ok()
    }
}

impl Backlog {
    /// The next harvest, with what else waits merged into it up to about `merge` items;
    /// `None` once every feeder is gone and the backlog is empty.
    pub async fn next(&mut self, merge: usize) -> Option<(Harvest, Held)> {
        let (mut harvest, held) = self.rx.recv().await?;
        let mut room: Vec<_> = held.into_iter().collect();
        while items(&harvest) < merge
            && let Ok((more, held)) = self.rx.try_recv()
        {
            harvest.absorb(more);
            room.extend(held);
        }
        Some((harvest, Held(room)))
    }

    /// Every harvest queued so far, as one (for an unbounded backlog read at the end).
    pub fn drain(&mut self) -> Harvest {
        let mut all = Harvest::default();
        while let Ok((part, _)) = self.rx.try_recv() {
            all.absorb(part);
        }
        all
    }
}
